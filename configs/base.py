"""Defaults shared by every config (the library's :func:`snn_jax.defaults.default_config`)
and the modifiers several configs share: the no-penalty baselines' schedule, the sparse
recipe's changes for latency input.

Not a config to run on its own: see digits.py, mnist_fc.py, fmnist_fc.py,
mnist_conv.py and fmnist_conv.py.
"""
from snn_jax.defaults import default_config as base_config  # pylint: disable=unused-import


def no_penalty_cosine(c):
  """``c`` as a no-penalty baseline: one phase, the learning rate warmed up over 1 epoch, then
  a cosine decay to 0 (configs/*_baseline.py and front_full.py's no_penalty_cosine)."""
  c.train.phase1_epochs = 0
  c.phase2.lambda_excess = 0.0
  c.phase2.lambda_silence = 0.0
  c.phase2.warmup_epochs = 1.0
  c.phase2.lr_end_fraction = 0.0
  return c


def latency_input(c):
  """``c`` on latency input with leak and threshold fixed, not learned, and the phase-2
  learning rate decayed by a cosine to 0 (configs/*_fc_sparse_latency*.py and front_full.py's
  sparse_fixed_neuron; docs/RESULTS.md, "Latency input at full scale")."""
  c.encoding.name = "latency"
  c.neuron.learn_beta = False
  c.neuron.learn_threshold = False
  c.phase2.lr_end_fraction = 0.0
  return c

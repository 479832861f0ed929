"""Defaults shared by every config (the library's :func:`snn_jax.defaults.default_config`)
and the schedule the no-penalty baselines share.

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

r"""MNIST, 784-256x4-10, rate T=20: the sparse recipe of our CPU ablations (docs/RESULTS.md).

Two-phase, 1 epoch without penalty then 2 with it. Phase 2 has the excess penalty
lambda_excess = 0.1, ramped in over its first half epoch, with the weight of the last hidden
layer doubled (it fires most). It keeps the silence term with a low target (r_min = 0.1), which
keeps neurons alive without pinning each near one spike. Leak and threshold are learnable.

  python -m experiments.train --config configs/mnist_fc_sparse.py --workdir runs/mnist_fc_sparse

Measured on the shared 2-core CPU (AMD EPYC, jax 0.10.2), full 60k/10k data, seed 0, 173 s of
training: 96.18%, 0.395 spikes/neuron (0.24 / 0.16 / 0.29 / 0.89 by layer), 0.209 excess,
0.1% silent. Before the 8-bit rate encoding (other random draws; docs/RESULTS.md): 96.37% at
0.407 (seed 0) and 96.34% at 0.396 (seed 1), 0.0% silent.
For comparison, on the same data: lambda 0.1 with the silence term (r_min 0.1)
and 1 + 2 epochs but no ramp, layer weights or learnable neurons: 95.82% at 0.474, 0.9% silent
(seed 1: 96.36% at 0.468, 0.6% silent);
the paper's setting (lambda 0.1, no silence term, 1 + 1 epochs): 95.29% at 0.556, 5.1% silent;
no penalty (2 epochs, warm-up + cosine): 97.37% at 5.95.
Short of the issue's GPU targets (>= 98.0% at <= 0.5), which assume 10 + 10 epochs and 3 seeds.
"""
from configs import mnist_fc


def get_config():
  c = mnist_fc.get_config()
  c.phase2.lambda_excess = 0.1
  c.phase2.lambda_silence = 1.0
  c.loss.r_min = 0.1
  c.phase2.ramp_epochs = 0.5
  c.neuron.learn_beta = True
  c.neuron.learn_threshold = True
  c.loss.layer_weights = (1.0, 1.0, 1.0, 2.0)
  c.train.epochs = 3
  c.train.log_every_steps = 100
  return c

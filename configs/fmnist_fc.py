r"""Fashion-MNIST, fully connected 784-256x4-10, rate input T=20, two-phase (1 + 1 epochs).

Same settings as mnist_fc.py (lambda_excess = 0.3 and silence term 1 in phase 2).

  python -m experiments.train --config configs/fmnist_fc.py --workdir runs/fmnist_fc

Measured on the 2-core CPU (AMD EPYC, jax 0.10.2, shared with other jobs), seed 0, 75 s of
training:
  this config:                           82.35%, 1.04 spikes/neuron, 0.57 excess, 0.4% silent
  --config.phase2.lambda_silence=0:      45.50%, 0.22 spikes/neuron, 43.1% silent
"""
from configs import mnist_fc


def get_config():
  c = mnist_fc.get_config()
  c.data.name = "fashion_mnist"
  return c

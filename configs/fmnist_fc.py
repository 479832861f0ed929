r"""Fashion-MNIST, fully connected 784-256x4-10, rate input T=20, two-phase (1 + 1 epochs).

Same settings as mnist_fc.py (lambda_excess = 0.3 and silence term 1 in phase 2).

  python -m experiments.train --config configs/fmnist_fc.py --workdir runs/fmnist_fc

Measured on the 2-core CPU (jax 0.10.2), seed 0, 40 s of training:
  this config:                           83.11%, 1.08 spikes/neuron, 0.60 excess, 0.4% silent
  --config.phase2.lambda_silence=0:      10.00% (collapsed), 0.00 spikes/neuron, 94.7% silent
"""
from configs import mnist_fc


def get_config():
  c = mnist_fc.get_config()
  c.data.name = "fashion_mnist"
  return c

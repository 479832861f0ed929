r"""MNIST, conv 28x28x1-c32s1-c64s2-c64s2-256-10, rate T=20: the no-penalty baseline.

One phase of 10 epochs, no penalty: warm-up over 1 epoch, cosine decay to 0, every training
image moved by up to 2 pixels along each axis. Meant for a GPU.

  python -m experiments.train --config configs/mnist_conv_baseline.py \
      --workdir runs/mnist_conv_baseline

Measured on one H200 (jax 0.11.2), all 60k/10k images, seeds 0, 1, 2 (members one after
another, 133 s of training beside two FC sweeps): 99.30 +- 0.06% (99.25 / 99.27 / 99.39) at
1.40 spikes/neuron (1.21 / 1.55 / 1.70 / 8.85 by layer), 9.3% silent, nearly all in the conv
layers (5-11% of each). Without the shifts (one H100, seed 0): 99.12% at 1.43. docs/RESULTS.md.
"""
from configs import base
from configs import mnist_conv


def get_config():
  c = base.no_penalty_cosine(mnist_conv.get_config())
  c.train.epochs = 10
  c.data.random_shift = 2
  c.train.checkpoint_every_steps = 0
  return c

r"""MNIST, conv 28x28x1-c32s1-c64s2-c64s2-256-10, rate input T=20, two-phase (1 + 1 epochs).

  python -m experiments.train --config configs/mnist_conv.py --workdir runs/mnist_conv

Phases and penalties as mnist_fc.py (phase 2: lambda_excess = 0.3, silence term 1). Meant for
a GPU: on the 2-core CPU it trains at ~36 samples/s end to end (about 55 min for the 2
epochs; docs/BENCHMARKS.md).
Measured on an NVIDIA H200 (jax 0.11.2, rate spikes then drawn from 32-bit uniforms), seed 0:
96.61%, 1.04 spikes/neuron (by layer 1.01 / 1.05 / 1.15 / 1.30), 0.19 excess, 0.0% silent,
14.6 s of training at ~9,800 samples/s.
No-penalty baseline: configs/mnist_conv_baseline.py (99.30 +- 0.06% over 3 seeds on an H200).
"""
from configs import mnist_fc


def get_config():
  c = mnist_fc.get_config()  # data, encoding, phases and penalties as there
  c.model.name = "conv"
  c.model.channels = (32, 64, 64)
  c.model.strides = (1, 2, 2)
  c.model.hidden = (256,)
  return c

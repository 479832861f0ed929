r"""Fashion-MNIST, convolutional net of mnist_conv.py, rate input T=20, two-phase (1 + 1 epochs).

  python -m experiments.train --config configs/fmnist_conv.py --workdir runs/fmnist_conv

Meant for a GPU (see mnist_conv.py). Measured on an NVIDIA H200 (jax 0.11.2, rate spikes then
drawn from 32-bit uniforms), seed 0: 84.52%, 1.02 spikes/neuron, 0.23 excess, 0.0% silent,
13.8 s of training at ~10,500 samples/s. The no-penalty baseline, on one H100, seed 0 (24.3 s of
training): 91.41%, 2.62 spikes/neuron (2.65 / 2.65 / 1.75 / 9.04 by layer), 0.3% silent; it is
configs/mnist_conv_baseline.py's schedule without the shifts:

  python -m experiments.train --config configs/mnist_conv_baseline.py --workdir runs/fmnist_conv_base \
      --config.data.name=fashion_mnist --config.data.random_shift=0
"""
from configs import mnist_conv


def get_config():
  c = mnist_conv.get_config()
  c.data.name = "fashion_mnist"
  return c

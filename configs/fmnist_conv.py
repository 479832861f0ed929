r"""Fashion-MNIST, convolutional net of mnist_conv.py, rate input T=20, two-phase (1 + 1 epochs).

  python -m experiments.train --config configs/fmnist_conv.py --workdir runs/fmnist_conv
"""
from configs import mnist_conv


def get_config():
  c = mnist_conv.get_config()
  c.data.name = "fashion_mnist"
  return c

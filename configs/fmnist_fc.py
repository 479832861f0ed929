r"""Fashion-MNIST, fully connected 784-256x4-10, rate input T=20, two-phase (1 + 1 epochs).

  python -m experiments.train --config configs/fmnist_fc.py --workdir runs/fmnist_fc
"""
from configs import mnist_fc


def get_config():
  c = mnist_fc.get_config()
  c.data.name = "fashion_mnist"
  return c

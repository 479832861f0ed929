r"""MNIST, convolutional 28x28x1 -c32s1-c64s2-c64s2- 256 -10, rate input T=20, two-phase (1 + 1 epochs).

  python -m experiments.train --config configs/mnist_conv.py --workdir runs/mnist_conv
"""
from configs import base


def get_config():
  c = base.base_config()
  c.data.name = "mnist"
  c.model.name = "conv"
  c.model.channels = (32, 64, 64)
  c.model.strides = (1, 2, 2)
  c.model.hidden = (256,)
  c.encoding.num_steps = 20
  c.train.epochs = 2
  c.train.phase1_epochs = 1
  c.phase2.lambda_excess = 0.3
  return c

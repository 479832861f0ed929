r"""MNIST, fully connected 784-256x4-10, rate input T=20, two-phase (1 + 1 epochs).

Phase 1 trains without penalty; phase 2 adds the first-spike-excess penalty
lambda_excess = 0.3 (METHOD.md's prototype setting).

  python -m experiments.train --config configs/mnist_fc.py --workdir runs/mnist_fc
"""
from configs import base


def get_config():
  c = base.base_config()
  c.data.name = "mnist"
  c.model.hidden = (256, 256, 256, 256)
  c.encoding.num_steps = 20
  c.train.epochs = 2
  c.train.phase1_epochs = 1
  c.phase2.lambda_excess = 0.3
  return c

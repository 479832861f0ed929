r"""Default: scikit-learn's 8x8 digits (embedded, no download), 64-128x4-10, rate input.

Two-phase training: epochs [0, 10) without penalty, [10, 20) with the
first-spike-excess penalty lambda_excess = 0.1 (no silence term).

  python -m experiments.train --config configs/digits.py --workdir runs/digits   (= make train)
"""
from configs import base


def get_config():
  c = base.base_config()
  c.data.name = "digits"
  c.model.hidden = (128, 128, 128, 128)
  c.train.batch_size = 32
  c.train.epochs = 20
  c.train.phase1_epochs = 10
  c.train.log_every_steps = 20
  c.phase2.lambda_excess = 0.1
  return c

r"""Default: scikit-learn's 8x8 digits (embedded, no download), 64-128x4-10, rate input T=20.

Two-phase training: epochs [0, 10) without penalty, [10, 20) with the
first-spike-excess penalty lambda_excess = 0.1 (no silence term).

  python -m experiments.train --config configs/digits.py --workdir runs/digits   (= make train)

Measured on the 2-core CPU (AMD EPYC, no AVX-512, jax 0.10.2), seed 0: test accuracy 0.9666,
0.849 hidden spikes per neuron per sample (by layer 0.12 / 0.24 / 0.65 / 2.38), 0.564 excess
spikes per neuron, 4.5% silent neurons, 3.2 s of training (17 s wall).
With --config.phase2.lambda_excess=0 (no penalty) the same run fires ~6 spikes per neuron.
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

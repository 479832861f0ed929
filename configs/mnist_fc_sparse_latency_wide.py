r"""MNIST, 784-512x4-10, latency T=20: the latency recipe on a 2x wider net with random shifts.

mnist_fc_sparse_latency.py (10 + 10 epochs, excess penalty ramped in over half an epoch, last
hidden layer weighted 2, silence term with r_min = 0.1, leak and threshold fixed) with 512
neurons per hidden layer, training images shifted by up to 2 pixels (data.random_shift) and
lambda_excess = 0.1.

  python -m experiments.train --config configs/mnist_fc_sparse_latency_wide.py \
      --workdir runs/mnist_fc_sparse_latency_wide

Measured on the 2-core CPU (Intel Xeon, jax 0.10.2), all 60k/10k images, seeds 0, 1, 2
(vmapped sweeps, docs/RESULTS.md "Latency input at full scale"): 98.20 +- 0.12% (98.37 /
98.14 / 98.10) at 0.244 spikes/neuron (0.18 / 0.17 / 0.16 / 0.46 by layer), 0.0% silent,
0.18 uJ per test sample: both MNIST sparse targets (>= 98.0% at <= 0.5, >= 97.5% at <= 0.3)
at 14x less energy than the rate-coded configs/mnist_fc_sparse_wide.py (98.41% at 0.288,
2.53 uJ). The command above (seed 0, one run, 1,187 s of training on that CPU): 97.85% at
0.243, 0.0% silent (the sweep's seed-0 member: 98.37%). With the constant phase-2 learning
rate the test accuracy moves by up to 0.4 points from epoch to epoch, so the 98.0% target is
met by the 3-seed mean only by about that noise; averaged over their last 3 epochs the four
runs give 97.86-98.08%. With --config.phase2.lambda_excess=0.03 (seed 0): 98.53% at 0.328.
"""
from configs import mnist_fc_sparse_latency


def get_config():
  c = mnist_fc_sparse_latency.get_config()
  c.model.hidden = (512, 512, 512, 512)
  c.data.random_shift = 2
  c.phase2.lambda_excess = 0.1
  return c

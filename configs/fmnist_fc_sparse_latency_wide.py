r"""Fashion-MNIST, 784-512x4-10, latency T=20: the latency recipe, wider, on darker pixels.

fmnist_fc_sparse.py's recipe (lambda_excess = 0.03 ramped in over half an epoch, last hidden
layer weighted 2, silence term with r_min = 0.1) on latency input with leak and threshold
fixed, 512 neurons per hidden layer, the phase-2 learning rate decayed by a cosine to 0, and
pixels down to 0.05 encoded (encoding.p_min; the default 0.2 drops garment shading).

  python -m experiments.train --config configs/fmnist_fc_sparse_latency_wide.py \
      --workdir runs/fmnist_fc_sparse_latency_wide

Measured on the 2-core CPU (Intel Xeon, jax 0.10.2), all 60k/10k images, seeds 0, 1, 2 (the
command above with --config.seed=0 and 2, about 1,060 s of training each; seed 1 as a
one-member sweep, the same program: on seed 0 both gave the same numbers): 88.08 +- 0.13%
(88.02 / 88.26 / 87.97) at 0.418 spikes/neuron (0.23 / 0.25 / 0.36 / 0.83 by layer), 0.0%
silent, 0.37 uJ per test sample. That meets the Fashion-MNIST target (>= 88.0% at <= 0.5) on
latency input by the mean, with little margin (seed 2 is 0.03 below), at 14x less energy than
the rate-coded configs/fmnist_fc_sparse_wide.py (88.59% at 0.337, 5.0 uJ). With the default
p_min 0.2 (seed 0): 87.64% at 0.424 (docs/RESULTS.md, "Fashion-MNIST on latency input").
"""
from configs import base
from configs import fmnist_fc_sparse


def get_config():
  c = base.latency_input(fmnist_fc_sparse.get_config())
  c.encoding.p_min = 0.05
  c.model.hidden = (512, 512, 512, 512)
  return c

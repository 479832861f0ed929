r"""Fashion-MNIST, 784-256x4-10, rate T=20: mnist_fc_sparse.py's recipe (10 + 10 epochs).

  python -m experiments.train --config configs/fmnist_fc_sparse.py --workdir runs/fmnist_fc_sparse

Measured on one H100 (jax 0.11.2, rate draws of commit e97cdfe), all 60k/10k images, seeds 0, 1,
2 (configs/front_full.py): 87.94 +- 0.13%, 0.501 spikes/neuron (0.73 / 0.24 / 0.22 / 0.80 by
layer), 0.0% silent; at lambda 0.1: 87.43% at 0.338 (0.2% silent). The paper's penalty (no
silence term) at lambda 0.03: 87.17% at 0.411 with 8.5% silent; no penalty (warm-up + cosine):
89.26% at 4.77. With --config.encoding.max_rate=0.25 (a quarter of the input spikes; seeds
0-2, 2-core CPU): 86.81 +- 0.13% at 0.363, 0.30 uJ per test sample instead of 1.11
(docs/RESULTS.md, "Fewer input spikes").
"""
from configs import mnist_fc_sparse


def get_config():
  c = mnist_fc_sparse.get_config()
  c.data.name = "fashion_mnist"
  return c

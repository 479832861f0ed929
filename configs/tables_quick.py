r"""The experiment suite at reduced scale, for the 2-core CPU (make tables-quick).

  python -m experiments.tables --config configs/tables_quick.py --workdir runs/tables_quick \
      --results results/quick --doc docs/RESULTS.md

MNIST and Fashion-MNIST, rate and latency inputs, two seeds; 12,800 training images x
2 epochs (two-phase: 1 + 1), 2,000 test images, T = 20. Table 2 uses 784-256x4-10 and three
lambdas per method (0.001, 0.03, 1), each without and with the silence term.

Measured on the 2-core CPU (jax 0.10.2): 32 min for all 200 runs; tables, plots and reading in
docs/RESULTS.md. For example MNIST, rate input, 4 hidden layers: no penalty 91.88% at 5.66
spikes/neuron; two-phase excess penalty (lambda 0.03) 92.30% at 1.66, 2.0% silent; the same
penalty in one phase, or the all-spike penalty, switches the net off (11.70%).
"""
import ml_collections

from configs import base


def get_config():
  c = ml_collections.ConfigDict()
  c.name = "quick"
  c.run = base.base_config()
  c.run.data.train_size = 12_800
  c.run.data.test_size = 2_000
  c.run.encoding.num_steps = 20
  c.run.train.epochs = 2
  c.run.train.phase1_epochs = 1
  c.run.train.batch_size = 128
  c.run.train.eval_batch_size = 500
  c.encodings = ("rate", "latency")
  c.run_by_encoding = ml_collections.ConfigDict()  # {encoding: {run config keys}}
  c.seeds = (0, 1)
  c.networks = ml_collections.ConfigDict({"fc": {"name": "mlp", "hidden": (256,) * 4}})

  c.depth = ml_collections.ConfigDict()
  c.depth.datasets = ("mnist", "fashion_mnist")
  c.depth.hidden_layers = (1, 2, 4, 6, 8)
  c.depth.width = 256

  c.penalties = ml_collections.ConfigDict()
  c.penalties.benchmarks = ("mnist/fc", "fashion_mnist/fc")
  c.penalties.lambda_excess = (0.001, 0.03, 1.0)
  c.penalties.lambda_all = (0.001, 0.03, 1.0)
  c.penalties.lambda_silence = 1.0
  c.penalties.chunk = 0           # members per vmapped program (0 = the whole group)

  c.encodings_table = ml_collections.ConfigDict()
  c.encodings_table.accuracy_tolerance = 0.01
  return c

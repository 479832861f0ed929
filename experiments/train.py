r"""Trains one spiking network from a config file.

  python -m experiments.train --config configs/mnist_fc.py --workdir runs/mnist \
      --config.train.epochs=2

Any config key can be overridden with --config.<key>=<value>; an unknown key or a
value of the wrong type stops the run before it starts.
"""
from absl import app
from absl import flags
from ml_collections import config_flags

from snn_jax import parallel
from snn_jax import train

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Directory for config.json, metrics.jsonl, summary.json.")
config_flags.DEFINE_config_file("config", None, "Path to a config file.", lock_config=True)
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  parallel.initialize_cluster()
  train.train_and_evaluate(FLAGS.config, parallel.process_workdir(FLAGS.workdir))


if __name__ == "__main__":
  app.run(main)

r"""Trains one spiking network from a config file.

  python -m experiments.train --config configs/mnist_fc.py --workdir runs/mnist \
      --config.train.epochs=2

Any config key can be overridden with --config.<key>=<value>. Bad input (an unknown key,
a value of the wrong type or out of range, missing data) stops the run before it starts with
one line on stderr; --debug shows the traceback.

Rerunning the same command resumes from the workdir's latest checkpoint (or says the run is
finished); --fresh archives the workdir's run to archive/<time>/ and starts over. SIGTERM or
Ctrl-C saves a checkpoint at the next step and exits (code 143 / 130) with one line.
"""
from absl import app
from absl import flags
from ml_collections import config_flags

from experiments import cli
from snn_jax import parallel
from snn_jax import train

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Directory for config.json, metrics.jsonl, summary.json.")
flags.DEFINE_bool("fresh", False, "Archive the workdir's earlier run and start over instead of "
                  "resuming it.")
config_flags.DEFINE_config_file("config", None, "Path to a config file.", lock_config=True)
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  parallel.initialize_cluster()
  train.train_and_evaluate(FLAGS.config, parallel.process_workdir(FLAGS.workdir),
                           fresh=FLAGS.fresh)


if __name__ == "__main__":
  cli.run(main)

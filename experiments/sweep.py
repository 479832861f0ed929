r"""Trains a grid of penalty weights and seeds as one vmapped program.

  python -m experiments.sweep --config configs/mnist_fc.py --workdir runs/sweep \
      --sweep.lambda_excess=0,0.01,0.03,0.1,0.3,1 --sweep.seeds=0,1

Sweep axes (comma-separated values; an axis left out keeps the config's value):
lambda_excess, lambda_all, lambda_silence (phase 2 weights), phase1_epochs, seeds.
--sweep.chunk=N trains N members at a time (same results, less memory).
Config keys are overridden as in experiments.train (--config.<key>=<value>).
Writes members/<label>/{summary.json,checkpoints/,...}, sweep.json, sweep.md and front.png.
A rerun reads finished members back and resumes the others from their checkpoints;
--fresh archives every member's run and trains them all again.
"""
from absl import app
from absl import flags
from ml_collections import config_flags

from experiments import cli
from snn_jax import parallel
from snn_jax.study import sweep

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Directory for the members' runs and the sweep report.")
flags.DEFINE_bool("fresh", False, "Archive the members' earlier runs and train them all again.")
config_flags.DEFINE_config_file("config", None, "Path to a config file.", lock_config=True)
config_flags.DEFINE_config_dict("sweep", sweep.default_sweep(), "Sweep axes.", lock_config=True)
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  parallel.initialize_cluster()
  sweep.run_sweep(FLAGS.config, FLAGS.sweep, parallel.process_workdir(FLAGS.workdir),
                  fresh=FLAGS.fresh)


if __name__ == "__main__":
  cli.run(main)

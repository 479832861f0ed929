r"""Evaluates a trained run's latest checkpoint on the test set.

  python -m experiments.evaluate --workdir runs/digits

Reads the run's config.json and checkpoints/, prints the results table and writes the test
metrics of summary.json (without the training figures) to <workdir>/evaluation.json.
"""
from absl import app
from absl import flags

from experiments import cli
from snn_jax import train

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a training run (holding checkpoints/).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  train.evaluate_run(FLAGS.workdir)


if __name__ == "__main__":
  cli.run(main)

r"""Evaluates a trained run's latest checkpoint on the test set.

  python -m experiments.evaluate --workdir runs/digits

Reads the run's config.json and checkpoints/, prints the results table and writes the test
metrics of summary.json (without the training figures) to <workdir>/evaluation.json.
"""
import sys

from absl import app
from absl import flags

from snn_jax import checkpoint
from snn_jax import train

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a training run (holding checkpoints/).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  try:
    train.evaluate_run(FLAGS.workdir)
  except FileNotFoundError as e:
    sys.exit(f"error: {e}")


if __name__ == "__main__":
  app.run(main)

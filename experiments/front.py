r"""Trains (or reads back) each recipe's sweep and draws the accuracy-vs-spikes fronts.

  python -m experiments.front --config configs/front_full.py --workdir runs/front \
      --results results/full                                           # = make front

Each recipe is a sweep in <workdir>/<panel>/<recipe> (a rerun reads finished members back
and resumes the others). Writes <results>/front.{json,md} and <results>/front_<panel>.png.
Front keys are overridden like config keys: --config.panels.mnist.sparse.run.seed=1.
"""
from absl import app
from absl import flags
import jax
from ml_collections import config_flags

from experiments import cli
from snn_jax import parallel
from snn_jax.study import fronts

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Path to a front config file.", lock_config=True)
flags.DEFINE_string("workdir", None, "Directory of the recipes' sweeps.")
flags.DEFINE_string("results", None, "Directory for front.json, front.md and the plots.")
flags.mark_flags_as_required(["config", "workdir", "results"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  parallel.initialize_cluster()
  rows = fronts.run_front(FLAGS.config, parallel.process_workdir(FLAGS.workdir))
  if jax.process_index() == 0:
    print(fronts.markdown(fronts.write(rows, FLAGS.results)))


if __name__ == "__main__":
  cli.run(main)

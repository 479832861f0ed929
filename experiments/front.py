r"""Trains (or reads back) each recipe's sweep and draws the accuracy-vs-spikes fronts.

  python -m experiments.front --config configs/front_full.py --workdir runs/front \
      --results results/full                                           # = make front

Each recipe is a sweep in <workdir>/<panel>/<recipe> (a rerun reads finished members back
and resumes the others). Writes <results>/front.{json,md} and <results>/front_<panel>.png,
with the members of this invocation and those an earlier one saved in <results>/front.json.
Front keys are overridden like config keys: --config.only="('mnist_latency/excess',)" trains
that recipe only (a piece of the front), --config.chunk=1 one member per program (faster on
a CPU), --config.panels.mnist.sparse.sweep.seeds="(1,)" one seed of a recipe.
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
  writer = jax.process_index() == 0
  agg = fronts.run(FLAGS.config, parallel.process_workdir(FLAGS.workdir), FLAGS.results,
                   write_files=writer)
  if writer:
    print(fronts.markdown(agg))


if __name__ == "__main__":
  cli.run(main)

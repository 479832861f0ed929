r"""Runs (or resumes) the experiment suite and writes its tables, plots and docs section.

  python -m experiments.tables --config configs/tables_quick.py --workdir runs/tables_quick \
      --results results/quick --doc docs/RESULTS.md               # = make tables-quick

Each run lives in its own directory under --workdir; a rerun skips every run whose
summary.json is there for the same config. Writes <results>/{depth,penalties,encodings}.{json,md},
<results>/{depth,penalties_front,penalties_silent}.png, <results>/suite.json (invocations) and
the suite's generated section of --doc (the rest of that file is left as it is); by default
<results>/RESULTS.md, so a partial or scratch invocation leaves docs/RESULTS.md alone
(make tables-quick and make tables pass --doc docs/RESULTS.md).
Suite keys are overridden like config keys: --config.seeds="(0,)", --config.run.train.epochs=1.
"""
import os
import sys

from absl import app
from absl import flags
from ml_collections import config_flags

from experiments import cli
from snn_jax.study import suite

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Path to a suite config file.", lock_config=True)
flags.DEFINE_string("workdir", None, "Directory of the suite's run directories.")
flags.DEFINE_string("results", None, "Directory for the tables, plots and suite.json.")
flags.DEFINE_string("doc", "", "Markdown file whose generated section to update "
                    "(default: <results>/RESULTS.md).")
flags.mark_flags_as_required(["config", "workdir", "results"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  command = "python -m experiments.tables " + " ".join(sys.argv[1:])
  doc = FLAGS.doc or os.path.join(FLAGS.results, "RESULTS.md")
  suite.run(FLAGS.config, FLAGS.workdir, FLAGS.results, doc, command)


if __name__ == "__main__":
  cli.run(main)

r"""Exports a trained run to a NIR graph file for neuromorphic hardware and simulators.

  python -m experiments.export --workdir runs/x [--out runs/x/model.nir]

Reads the run's config and trained parameters with ``snn_jax.checkpoint.load_run`` and
writes the graph of ``snn_jax.export.to_nir`` (the mapping and its limits are documented
there and in docs/METHOD.md).
"""
import os

from absl import app
from absl import flags

from experiments import cli
from snn_jax import checkpoint
from snn_jax import export

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Run directory written by experiments.train.")
flags.DEFINE_string("out", None, "Output .nir file (default: <workdir>/model.nir).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  config, params = checkpoint.load_run(FLAGS.workdir)
  out = FLAGS.out or os.path.join(FLAGS.workdir, "model.nir")
  export.write(out, config, params)
  print(f"wrote {out} (readout {config.model.readout}: see the graph's metadata)")


if __name__ == "__main__":
  cli.run(main)

r"""Aggregate training throughput: K members as one vmapped program vs K sequential runs.

  python -m benchmarks.sweep_vs_sequential                       # digits, K = 8
  python -m benchmarks.sweep_vs_sequential --config configs/mnist_fc.py \
      --config.data.train_size=6400 --config.train.epochs=2

Both sides run in this process on the same config, members differing in
lambda_excess (and seed); each side's time is the wall time of full training
(compilation included), without evaluation. Prints samples/s and the ratio.
"""
import contextlib
import io
import tempfile
import time

from absl import app
from absl import flags
from ml_collections import config_flags

import jax

from snn_jax import sweep
from snn_jax import train

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", "configs/digits.py", "Config to benchmark.")
flags.DEFINE_integer("members", 8, "K, the number of members.")


def timed_training(exp, configs) -> float:
  """Seconds of training (no eval) for ``configs`` as one vmapped group."""
  with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
    dirs = [f"{tmp}/{i}" for i in range(len(configs))]
    _, summaries = train.train_members(exp, configs, dirs, stop_on_nan=False)
  return summaries[0]["train_seconds"]


def main(argv):
  del argv
  config = FLAGS.config
  lambdas = [0.01 * 2 ** i for i in range(FLAGS.members)]
  grid = sweep.default_sweep()
  grid.lambda_excess = tuple(lambdas)
  members = sweep.member_configs(config, grid)
  exp = train.Experiment(config)
  samples = len(members) * exp.steps_per_epoch * config.train.epochs * config.train.batch_size
  sequential = sum(timed_training(exp, [m]) for m in members)
  vmapped = timed_training(exp, members)
  print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}), K = {len(members)}, "
        f"{samples // len(members)} training samples per member")
  print(f"sequential: {samples / sequential:9.0f} samples/s  ({sequential:.1f} s)")
  print(f"vmapped:    {samples / vmapped:9.0f} samples/s  ({vmapped:.1f} s)")
  print(f"ratio vmapped / sequential: {sequential / vmapped:.2f}x")


if __name__ == "__main__":
  app.run(main)

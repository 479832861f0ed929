r"""Aggregate training throughput: K members as one vmapped program vs K sequential runs.

  python -m benchmarks.sweep_vs_sequential                       # digits, K = 8
  python -m benchmarks.sweep_vs_sequential --config configs/mnist_fc.py \
      --config.data.train_size=6400 --config.train.epochs=2

Both sides run in this process on the same config, members differing in
lambda_excess. Two figures each:
  end to end: wall time of full training as experiments.train / experiments.sweep run it
    (compilation, logging and progress included, evaluation excluded);
  steady state: train steps alone after warm-up (K = 1 step run K times vs one K-step).
"""
from absl import app
from absl import flags
from ml_collections import config_flags

import jax

from benchmarks import host_memory
from benchmarks import timing
from snn_jax import train
from snn_jax.study import sweep

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", "configs/digits.py", "Config to benchmark.")
flags.DEFINE_integer("members", 8, "K, the number of members.")
flags.DEFINE_integer("steady_steps", 50, "Timed steps per side for the steady-state figure.")


def end_to_end_seconds(exp, configs) -> float:
  """Training seconds (no eval) for ``configs`` trained together by train_members."""
  return timing.train_quietly(exp, configs)[0]["train_seconds"]


def report(name, samples, sequential, vmapped):
  print(f"{name}: sequential {samples / sequential:9.0f} samples/s ({sequential:.1f} s), "
        f"vmapped {samples / vmapped:9.0f} samples/s ({vmapped:.1f} s), "
        f"ratio {sequential / vmapped:.2f}x")


def main(argv):
  del argv
  allocator = host_memory.configure()
  config = FLAGS.config
  grid = sweep.default_sweep()
  grid.lambda_excess = tuple(0.01 * 2 ** i for i in range(FLAGS.members))
  members = sweep.member_configs(config, grid)
  exp = train.Experiment(config)
  k, batch = len(members), config.train.batch_size
  print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}), K = {k}, "
        f"batch {batch}, T = {config.encoding.num_steps}, hidden {tuple(config.model.hidden)}; "
        f"host memory: {allocator}")
  samples = k * exp.steps_per_epoch * config.train.epochs * batch
  report("end to end  ", samples, sum(end_to_end_seconds(exp, [m]) for m in members),
         end_to_end_seconds(exp, members))
  samples = k * FLAGS.steady_steps * batch
  report("steady state", samples,
         sum(timing.bare_steps_seconds(exp, [m], FLAGS.steady_steps) for m in members),
         timing.bare_steps_seconds(exp, members, FLAGS.steady_steps))


if __name__ == "__main__":
  app.run(main)

r"""End-to-end training throughput against the bare jitted step, one run (K = 1).

  python -m benchmarks.pipeline_throughput                              # mnist_fc, full MNIST
  python -m benchmarks.pipeline_throughput --config.data.train_size=6400 --repeats=3  # CPU

Prints, alternating the two in this process ``--repeats`` times:
  end to end: ``train_samples_per_second`` of a run as experiments.train trains it
    (the input pipeline, logging and progress included; compilation and evaluation not);
  bare step: the jitted train step called back to back on one batch already on the
    device (no data movement, no logging), after a warm-up step.
and the ratio of their medians, once per ``--device_data`` setting.
"""
import statistics

from absl import app
from absl import flags
from ml_collections import config_flags

import jax

from benchmarks import host_memory
from benchmarks import timing
from snn_jax import train

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", "configs/mnist_fc.py", "Config to benchmark.")
flags.DEFINE_integer("repeats", 3, "Measurements of each figure (alternating).")
flags.DEFINE_integer("bare_steps", 50, "Timed steps of the bare-step figure.")
flags.DEFINE_list("device_data", ["true", "false"], "train.device_data settings to measure.")


def main(argv):
  del argv
  allocator = host_memory.configure()
  config = FLAGS.config
  print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}) x "
        f"{jax.device_count()}, batch {config.train.batch_size}, "
        f"T = {config.encoding.num_steps}, hidden {tuple(config.model.hidden)}; "
        f"host memory: {allocator}")
  for setting in FLAGS.device_data:
    config.train.device_data = setting
    exp = train.Experiment(config)
    ends, bares = [], []
    for _ in range(FLAGS.repeats):
      ends.append(timing.train_quietly(exp, [config])[0]["train_samples_per_second"])
      bare = timing.bare_steps_seconds(exp, [config], FLAGS.bare_steps)
      bares.append(FLAGS.bare_steps * config.train.batch_size / bare)
    end, bare = statistics.median(ends), statistics.median(bares)
    print(f"device_data={setting}: end to end {end:8.0f} samples/s, bare step {bare:8.0f} "
          f"samples/s, ratio {end / bare:.2f} ({exp.steps_per_epoch * config.train.epochs} "
          f"steps/run; runs: {', '.join(f'{x:.0f}' for x in ends)}; "
          f"bare: {', '.join(f'{x:.0f}' for x in bares)})")


if __name__ == "__main__":
  app.run(main)

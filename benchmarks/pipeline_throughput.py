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
import contextlib
import io
import statistics
import tempfile
import time

from absl import app
from absl import flags
from ml_collections import config_flags

import jax

from snn_jax import train

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", "configs/mnist_fc.py", "Config to benchmark.")
flags.DEFINE_integer("repeats", 3, "Measurements of each figure (alternating).")
flags.DEFINE_integer("bare_steps", 50, "Timed steps of the bare-step figure.")
flags.DEFINE_list("device_data", ["true", "false"], "train.device_data settings to measure.")


def end_to_end_rate(exp, train_members=train.train_members) -> float:
  """``train_samples_per_second`` of ``exp``'s config trained by ``train_members``."""
  with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()), \
      contextlib.redirect_stderr(io.StringIO()):
    _, (summary,) = train_members(exp, [exp.config], [tmp])
  return summary["train_samples_per_second"]


def bare_step_rate(exp, steps: int) -> float:
  """Samples/s of the jitted members step on one device-resident batch, back to back."""
  state = train.stack([exp.init_state()])
  step = exp.members_train_step()
  batch = next(exp.epochs())[1][0]
  images, labels = (jax.device_put(a[batch]) for a in (exp.dataset.train_images,
                                                       exp.dataset.train_labels))
  state, _ = step(state, images, labels)
  jax.block_until_ready(state)
  tic = time.perf_counter()
  for _ in range(steps):
    state, _ = step(state, images, labels)
  jax.block_until_ready(state)
  return steps * exp.config.train.batch_size / (time.perf_counter() - tic)


def main(argv):
  del argv
  config = FLAGS.config
  print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}) x "
        f"{jax.device_count()}, batch {config.train.batch_size}, "
        f"T = {config.encoding.num_steps}, hidden {tuple(config.model.hidden)}")
  for setting in FLAGS.device_data:
    config.train.device_data = setting
    exp = train.Experiment(config)
    ends, bares = [], []
    for _ in range(FLAGS.repeats):
      ends.append(end_to_end_rate(exp))
      bares.append(bare_step_rate(exp, FLAGS.bare_steps))
    end, bare = statistics.median(ends), statistics.median(bares)
    print(f"device_data={setting}: end to end {end:8.0f} samples/s, bare step {bare:8.0f} "
          f"samples/s, ratio {end / bare:.2f} ({exp.steps_per_epoch * config.train.epochs} "
          f"steps/run; runs: {', '.join(f'{x:.0f}' for x in ends)}; "
          f"bare: {', '.join(f'{x:.0f}' for x in bares)})")


if __name__ == "__main__":
  app.run(main)

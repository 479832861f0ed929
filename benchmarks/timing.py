"""What the throughput benchmarks time: a training run as the CLIs run it, and bare steps."""
import contextlib
import io
import tempfile
import time

import jax

from snn_jax import train


def train_quietly(exp, configs) -> list[dict]:
  """The summaries of ``configs`` (members of ``exp``) trained together by train_members
  into a temporary directory, without their terminal output."""
  with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()), \
      contextlib.redirect_stderr(io.StringIO()):
    dirs = [f"{tmp}/{i}" for i in range(len(configs))]
    _, summaries = train.train_members(exp, configs, dirs, stop_on_nan=False)
  return summaries


def bare_steps_seconds(exp, configs, steps: int) -> float:
  """Seconds of ``steps`` jitted members steps of ``configs`` called back to back on one batch
  already on the device (no data movement, no logging), after a warm-up step."""
  state = train.stack([exp.init_state(c) for c in configs])
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
  return time.perf_counter() - tic

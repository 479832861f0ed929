r"""Training-step speed of snn-jax next to its floor and peer SNN libraries (Spyx, snnTorch).

  make bench-peers                                   # builds .venv-peers, then runs this
  .venv-peers/bin/python -m benchmarks.peers --quick # a few minutes on a laptop CPU
  .venv-peers/bin/python -m benchmarks.peers --cases=fc --rounds=20

Every contender trains the same network (LIF beta 0.9, threshold 1, subtract reset, fast
sigmoid surrogate k = 10, Adam, forward + backward + update) on one fixed batch. Rounds
alternate the contenders (one step each per round, after warm-up) so that a shared or
throttling machine slows them alike; the table gives the median and the spread of the
per-step times.

  floor        the same weight shapes without spiking dynamics (ReLU) on all T x batch rows
  snn-jax      our full train step as `train_members` runs it (jit(vmap) over one member,
               state donated): rate-encodes uint8 images, computes the spike penalties
  snn-jax tuned  the same with the backend's best `compute` knobs (TUNED)
  spyx / snntorch / spikingjelly  pre-encoded float32 spike inputs, cross-entropy only

Cases: fc (784-256x4-10, T = 25, batch 128 and 1024); wide (one Linear + LIF layer of N
neurons fed N inputs, batch 16, T = 500, after the Open Neuromorphic benchmark; N = 4096
on CPU, 16384 on GPU); conv (configs/mnist_conv.py's net, T = 25).
"""
import dataclasses
import importlib.metadata
import os
import platform
import statistics
import time
from typing import Callable

from absl import app
from absl import flags
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks import host_memory
from configs import base
from snn_jax import encoding
from snn_jax import losses
from snn_jax import models
from snn_jax import train

FLAGS = flags.FLAGS
flags.DEFINE_bool("quick", False, "Small sizes and few rounds: a smoke run of every contender.")
flags.DEFINE_list("cases", ["fc", "wide", "conv"], "Which of fc, wide, conv to run.")
flags.DEFINE_list("contenders", [], "Only these contenders (default: all that import).")
flags.DEFINE_integer("rounds", 20, "Timed steps per contender (fc, conv).")
flags.DEFINE_integer("wide_rounds", 5, "Timed steps per contender for the wide case.")
flags.DEFINE_integer("wide_neurons", 0, "N of the wide case; 0 = 4096 on CPU, 16384 on GPU.")
flags.DEFINE_integer("wide_steps", 500, "T of the wide case.")
flags.DEFINE_integer("conv_batch", 0, "Batch of the conv case; 0 = 32 on CPU, 128 on GPU.")

BETA, THRESHOLD, SURROGATE_K, LEARNING_RATE = 0.9, 1.0, 10.0, 1e-3
# The `compute` knobs of "snn-jax tuned" per backend: measured in docs/BENCHMARKS.md (CPU);
# GPU: unroll 5 per the H100 measurement quoted at models.AUTO_UNROLL, bfloat16 matmuls.
TUNED = {"cpu": {}, "gpu": {"unroll": 5, "dtype": "bfloat16"}}


@dataclasses.dataclass(frozen=True)
class Case:
  name: str
  batch: int
  num_steps: int
  image_shape: tuple          # of one uint8 input sample
  hidden: tuple               # dense hidden widths
  channels: tuple = ()        # conv layers (3x3, SAME) before the dense ones
  strides: tuple = ()

  @property
  def is_conv(self) -> bool:
    return bool(self.channels)


def cases(on_gpu: bool) -> list[Case]:
  quick = FLAGS.quick
  wide = FLAGS.wide_neurons or (16384 if on_gpu else 4096)
  wide_steps = FLAGS.wide_steps
  if quick:
    wide, wide_steps = min(wide, 1024), min(wide_steps, 100)
  conv_batch = FLAGS.conv_batch or (128 if on_gpu else (8 if quick else 32))
  all_cases = {
      "fc": [Case(f"fc 784-256x4-10, batch {b}, T=25", b, 25, (28, 28), (256,) * 4)
             for b in ((128,) if quick else (128, 1024))],
      "wide": [Case(f"wide {wide}-{wide} Linear+LIF, batch 16, T={wide_steps}", 16, wide_steps,
                    (wide,), (wide,))],
      "conv": [Case(f"conv 28x28-c32s1-c64s2-c64s2-256-10, batch {conv_batch}, T=25",
                    conv_batch, 25, (28, 28, 1), (256,), (32, 64, 64), (1, 2, 2))],
  }
  unknown = set(FLAGS.cases) - set(all_cases)
  if unknown:
    raise app.UsageError(f"--cases: unknown {sorted(unknown)}; choose from {sorted(all_cases)}")
  return [c for name in FLAGS.cases for c in all_cases[name]]


def batch_data(case: Case, seed: int = 0):
  """uint8 images, int32 labels and the float32 rate-coded spikes the peers get."""
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 256, (case.batch,) + case.image_shape, dtype=np.uint8)
  labels = rng.integers(0, 10, case.batch).astype(np.int32)
  spikes = (rng.random((case.num_steps,) + images.shape) < images / 255.0).astype(np.float32)
  return images, labels, spikes


# --- snn-jax -------------------------------------------------------------------------------

def snn_jax_step(case: Case, compute: dict, random_shift: int = 0) -> Callable[[], None]:
  c = base.base_config()
  c.encoding.num_steps = case.num_steps
  c.model.hidden = case.hidden
  if case.is_conv:
    c.model.name, c.model.channels, c.model.strides = "conv", case.channels, case.strides
  c.compute.update(compute)
  model = models.create(c.model, c.neuron, 10, c.compute)
  encode = encoding.from_config(c.encoding)
  tx = train.make_optimizer(c.optim)
  images, labels, _ = batch_data(case)
  state = train.stack([train.create_train_state(c, model, tx, images[:1], encode, 100)])
  # as Experiment.members_train_step: what train_members runs, also for a single run
  options = losses.options_from_config(c.loss)
  step = jax.jit(jax.vmap(train.make_train_step(model, tx, encode, options, random_shift),
                          in_axes=(0, None, None)), donate_argnums=0)
  images, labels = jnp.asarray(images), jnp.asarray(labels)
  holder = [state]

  def run():
    holder[0], _ = step(holder[0], images, labels)
    jax.block_until_ready(holder[0])
  return run


# --- floor: the same weights without spiking dynamics ---------------------------------------

class FloorNet(nn.Module):
  case: Case

  @nn.compact
  def __call__(self, x):  # x [T, B, ...] -> logits [B, 10]
    num_steps, batch = x.shape[:2]
    h = x.reshape((num_steps * batch,) + x.shape[2:])
    for features, stride in zip(self.case.channels, self.case.strides):
      h = nn.relu(nn.Conv(features, (3, 3), strides=stride, padding="SAME")(h))
    h = h.reshape(num_steps * batch, -1)
    for width in self.case.hidden:
      h = nn.relu(nn.Dense(width)(h))
    return nn.Dense(10)(h.reshape(num_steps, batch, -1).mean(0))


def floor_step(case: Case) -> Callable[[], None]:
  _, labels, spikes = batch_data(case)
  model, tx = FloorNet(case), optax.adam(LEARNING_RATE)
  params = model.init(jax.random.PRNGKey(0), spikes)
  return _optax_runner(lambda p, x: model.apply(p, x), params, tx, spikes, labels)


def _optax_runner(apply_fn, params, tx, spikes, labels) -> Callable[[], None]:
  """One jitted, donating Adam step of ``apply_fn(params, spikes) -> logits``."""
  def step(params, opt_state, x, y):
    def loss(p):
      return optax.softmax_cross_entropy_with_integer_labels(apply_fn(p, x), y).mean()
    grads = jax.grad(loss)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  step = jax.jit(step, donate_argnums=(0, 1))
  holder = [params, tx.init(params)]
  x, y = jnp.asarray(spikes), jnp.asarray(labels)

  def run():
    holder[0], holder[1] = step(holder[0], holder[1], x, y)
    jax.block_until_ready(holder[0])
  return run


# --- Spyx 1.0 (Flax NNX) --------------------------------------------------------------------

def spyx_step(case: Case) -> Callable[[], None]:
  from flax import nnx  # pylint: disable=import-outside-toplevel
  import spyx  # pylint: disable=import-outside-toplevel
  _, labels, spikes = batch_data(case)
  rngs = nnx.Rngs(0)
  spike_fn = spyx.axn.superspike(k=SURROGATE_K)

  def lif(shape):
    return spyx.nn.LIF(shape, beta=BETA, threshold=THRESHOLD, activation=spike_fn, rngs=rngs)

  layers, shape = [], case.image_shape
  for out, stride in zip(case.channels, case.strides):
    features = shape[-1]
    layers += [nnx.Conv(features, out, (3, 3), strides=stride, padding="SAME", rngs=rngs)]
    shape = (-(-shape[0] // stride), -(-shape[1] // stride), out)
    layers += [lif(shape)]
  layers += [spyx.nn.Flatten()]
  width = int(np.prod(shape))
  for out in case.hidden:
    layers += [nnx.Linear(width, out, rngs=rngs), lif((out,))]
    width = out
  layers += [nnx.Linear(width, 10, rngs=rngs)]
  graphdef, params = nnx.split(spyx.nn.Sequential(*layers))

  def apply_fn(p, x):
    outputs, _ = spyx.nn.run(nnx.merge(graphdef, p), x)
    return outputs.mean(0)
  return _optax_runner(apply_fn, params, optax.adam(LEARNING_RATE), spikes, labels)


# --- snnTorch 1.0 ---------------------------------------------------------------------------

def snntorch_step(case: Case) -> Callable[[], None]:
  import snntorch  # pylint: disable=import-outside-toplevel
  import torch  # pylint: disable=import-outside-toplevel
  device = "cuda" if torch.cuda.is_available() else "cpu"
  torch.manual_seed(0)
  spike_grad = snntorch.surrogate.fast_sigmoid(slope=SURROGATE_K)
  synapses = []
  in_ch, hw = (case.image_shape[-1], case.image_shape[0]) if case.is_conv else (None, None)
  for out, stride in zip(case.channels, case.strides):
    synapses.append(torch.nn.Conv2d(in_ch, out, 3, stride=stride, padding=1))
    in_ch, hw = out, -(-hw // stride)
  width = in_ch * hw * hw if case.is_conv else int(np.prod(case.image_shape))
  for out in case.hidden:
    synapses.append(torch.nn.Linear(width, out))
    width = out
  neurons = [snntorch.Leaky(beta=BETA, threshold=THRESHOLD, spike_grad=spike_grad,
                            reset_mechanism="subtract") for _ in synapses]
  readout = torch.nn.Linear(width, 10)
  net = torch.nn.ModuleList(synapses + neurons + [readout]).to(device)
  optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
  _, labels, spikes = batch_data(case)
  if case.is_conv:
    spikes = spikes.transpose(0, 1, 4, 2, 3)  # NCHW
  x = torch.from_numpy(np.ascontiguousarray(spikes)).to(device)
  y = torch.from_numpy(labels).long().to(device)
  num_conv = len(case.channels)

  def run():
    optimizer.zero_grad()
    mems = [lif.reset_mem() for lif in neurons]
    logits = 0.0
    for t in range(case.num_steps):
      h = x[t]
      for i, (syn, lif) in enumerate(zip(synapses, neurons)):
        if i == num_conv:
          h = h.flatten(1)
        h, mems[i] = lif(syn(h), mems[i])
      logits = logits + readout(h)
    loss = torch.nn.functional.cross_entropy(logits / case.num_steps, y)
    loss.backward()
    optimizer.step()
    if device == "cuda":
      torch.cuda.synchronize()
  return run


# --- SpikingJelly ---------------------------------------------------------------------------

def spikingjelly_step(case: Case) -> Callable[[], None]:
  import torch  # pylint: disable=import-outside-toplevel
  # pylint: disable-next=import-outside-toplevel
  from spikingjelly.activation_based import functional, layer, neuron, surrogate
  device = "cuda" if torch.cuda.is_available() else "cpu"
  torch.manual_seed(0)
  modules, in_ch, hw = [], (case.image_shape[-1] if case.is_conv else None), case.image_shape[0]

  def lif():
    # decay_input=False: v = beta v + I with beta = 1 - 1/tau
    return neuron.LIFNode(tau=1.0 / (1.0 - BETA), decay_input=False, v_threshold=THRESHOLD,
                          v_reset=None, surrogate_function=surrogate.Sigmoid(), step_mode="m")
  for out, stride in zip(case.channels, case.strides):
    modules += [layer.Conv2d(in_ch, out, 3, stride=stride, padding=1, step_mode="m"), lif()]
    in_ch, hw = out, -(-hw // stride)
  modules += [layer.Flatten(step_mode="m")]
  width = in_ch * hw * hw if case.is_conv else int(np.prod(case.image_shape))
  for out in case.hidden:
    modules += [layer.Linear(width, out, step_mode="m"), lif()]
    width = out
  modules += [layer.Linear(width, 10, step_mode="m")]
  net = torch.nn.Sequential(*modules).to(device)
  optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
  _, labels, spikes = batch_data(case)
  if case.is_conv:
    spikes = spikes.transpose(0, 1, 4, 2, 3)
  x = torch.from_numpy(np.ascontiguousarray(spikes)).to(device)
  y = torch.from_numpy(labels).long().to(device)

  def run():
    optimizer.zero_grad()
    functional.reset_net(net)
    loss = torch.nn.functional.cross_entropy(net(x).mean(0), y)
    loss.backward()
    optimizer.step()
    if device == "cuda":
      torch.cuda.synchronize()
  return run


# --- timing and report ----------------------------------------------------------------------

def contenders(backend: str) -> dict[str, Callable[[Case], Callable[[], None]]]:
  tuned = TUNED.get(backend, {})
  table = {"floor (jax)": floor_step, "snn-jax": lambda case: snn_jax_step(case, {})}
  if tuned:  # on CPU no knob beat the defaults: "tuned" would repeat "snn-jax"
    table[f"snn-jax tuned {tuned}"] = lambda case: snn_jax_step(case, tuned)
  table.update(spyx=spyx_step, snntorch=snntorch_step, spikingjelly=spikingjelly_step)
  if FLAGS.contenders:
    table = {k: v for k, v in table.items() if k.split(" ")[0] in FLAGS.contenders}
  return table


def time_alternating(runs: dict[str, Callable[[], None]], rounds: int) -> dict[str, list]:
  """Per-step seconds of each run, one step of each per round, after two warm-up steps."""
  for run in runs.values():
    run()
    run()
  seconds = {name: [] for name in runs}
  for _ in range(rounds):
    for name, run in runs.items():
      tic = time.perf_counter()
      run()
      seconds[name].append(time.perf_counter() - tic)
  return seconds


def versions() -> str:
  names = ["jax", "jaxlib", "flax", "optax", "spyx", "snntorch", "torch", "spikingjelly"]
  found = []
  for name in names:
    try:
      found.append(f"{name} {importlib.metadata.version(name)}")
    except importlib.metadata.PackageNotFoundError:
      found.append(f"{name} (not installed)")
  return ", ".join(found)


def cpu_model() -> str:
  try:
    with open("/proc/cpuinfo", encoding="utf-8") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def main(argv):
  del argv
  allocator = host_memory.configure()
  backend = jax.default_backend()
  print(f"# snn-jax peers benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
  print(f"device: {jax.devices()[0].device_kind} ({backend}); CPU: {cpu_model()}, "
        f"{os.cpu_count()} logical cores; load average {os.getloadavg()[0]:.1f}")
  print(f"versions: {versions()}; python {platform.python_version()}; host memory: {allocator}")
  try:
    import torch  # pylint: disable=import-outside-toplevel
    print(f"torch threads: {torch.get_num_threads()}")
  except ImportError:
    pass
  for case in cases(backend == "gpu"):
    runs, skipped = {}, []
    for name, make in contenders(backend).items():
      try:
        runs[name] = make(case)
      except ImportError as e:
        skipped.append(f"{name} ({e.name} not installed)")
    rounds = FLAGS.wide_rounds if case.name.startswith("wide") else FLAGS.rounds
    rounds = min(rounds, 3) if FLAGS.quick else rounds
    seconds = time_alternating(runs, rounds)
    print(f"\n## {case.name} ({rounds} alternating rounds)\n")
    print("| contender | ms/step median (min-max) | samples/s |")
    print("| --- | --- | --- |")
    median = {name: statistics.median(s) for name, s in seconds.items()}
    for name, s in seconds.items():
      print(f"| {name} | {1e3 * median[name]:.1f} ({1e3 * min(s):.1f}-{1e3 * max(s):.1f}) | "
            f"{case.batch / median[name]:,.0f} |")
    if skipped:
      print(f"\nskipped: {', '.join(skipped)}")
    ours = [n for n in median if n.startswith("snn-jax")]
    others = [n for n in median if not n.startswith("snn-jax")]
    for mine in ours:
      ratios = ", ".join(f"/{o}: {median[mine] / median[o]:.2f}x" for o in others)
      print(f"\n{mine} time {ratios}")


if __name__ == "__main__":
  app.run(main)

r"""The measurements behind the speed knobs (docs/BENCHMARKS.md), one part per run:

  python -m benchmarks.speed_parts --part=encoding      # rate draws: bernoulli vs packed bits
  python -m benchmarks.speed_parts --part=knobs         # fc step: compute.unroll / dtype
  python -m benchmarks.speed_parts --part=remat         # compiled temp memory, T = 50/100/200
  python -m benchmarks.speed_parts --part=conv_profile  # conv step: forward vs backward vs floor
  python -m benchmarks.speed_parts --part=conv_members  # K conv members: vmap vs one by one
  python -m benchmarks.speed_parts --part=conv_gradient # conv kernel gradient: lax's vs
                                                        # convolution.conv, alone and in a loop
  python -m benchmarks.speed_parts --part=conv_remat    # conv step: plain vs remat spans
  python -m benchmarks.speed_parts --part=fused         # fc gradient: layer by layer vs fused
  python -m benchmarks.speed_parts --part=lif           # fc: LIF loops (backward loop / matmul;
                                                        # on a GPU also the Pallas kernels)

Compared variants run alternately in this one process (median of --rounds).
"""
import statistics
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks import host_memory
from benchmarks import peers
from configs import base
from snn_jax import convolution
from snn_jax import encoding
from snn_jax import losses
from snn_jax import models
from snn_jax import neurons
from snn_jax import surrogate
from snn_jax import train

FLAGS = flags.FLAGS
flags.DEFINE_enum("part", "encoding",
                  ["encoding", "knobs", "remat", "conv_profile", "conv_members", "conv_gradient",
                   "conv_remat", "fused", "shift", "lif"],
                  "Which measurement.")
flags.DEFINE_integer("parts_rounds", 5, "Timed calls per variant.")
flags.DEFINE_multi_integer("remat_num_steps", [50, 100, 200], "remat: the T values.")
flags.DEFINE_multi_integer("remat_chunks", [10, 25, 50], "remat: compute.remat_chunk values.")
flags.DEFINE_multi_integer("remat_timed_steps", [200], "remat: the T whose steps are timed.")
flags.DEFINE_multi_integer("lif_batch", [128], "lif: the batch sizes.")
flags.DEFINE_multi_integer("conv_rows", [200, 800],
                           "conv_gradient: images per call (T x batch, as the conv layers see).")


def alternate(runs: dict, rounds: int) -> None:
  seconds = peers.time_alternating(runs, rounds)
  for name, s in seconds.items():
    print(f"  {name}: {1e3 * statistics.median(s):.1f} ms (min {1e3 * min(s):.1f})")


def encoding_part():
  """[25, 128, 784] rate draws from uint8 pixels."""
  images = jnp.asarray(np.random.default_rng(0).integers(0, 256, (128, 784)), jnp.uint8)
  key = jax.random.PRNGKey(0)
  fns = {
      "bernoulli (before)": jax.jit(lambda x, k: jax.random.bernoulli(
          k, x / 255.0, (25,) + x.shape).astype(jnp.float32)),
      "rate, 16-bit draws": jax.jit(lambda x, k: encoding.rate(x, 25, key=k, bits=16)),
      "rate, 8-bit draws (default)": jax.jit(lambda x, k: encoding.rate(x, 25, key=k, bits=8)),
  }
  print("rate encoding of a [25, 128, 784] uint8 batch:")
  alternate({n: (lambda f=f: f(images, key).block_until_ready()) for n, f in fns.items()},
            FLAGS.parts_rounds)


def knobs_part():
  """784-256x4-10, batch 128, T = 25: our step under each compute knob, floor and Spyx."""
  case = peers.Case("fc", 128, 25, (28, 28), (256,) * 4)
  runs = {f"snn-jax {knobs}": peers.snn_jax_step(case, knobs)
          for knobs in ({}, {"unroll": 2}, {"unroll": 5}, {"dtype": "bfloat16"},
                        {"lif_backward": "matmul"})}
  runs["floor"] = peers.floor_step(case)
  try:
    runs["spyx"] = peers.spyx_step(case)
  except ImportError:
    pass  # outside .venv-peers
  print("fc 784-256x4-10, batch 128, T = 25:")
  alternate(runs, FLAGS.parts_rounds)


def shift_part():
  """784-256x4-10, batch 128, T = 25: the train step without and with random shifts of up to
  2 pixels (data.random_shift)."""
  case = peers.Case("fc", 128, 25, (28, 28), (256,) * 4)
  print("fc 784-256x4-10, batch 128, T = 25, train step:")
  alternate({f"random_shift {s}": peers.snn_jax_step(case, {}, random_shift=s) for s in (0, 2)},
            FLAGS.parts_rounds)


def fc_step(num_steps: int, remat_chunk: int):
  c = base.base_config()
  c.encoding.num_steps, c.compute.remat_chunk = num_steps, remat_chunk
  model = models.create(c.model, c.neuron, 10, c.compute)
  encode, tx = encoding.from_config(c.encoding), train.make_optimizer(c.optim)
  images, labels, _ = peers.batch_data(peers.Case("fc", 128, num_steps, (28, 28), (256,) * 4))
  state = train.create_train_state(c, model, tx, images[:1], encode, 100)
  step = jax.jit(train.make_train_step(model, tx, encode, losses.options_from_config(c.loss)),
                 donate_argnums=0)
  compiled = step.lower(state, images, labels).compile()
  holder = [state]

  def run():
    holder[0], _ = compiled(holder[0], images, labels)
    jax.block_until_ready(holder[0])
  return compiled.memory_analysis().temp_size_in_bytes, run


def remat_part():
  """784-256x4-10, batch 128: compiled temp bytes and step time, plain and in remat spans."""
  for num_steps in FLAGS.remat_num_steps:
    steps = {chunk: fc_step(num_steps, chunk) for chunk in [0] + FLAGS.remat_chunks}
    print(f"T={num_steps}, compiled temp memory: " + ", ".join(
        f"{'plain' if chunk == 0 else f'remat_chunk {chunk}'} {temp / 1e6:.1f} MB"
        for chunk, (temp, _) in steps.items()))
    if num_steps in FLAGS.remat_timed_steps:
      alternate({f"remat_chunk {chunk}": run for chunk, (_, run) in steps.items()},
                FLAGS.parts_rounds)


def conv_case(batch: int, num_steps: int = 25) -> peers.Case:
  return peers.Case("conv", batch, num_steps, (28, 28, 1), (256,), (32, 64, 64), (1, 2, 2))


def conv_profile_part():
  """mnist_conv net, batch 16, T = 25: forward, gradient and whole step vs the floor's."""
  case = conv_case(16)
  x = jnp.asarray(peers.batch_data(case)[2])
  c = base.base_config()
  c.model.name, c.model.channels, c.model.strides, c.model.hidden = (
      "conv", case.channels, case.strides, case.hidden)
  snn, floor = models.create(c.model, c.neuron, 10, c.compute), peers.FloorNet(case)
  key = jax.random.PRNGKey(0)
  params = {"snn": snn.init(key, x), "floor": floor.init(key, x)}
  loss_fns = {"snn": lambda p: jax.tree.reduce(lambda a, b: a + b.sum(), snn.apply(p, x), 0.0),
              "floor": lambda p: floor.apply(p, x).sum()}
  runs = {}
  for net, loss in loss_fns.items():
    for part, fn in (("forward", jax.jit(loss)), ("gradient", jax.jit(jax.grad(loss)))):
      runs[f"{net} {part}"] = lambda fn=fn, p=params[net]: jax.block_until_ready(fn(p))
  runs["snn-jax train step"] = peers.snn_jax_step(case, {})
  runs["floor train step"] = peers.floor_step(case)
  print("mnist_conv net, batch 16, T = 25:")
  alternate(runs, FLAGS.parts_rounds)


def conv_members_part(members: int = 3):
  """K conv members (batch 8, T = 10): one vmapped step vs K single steps."""
  c = base.base_config()
  c.model.name, c.model.channels, c.model.strides, c.model.hidden = (
      "conv", (32, 64, 64), (1, 2, 2), (256,))
  c.encoding.num_steps = 10
  model = models.create(c.model, c.neuron, 10, c.compute)
  encode, tx = encoding.from_config(c.encoding), train.make_optimizer(c.optim)
  images, labels, _ = peers.batch_data(conv_case(8, 10))
  step = train.make_train_step(model, tx, encode, losses.options_from_config(c.loss))

  def stacked_state():
    return train.stack([train.create_train_state(c, model, tx, images[:1], encode, 100)
                        for _ in range(members)])
  variants = {
      "vmapped": jax.jit(jax.vmap(step, in_axes=(0, None, None)), donate_argnums=0),
      "one by one (members_one_by_one)": train.members_one_by_one(
          jax.jit(step, donate_argnums=0)),
  }
  runs = {}
  for name, fn in variants.items():
    holder = [stacked_state()]

    def run(fn=fn, holder=holder):
      holder[0], _ = fn(holder[0], images, labels)
      jax.block_until_ready(holder[0])
    runs[name] = run
  print(f"K = {members} mnist_conv members, batch 8, T = 10:")
  alternate(runs, FLAGS.parts_rounds)


def conv_gradient_part(loop_steps: int = 2):
  """The kernel gradient of the mnist_conv net's three conv layers (ReLU between, sparse
  binary input), lax.conv_general_dilated's vs convolution.conv's, jitted alone and as
  ``loop_steps`` gradient-descent steps in a fori_loop (times per call: one gradient alone,
  ``loop_steps`` in the loop)."""
  convs = {"lax": jax.lax.conv_general_dilated, "convolution.conv": convolution.conv}
  shapes = ((3, 3, 1, 32), (3, 3, 32, 64), (3, 3, 64, 64))
  key = jax.random.PRNGKey(0)
  kernels = [0.1 * jax.random.normal(k, s) for k, s in zip(jax.random.split(key, 3), shapes)]

  def gradient(conv):
    def loss(kernels, x):
      for w, stride in zip(kernels, (1, 2, 2)):
        x = jax.nn.relu(conv(x, w, (stride, stride), "SAME",
                             dimension_numbers=("NHWC", "HWIO", "NHWC")))
      return jnp.sum(x ** 2)
    return jax.grad(loss)

  for rows in FLAGS.conv_rows:
    x = (jax.random.uniform(key, (rows, 28, 28, 1)) < 0.2).astype(jnp.float32)
    runs = {}
    for name, conv in convs.items():
      grad = gradient(conv)
      descend = jax.jit(lambda w, x, grad=grad: jax.lax.fori_loop(
          0, loop_steps, lambda _, w: jax.tree.map(lambda a, g: a - 1e-6 * g, w, grad(w, x)), w))
      runs[f"{name}, alone"] = lambda f=jax.jit(grad), x=x: jax.block_until_ready(f(kernels, x))
      runs[f"{name}, in a loop (x{loop_steps})"] = (
          lambda f=descend, x=x: jax.block_until_ready(f(kernels, x)))
    print(f"conv kernel gradient, {rows} images of 28x28 (loop rows: {loop_steps} gradients):")
    alternate(runs, FLAGS.parts_rounds)


def conv_remat_part():
  """mnist_conv net, batch 8, T = 20: the train step plain and in remat spans of 5 steps."""
  case = conv_case(8, 20)
  print("mnist_conv net, batch 8, T = 20, train step:")
  alternate({"plain": peers.snn_jax_step(case, {}),
             "remat_chunk 5": peers.snn_jax_step(case, {"remat_chunk": 5})}, FLAGS.parts_rounds)


def fused_part(widths=(784, 256, 256, 256, 256, 10), num_steps: int = 25, batch: int = 128):
  """The MLP's loss gradient computed layer by layer (each layer: one matmul on all T steps,
  then its LIF scan; how models.SpikingMLP runs) vs fused (one scan over T, every layer per
  step; how Spyx runs), in plain JAX with the same LIF (beta 0.9, threshold 1, subtract
  reset, detached, fast sigmoid k = 10)."""
  rng = np.random.default_rng(0)
  x = jnp.asarray(rng.random((num_steps, batch, widths[0])) < 0.3, jnp.float32)
  labels = jnp.asarray(rng.integers(0, 10, batch))
  params = [(jnp.asarray(rng.normal(0, n ** -0.5, (n, m)), jnp.float32), jnp.zeros(m))
            for n, m in zip(widths[:-1], widths[1:])]
  spike_fn = surrogate.fast_sigmoid(10.0)

  def layered(params):
    h = x
    for kernel, bias in params[:-1]:
      h, _ = neurons.lif_scan(h @ kernel + bias, beta=0.9, surrogate=spike_fn)
    return h.mean(0) @ params[-1][0] + params[-1][1]

  def fused(params):
    def step(v, x_t):
      h, new_v = x_t, []
      for (kernel, bias), v_l in zip(params[:-1], v):
        v_l = 0.9 * v_l + h @ kernel + bias
        h = spike_fn(v_l - 1.0)
        new_v.append(v_l - jax.lax.stop_gradient(h))
      return new_v, h
    v0 = [jnp.zeros((batch, kernel.shape[1])) for kernel, _ in params[:-1]]
    _, last = jax.lax.scan(step, v0, x)
    return last.mean(0) @ params[-1][0] + params[-1][1]

  def grad_of(forward):
    loss = lambda p: optax.softmax_cross_entropy_with_integer_labels(forward(p), labels).mean()
    return jax.jit(jax.grad(loss))
  grads = {"layer by layer": grad_of(layered), "fused": grad_of(fused)}
  same = jax.tree.map(lambda a, b: float(jnp.abs(a - b).max()), grads["layer by layer"](params),
                      grads["fused"](params))
  print(f"{'-'.join(map(str, widths))}, batch {batch}, T = {num_steps}, loss gradient "
        f"(largest difference between the two: {max(jax.tree.leaves(same)):.1e}):")
  alternate({n: (lambda g=g: jax.block_until_ready(g(params))) for n, g in grads.items()},
            FLAGS.parts_rounds)


def lif_part(num_steps: int = 25):
  """784-256x4-10 at each --lif_batch: the LIF loops as XLA loops with the backward pass as a
  loop or as matmuls (compute.lif_backward) and, on a GPU, as Pallas kernels
  (compute.lif_loops), in the model's loss gradient on a fixed spike input and in the whole
  train step (rate encoding in the step), next to the floor's step and Spyx's."""
  variants = {"loop": {}, "matmul": {"lif_backward": "matmul"}}
  if jax.default_backend() == "gpu":
    variants["pallas"] = {"lif_loops": "pallas"}
  for batch in FLAGS.lif_batch:
    _lif_variants(peers.Case("fc", batch, num_steps, (28, 28), (256,) * 4), variants)


def _lif_variants(case: peers.Case, variants: dict) -> None:
  num_steps, batch = case.num_steps, case.batch
  _, labels, spikes = peers.batch_data(case)
  x, labels = jnp.asarray(spikes).reshape(num_steps, batch, -1), jnp.asarray(labels)
  runs = {}
  for name, compute in variants.items():
    c = base.base_config()
    c.model.hidden = case.hidden
    c.compute.update(compute)
    model = models.create(c.model, c.neuron, 10, c.compute)
    params = model.init(jax.random.PRNGKey(0), x)["params"]

    def loss(p, model=model):
      return optax.softmax_cross_entropy_with_integer_labels(
          model.apply({"params": p}, x)[0], labels).mean()
    grad = jax.jit(jax.grad(loss))
    runs[f"loss gradient, {name}"] = (
        lambda grad=grad, params=params: jax.block_until_ready(grad(params)))
    runs[f"train step, {name}"] = peers.snn_jax_step(case, compute)
  runs["train step, floor"] = peers.floor_step(case)
  try:
    runs["train step, spyx"] = peers.spyx_step(case)
  except ImportError:
    pass  # outside .venv-peers
  print(f"784-256x4-10, batch {batch}, T = {num_steps}:")
  for name, run in list(runs.items()):
    try:
      run()  # compiles: a variant that does not build here is reported, not fatal
    except Exception as e:  # pylint: disable=broad-except
      print(f"  {name}: failed ({type(e).__name__}: {str(e).splitlines()[0][:200]})")
      del runs[name]
  alternate(runs, FLAGS.parts_rounds)


def main(argv):
  del argv
  allocator = host_memory.configure()
  print(f"device: {jax.devices()[0].device_kind}; CPU: {peers.cpu_model()}; "
        f"host memory: {allocator}")
  parts = {"encoding": encoding_part, "knobs": knobs_part, "remat": remat_part,
           "conv_profile": conv_profile_part, "conv_members": conv_members_part,
           "conv_gradient": conv_gradient_part, "conv_remat": conv_remat_part,
           "fused": fused_part, "shift": shift_part, "lif": lif_part}
  parts[FLAGS.part]()


if __name__ == "__main__":
  app.run(main)

"""Spiking networks in Flax. Inputs and spike trains are time-major ``[T, batch, ...]``.

Every model maps ``x [T, B, ...]`` to ``(logits [B, classes], counts)`` where
``counts`` is a tuple with one ``[B, N_l]`` array per hidden layer: the spike
count ``n[l, b, i] = sum_t s[l][t, b, i]`` that the losses and metrics need.
``synapse_fanouts(input_shape)`` gives, for the input and each hidden layer, how
many synapses each neuron drives (for synaptic-operation and energy counts).
"""
import functools
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from snn_jax import convolution
from snn_jax import neurons
from snn_jax import surrogate as surrogate_lib

READOUTS = ("mean_current", "spike_count", "max_membrane", "first_spike")


def time_sum(x: jax.Array) -> jax.Array:
  """``x.sum(axis=0)`` over the time axis, written as a contraction with ones, in float32.

  Exact for spike trains (0/1 sums), also bfloat16 ones (float32 accumulation). Under
  ``vmap`` a scan's outputs are ``[T, K, ...]`` and XLA:CPU reduces such arrays over their
  leading axis more than 10x slower than it contracts them.
  """
  return jnp.tensordot(jnp.ones(x.shape[0], x.dtype), x, axes=1,
                       preferred_element_type=jnp.promote_types(x.dtype, jnp.float32))


class LIF(nn.Module):
  """A layer of LIF neurons (see :func:`snn_jax.neurons.lif_scan`).

  With ``learn_beta`` / ``learn_threshold`` the layer owns one trainable scalar
  for each, initialised to ``beta`` / ``threshold``; beta is clipped to [0, 1].
  """
  beta: float = 0.9
  threshold: float = 1.0
  reset: str = "subtract"
  detach_reset: bool = True
  surrogate: surrogate_lib.SpikeFn = surrogate_lib.fast_sigmoid()
  learn_beta: bool = False
  learn_threshold: bool = False
  unroll: int = 1
  backward: str = "loop"
  loops: str = "xla"

  @nn.compact
  def __call__(self, currents, v0=None):
    beta, threshold = self.beta, self.threshold
    if self.learn_beta:
      beta = jnp.clip(self.param("beta", nn.initializers.constant(beta), ()), 0.0, 1.0)
    if self.learn_threshold:
      threshold = self.param("threshold", nn.initializers.constant(threshold), ())
    return neurons.lif_scan(currents, beta=beta, threshold=threshold, reset=self.reset,
                            surrogate=self.surrogate, detach_reset=self.detach_reset,
                            unroll=self.unroll, v0=v0, backward=self.backward,
                            loops=self.loops)


class Readout(nn.Module):
  """Output layer: last hidden spikes ``[T, B, N]`` -> logits ``[B, classes]``.

  kinds:
    mean_current: non-spiking; ``logits = mean_t (W s[t] + b)``.
    spike_count: spiking output layer; ``logits = sum_t s_out[t]``.
    max_membrane: leaky integrator without reset; ``logits = max_t v[t]`` (fixed
      ``neuron.beta``, also with ``learn_beta``).
    first_spike: spiking output layer; ``logits = -t_first``, where
      ``t_first = sum_t prod_{u<=t} (1 - s_out[u])`` (= T if it never fires).
  """
  num_classes: int
  kind: str = "mean_current"
  lif: Callable[..., nn.Module] = LIF
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, spikes):
    dense = nn.Dense(self.num_classes, dtype=self.dtype, name="dense")
    if self.kind == "mean_current":
      # W mean_t(s) + b == mean_t(W s + b), T times cheaper
      return dense(time_sum(spikes) / spikes.shape[0])
    currents = dense(spikes)
    lif = self.lif(name="lif")
    if self.kind == "max_membrane":
      return neurons.leaky_integrate(currents.astype(jnp.float32), beta=lif.beta).max(axis=0)
    out_spikes, _ = lif(currents)
    if self.kind == "spike_count":
      return time_sum(out_spikes)
    if self.kind == "first_spike":
      not_yet_fired = jnp.cumprod(1.0 - out_spikes, axis=0)
      return -time_sum(not_yet_fired)
    raise ValueError(f"unknown readout {self.kind!r}; choose one of {READOUTS}")


class HiddenStack(nn.Module):
  """The hidden layers on a span of ``C`` time steps, ``x [C, B, ...]``. Each layer applies its
  synapse to all C steps at once (for Conv, time folded into the batch), then the LIF scan
  over them from its carried membrane.

  ``((membranes, counts), x) -> ((membranes, counts), spikes)``: one membrane ``[B, ...]`` and
  one count ``[B, N_l]`` per layer (None before the first span: zero membranes, no counts),
  passed on with this span's last membranes and its spikes added; ``spikes`` are the last
  layer's ``[C, B, N]``. Layers ``0 .. num_conv - 1`` are Conv, the rest Dense (flattened
  between). Built by :func:`hidden_spikes`, which keeps the parameters in the model's scope.
  """
  synapses: Sequence[Callable[..., nn.Module]]  # nn.Conv / nn.Dense with their options bound
  num_conv: int
  lif: Callable[..., nn.Module]

  @nn.compact
  def __call__(self, carry, x):
    membranes, counts = carry
    num_steps, batch = x.shape[:2]
    h, carried = x, ([], [])
    for l, synapse in enumerate(self.synapses):
      if l < self.num_conv:
        currents = synapse(name=f"Conv_{l}")(h.reshape((num_steps * batch,) + h.shape[2:]))
        currents = currents.reshape((num_steps, batch) + currents.shape[1:])
      else:  # Dense acts on the last axis: no fold, so a sharded batch axis stays put
        h = h.reshape(num_steps, batch, -1)
        currents = synapse(name=f"Dense_{l - self.num_conv}")(h)
      h, v = self.lif(name=f"LIF_{l}")(currents, None if membranes is None else membranes[l])
      n = time_sum(h).reshape(batch, -1)
      carried[0].append(v[-1])
      carried[1].append(n if counts is None else counts[l] + n)
    return tuple(map(tuple, carried)), h


def hidden_spikes(parent: nn.Module, synapses, num_conv: int, x: jax.Array,
                  remat_chunk: int) -> tuple[jax.Array, tuple]:
  """Runs ``parent``'s hidden layers (a :class:`HiddenStack` in its scope) on ``x [T, B, ...]``:
  the last layer's spikes ``[T, B, N]`` and every layer's counts ``[B, N_l]``.

  With ``remat_chunk = C`` the T steps run as T / C spans, each under ``nn.remat``: the
  backward pass keeps only the membranes and counts between spans and recomputes one span's
  traces at a time, so the peak holds ``C`` steps of traces instead of ``T`` (about one more
  forward pass of time).
  """
  if not remat_chunk:
    stack = HiddenStack(synapses, num_conv, parent.lif)
    nn.share_scope(parent, stack)
    (_, counts), spikes = stack((None, None), x)
    return spikes, counts
  num_steps = x.shape[0]
  if num_steps % remat_chunk:
    raise ValueError(f"compute.remat_chunk={remat_chunk} must divide the {num_steps} time steps")
  spans = x.reshape((num_steps // remat_chunk, remat_chunk) + x.shape[1:])
  first = nn.remat(HiddenStack)(synapses, num_conv, parent.lif)
  nn.share_scope(parent, first)
  carry, spikes = first((None, None), spans[0])  # fixes the carry's shapes for the scan
  if len(spans) > 1:
    rest = nn.scan(nn.remat(HiddenStack), variable_broadcast="params",
                   split_rngs={"params": False})(synapses, num_conv, parent.lif)
    nn.share_scope(parent, rest)
    carry, later = rest(carry, spans[1:])
    spikes = jnp.concatenate([spikes, later.reshape((-1,) + later.shape[2:])])
  return spikes, carry[1]


class SpikingMLP(nn.Module):
  """Fully connected SNN: flatten -> [Dense -> LIF] x len(hidden) -> Readout.

  Each Dense acts on all T steps at once (one matmul per layer), then the LIF
  scan runs over time.
  """
  hidden: Sequence[int]
  num_classes: int
  readout: str = "mean_current"
  lif: Callable[..., nn.Module] = LIF
  dtype: Any = jnp.float32  # of the matmuls and spikes; parameters stay float32
  remat_chunk: int = 0      # time steps per recomputed span; 0 = off (see hidden_spikes)

  @nn.compact
  def __call__(self, x):
    num_steps, batch = x.shape[:2]
    synapses = [functools.partial(nn.Dense, width, dtype=self.dtype) for width in self.hidden]
    h, counts = hidden_spikes(self, synapses, 0, x.reshape(num_steps, batch, -1),
                              self.remat_chunk)
    logits = Readout(self.num_classes, self.readout, self.lif, self.dtype)(h)
    return logits.astype(jnp.float32), counts

  def synapse_fanouts(self, input_shape: Sequence[int]) -> list[np.ndarray]:
    """Per-neuron fan-out of the input and of each hidden layer."""
    sizes = [int(np.prod(input_shape))] + list(self.hidden) + [self.num_classes]
    return [np.full(n, fan_out, np.float64) for n, fan_out in zip(sizes[:-1], sizes[1:])]


class SpikingConvNet(nn.Module):
  """Convolutional SNN: [Conv(k, stride) -> LIF] per channel entry, flatten,
  [Dense -> LIF] per ``hidden`` entry, Readout. Convolutions use SAME padding and
  run on all T steps at once (time folded into the batch)."""
  channels: Sequence[int]
  strides: Sequence[int]
  hidden: Sequence[int]
  num_classes: int
  kernel_size: int = 3
  readout: str = "mean_current"
  lif: Callable[..., nn.Module] = LIF
  dtype: Any = jnp.float32  # of the convolutions, matmuls and spikes; parameters stay float32
  remat_chunk: int = 0      # time steps per recomputed span; 0 = off (see hidden_spikes)
  conv: Callable | None = None  # lax.conv_general_dilated or a stand-in (create: per backend)

  @nn.compact
  def __call__(self, x):
    if len(self.channels) != len(self.strides):
      raise ValueError(f"model.channels {tuple(self.channels)} and model.strides "
                       f"{tuple(self.strides)} must have the same length")
    num_steps, batch = x.shape[:2]
    synapses = [functools.partial(nn.Conv, features, (self.kernel_size,) * 2, strides=stride,
                                  padding="SAME", dtype=self.dtype,
                                  conv_general_dilated=self.conv)
                for features, stride in zip(self.channels, self.strides)]
    synapses += [functools.partial(nn.Dense, width, dtype=self.dtype) for width in self.hidden]
    h, counts = hidden_spikes(self, synapses, len(self.channels),
                              x.reshape((num_steps, batch) + _as_image(x.shape[2:])),
                              self.remat_chunk)
    h = h.reshape(num_steps, batch, -1)  # conv spikes when there is no dense layer
    logits = Readout(self.num_classes, self.readout, self.lif, self.dtype)(h)
    return logits.astype(jnp.float32), counts

  def synapse_fanouts(self, input_shape: Sequence[int]) -> list[np.ndarray]:
    """Per-neuron fan-out of the input and of each hidden layer (exact, borders included)."""
    shape = _as_image(tuple(input_shape))
    fanouts = []
    for features, stride in zip(self.channels, self.strides):
      uses = _conv_input_uses(shape[:2], self.kernel_size, stride)  # [H, W]
      fanouts.append(np.repeat(uses[..., None] * features, shape[2], axis=-1).ravel())
      shape = (-(-shape[0] // stride), -(-shape[1] // stride), features)
    sizes = [int(np.prod(shape))] + list(self.hidden) + [self.num_classes]
    fanouts += [np.full(n, fan_out, np.float64) for n, fan_out in zip(sizes[:-1], sizes[1:])]
    return fanouts


def _as_image(shape: tuple) -> tuple:
  """``(H, W)`` or ``(H, W, C)`` -> ``(H, W, C)``."""
  if len(shape) == 2:
    return shape + (1,)
  if len(shape) == 3:
    return shape
  raise ValueError(f"a conv net needs images shaped (H, W) or (H, W, C), got {shape}")


def _conv_input_uses(hw: tuple, kernel_size: int, stride: int) -> np.ndarray:
  """How many output positions of a SAME-padded conv read each input pixel."""
  def total_reads(x):
    kernel = jnp.ones((kernel_size, kernel_size, 1, 1))
    return jax.lax.conv_general_dilated(x, kernel, (stride, stride), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC")).sum()
  return np.asarray(jax.grad(total_reads)(jnp.zeros((1,) + tuple(hw) + (1,))))[0, ..., 0]


def lif_factory(*, beta, threshold, reset, detach_reset, surrogate, surrogate_scale,
                learn_beta, learn_threshold, unroll: int = 1, backward: str = "loop",
                loops: str = "xla") -> Callable[..., nn.Module]:
  """``functools.partial(LIF, ...)`` from the ``config.neuron`` fields, a scan unroll, the
  backward pass and the loops' implementation (``compute.lif_backward``, ``lif_loops``)."""
  if reset not in neurons.RESETS:
    raise ValueError(f"neuron.reset={reset!r}; choose one of {neurons.RESETS}")
  return functools.partial(LIF, beta=beta, threshold=threshold, reset=reset,
                           detach_reset=detach_reset,
                           surrogate=surrogate_lib.get(surrogate, surrogate_scale),
                           learn_beta=learn_beta, learn_threshold=learn_threshold, unroll=unroll,
                           backward=backward, loops=loops)


# compute.unroll = 0 ("auto"): the LIF scan's unroll per backend. GPU: unroll 5 took the
# H100 step (784-256x4-10, T=25, batch 128) from 3.30 to 1.21 ms (25 was worse). CPU: see
# docs/BENCHMARKS.md; unrolling gave no gain there. Other backends: unmeasured, 1.
AUTO_UNROLL = {"cpu": 1, "gpu": 5}
# Conv layers per backend: on a CPU, convolution.conv (the same numbers; its weight gradient
# stays fast inside loops, which lax.conv_general_dilated's is not there); elsewhere flax's
# default, lax.conv_general_dilated.
CONV_BY_BACKEND = {"cpu": convolution.conv}
COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def scan_unroll(unroll: int, backend: str | None = None) -> int:
  """``compute.unroll`` as a ``lax.scan`` unroll: 0 means AUTO_UNROLL of ``backend``
  (default: jax's default backend)."""
  if unroll < 0:
    raise ValueError(f"compute.unroll={unroll}; use an integer >= 1, or 0 for the backend default")
  return unroll or AUTO_UNROLL.get(backend or jax.default_backend(), 1)


def compute_dtype(name: str):
  """The jnp dtype of ``compute.dtype``."""
  if name not in COMPUTE_DTYPES:
    raise ValueError(f"compute.dtype={name!r}; choose one of {sorted(COMPUTE_DTYPES)}")
  return COMPUTE_DTYPES[name]


def create(model_config, neuron_config, num_classes: int, compute_config) -> nn.Module:
  """The model named by ``model_config.name`` ("mlp" or "conv") with the ``config.compute``
  scan unroll, LIF backward pass and loops, dtype and remat chunk, and the conv layers of
  CONV_BY_BACKEND."""
  if model_config.readout not in READOUTS:
    raise ValueError(f"model.readout={model_config.readout!r}; choose one of {READOUTS}")
  lif = lif_factory(**neuron_config, unroll=scan_unroll(compute_config.unroll),
                    backward=compute_config.lif_backward, loops=compute_config.lif_loops)
  dtype = compute_dtype(compute_config.dtype)
  if model_config.name == "mlp":
    return SpikingMLP(tuple(model_config.hidden), num_classes, model_config.readout, lif, dtype,
                      compute_config.remat_chunk)
  if model_config.name == "conv":
    return SpikingConvNet(tuple(model_config.channels), tuple(model_config.strides),
                          tuple(model_config.hidden), num_classes, model_config.kernel_size,
                          model_config.readout, lif, dtype, compute_config.remat_chunk,
                          CONV_BY_BACKEND.get(jax.default_backend()))
  raise ValueError(f"model.name={model_config.name!r}; choose 'mlp' or 'conv'")

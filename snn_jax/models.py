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

  @nn.compact
  def __call__(self, currents):
    beta, threshold = self.beta, self.threshold
    if self.learn_beta:
      beta = jnp.clip(self.param("beta", nn.initializers.constant(beta), ()), 0.0, 1.0)
    if self.learn_threshold:
      threshold = self.param("threshold", nn.initializers.constant(threshold), ())
    return neurons.lif_scan(currents, beta=beta, threshold=threshold, reset=self.reset,
                            surrogate=self.surrogate, detach_reset=self.detach_reset,
                            unroll=self.unroll)


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


class SpikingLayer(nn.Module):
  """One hidden layer, ``x [T, B, ...] -> spikes [T, B, ...]``: a synapse (Dense or Conv) on
  all T steps at once (for Conv, time folded into the batch), then the LIF scan over time.

  Built by :func:`hidden_layer`, which puts its parameters in the parent's scope under
  ``synapse_name`` / ``lif_name``, so the parameter tree is the same with or without remat.
  """
  synapse: Callable[..., nn.Module]  # nn.Dense or nn.Conv with its options bound
  lif: Callable[..., nn.Module]
  synapse_name: str
  lif_name: str

  @nn.compact
  def __call__(self, x):
    num_steps, batch = x.shape[:2]
    synapse = self.synapse(name=self.synapse_name)
    if x.ndim == 3:  # Dense acts on the last axis: no fold, so a sharded batch axis stays put
      currents = synapse(x)
    else:
      currents = synapse(x.reshape((num_steps * batch,) + x.shape[2:]))
      currents = currents.reshape((num_steps, batch) + currents.shape[1:])
    spikes, _ = self.lif(name=self.lif_name)(currents)
    return spikes


def hidden_layer(parent: nn.Module, synapse, synapse_name: str, lif_name: str,
                 remat: bool) -> SpikingLayer:
  """A :class:`SpikingLayer` sharing ``parent``'s scope. With ``remat`` the layer keeps only
  its input for the backward pass and recomputes its currents, membranes and spikes there
  (``nn.remat``), so the peak holds one layer's ``[T, B, N]`` traces, not every layer's."""
  layer = (nn.remat(SpikingLayer) if remat else SpikingLayer)(synapse, parent.lif, synapse_name,
                                                               lif_name)
  nn.share_scope(parent, layer)
  return layer


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
  remat: bool = False       # see hidden_layer

  @nn.compact
  def __call__(self, x):
    num_steps, batch = x.shape[:2]
    h = x.reshape(num_steps, batch, -1)
    counts = []
    for i, width in enumerate(self.hidden):
      dense = functools.partial(nn.Dense, width, dtype=self.dtype)
      h = hidden_layer(self, dense, f"Dense_{i}", f"LIF_{i}", self.remat)(h)
      counts.append(time_sum(h))
    logits = Readout(self.num_classes, self.readout, self.lif, self.dtype)(h)
    return logits.astype(jnp.float32), tuple(counts)

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
  remat: bool = False       # see hidden_layer

  @nn.compact
  def __call__(self, x):
    if len(self.channels) != len(self.strides):
      raise ValueError(f"model.channels {tuple(self.channels)} and model.strides "
                       f"{tuple(self.strides)} must have the same length")
    num_steps, batch = x.shape[:2]
    h = x.reshape((num_steps, batch) + _as_image(x.shape[2:]))
    counts = []
    for i, (features, stride) in enumerate(zip(self.channels, self.strides)):
      conv = functools.partial(nn.Conv, features, (self.kernel_size,) * 2, strides=stride,
                               padding="SAME", dtype=self.dtype)
      h = hidden_layer(self, conv, f"Conv_{i}", f"LIF_{i}", self.remat)(h)
      counts.append(time_sum(h).reshape(batch, -1))
    h = h.reshape(num_steps, batch, -1)
    for j, width in enumerate(self.hidden):
      dense = functools.partial(nn.Dense, width, dtype=self.dtype)
      h = hidden_layer(self, dense, f"Dense_{j}", f"LIF_{len(self.channels) + j}", self.remat)(h)
      counts.append(time_sum(h))
    logits = Readout(self.num_classes, self.readout, self.lif, self.dtype)(h)
    return logits.astype(jnp.float32), tuple(counts)

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
                learn_beta, learn_threshold, unroll: int = 1) -> Callable[..., nn.Module]:
  """``functools.partial(LIF, ...)`` from the ``config.neuron`` fields and a scan unroll."""
  if reset not in neurons.RESETS:
    raise ValueError(f"neuron.reset={reset!r}; choose one of {neurons.RESETS}")
  return functools.partial(LIF, beta=beta, threshold=threshold, reset=reset,
                           detach_reset=detach_reset,
                           surrogate=surrogate_lib.get(surrogate, surrogate_scale),
                           learn_beta=learn_beta, learn_threshold=learn_threshold, unroll=unroll)


# compute.unroll = 0 ("auto"): the LIF scan's unroll per backend. GPU: unroll 5 took the
# H100 step (784-256x4-10, T=25, batch 128) from 3.30 to 1.21 ms (25 was worse). CPU: see
# docs/BENCHMARKS.md; unrolling gave no gain there. Other backends: unmeasured, 1.
AUTO_UNROLL = {"cpu": 1, "gpu": 5}
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
  scan unroll, dtype and remat."""
  if model_config.readout not in READOUTS:
    raise ValueError(f"model.readout={model_config.readout!r}; choose one of {READOUTS}")
  lif = lif_factory(**neuron_config, unroll=scan_unroll(compute_config.unroll))
  dtype = compute_dtype(compute_config.dtype)
  if model_config.name == "mlp":
    return SpikingMLP(tuple(model_config.hidden), num_classes, model_config.readout, lif, dtype,
                      compute_config.remat)
  if model_config.name == "conv":
    return SpikingConvNet(tuple(model_config.channels), tuple(model_config.strides),
                          tuple(model_config.hidden), num_classes, model_config.kernel_size,
                          model_config.readout, lif, dtype, compute_config.remat)
  raise ValueError(f"model.name={model_config.name!r}; choose 'mlp' or 'conv'")

"""Discrete-time leaky integrate-and-fire dynamics, time-major ``[T, ...]``.

    v[t] = beta * v[t-1] + I[t]                  (v[-1] = 0)
    s[t] = H(v[t] - theta)
    v[t] <- v[t] - theta * s[t]     reset "subtract"
    v[t] <- v[t] * (1 - s[t])       reset "zero"

With a detached subtract reset (the default) the forward pass writes each step's membrane
over that step's current, in place (one fused update per step, no stacked outputs), and the
backward pass is linear in time,

    G[t] = e[t] + beta G[t+1],   dL/dI[t] = G[t],   e[t] = H'(x[t]) dL/ds[t] + dL/dv[t],

run as a reverse loop in place (``backward="loop"``) or as a product with the ``[T, T]``
matrix ``beta^(u - t)`` (u >= t), one matmul per block of up to ``BACKWARD_BLOCK`` steps
(``backward="matmul"``). With ``loops="pallas"`` both loops run as one Pallas kernel each
(:mod:`snn_jax.lif_kernels`, for GPUs). Other resets and per-neuron beta or threshold run a
``lax.scan`` that JAX differentiates.
"""
import functools

import jax
import jax.numpy as jnp

from snn_jax import lif_kernels
from snn_jax import surrogate as surrogate_lib

RESETS = ("subtract", "zero")
BACKWARDS = ("loop", "matmul")
LOOPS = ("xla", "pallas")
BACKWARD_BLOCK = 32  # time steps per matmul of the detached-subtract backward pass


def lif_scan(currents: jax.Array, *, beta, threshold=1.0, reset: str = "subtract",
             surrogate: surrogate_lib.SpikeFn | None = None, detach_reset: bool = True,
             unroll: int = 1, v0: jax.Array | None = None,
             backward: str = "loop", loops: str = "xla") -> tuple[jax.Array, jax.Array]:
  """Runs LIF neurons over the leading time axis of ``currents``.

  Args:
    currents: input currents ``I``, shape ``[T, ...]``.
    beta: membrane decay; a scalar or an array broadcastable to ``currents[0]``.
    threshold: firing threshold ``theta`` (scalar or broadcastable array).
    reset: ``"subtract"`` or ``"zero"``.
    surrogate: spike function with a surrogate gradient (default fast sigmoid, k=10).
    detach_reset: if True the reset term uses ``stop_gradient(s)``, so no gradient
      flows through the reset.
    unroll: unroll factor of the time loops (speed only).
    v0: the membrane before the first step (default 0), shaped like ``currents[0]``; a
      run split into spans of time continues by passing on each span's last membrane.
    backward: how the detached subtract reset with scalar beta and threshold runs its
      backward pass: "loop" or "matmul" (module docstring); the same gradients up to
      rounding. Other neurons ignore it.
    loops: how that neuron runs its time loops: "xla" (``lax.fori_loop``) or "pallas" (one
      kernel per loop; a GPU's, else Pallas' slow interpreter); the same values up to
      rounding. Other neurons ignore it.

  Returns:
    ``(spikes, membrane)``, both shaped like ``currents``; ``membrane`` is the
    potential after the reset of each step (the state carried to the next step).
    The membrane runs in at least float32 (a bfloat16 membrane loses the decay's small
    steps); the spikes, exactly 0/1, come back in the dtype of ``currents``.
  """
  if reset not in RESETS:
    raise ValueError(f"unknown reset {reset!r}; choose one of {RESETS}")
  if backward not in BACKWARDS:
    raise ValueError(f"unknown backward {backward!r}; choose one of {BACKWARDS}")
  if loops not in LOOPS:
    raise ValueError(f"unknown loops {loops!r}; choose one of {LOOPS}")
  spike_fn = surrogate or surrogate_lib.fast_sigmoid()

  state_dtype = jnp.promote_types(currents.dtype, jnp.float32)
  shape = jnp.broadcast_shapes(currents.shape[1:], jnp.shape(beta), jnp.shape(threshold))
  v0 = jnp.zeros(shape, state_dtype) if v0 is None else jnp.broadcast_to(v0, shape).astype(
      state_dtype)
  if (reset == "subtract" and detach_reset and jnp.ndim(beta) == 0
      and jnp.ndim(threshold) == 0 and currents.shape[1:] == shape):
    return _detached_subtract(spike_fn, unroll, backward, loops, currents,
                              jnp.asarray(beta, state_dtype), jnp.asarray(threshold, state_dtype),
                              v0)

  # The scan stacks x = v - theta and the spikes are taken from it afterwards, on all steps at
  # once: the same values, but with a detached reset no surrogate sits inside the loop.
  def step(v, current):
    v = beta * v + current
    x = v - threshold
    r = spike_fn(x)
    r = jax.lax.stop_gradient(r) if detach_reset else r
    v = v - threshold * r if reset == "subtract" else v * (1.0 - r)
    return v, (x, v)

  _, (x, membrane) = jax.lax.scan(step, v0, currents, unroll=unroll)
  return spike_fn(x).astype(currents.dtype), membrane


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3))
def _detached_subtract(spike_fn, unroll, backward, loops, currents, beta, threshold, v0):
  """lif_scan with a detached subtract reset and scalar beta and threshold."""
  return _detached_subtract_fwd(spike_fn, unroll, backward, loops, currents, beta, threshold,
                                v0)[0]


def _detached_subtract_fwd(spike_fn, unroll, backward, loops, currents, beta, threshold, v0):
  del backward
  if loops == "pallas":
    v = lif_kernels.membranes(currents, beta, threshold, v0)
  else:
    v = _membranes_in_place(spike_fn, unroll, currents.astype(v0.dtype), beta, threshold, v0)
  spikes = spike_fn(v - threshold)
  return (spikes.astype(currents.dtype), v - threshold * spikes), (v, beta, threshold, v0)


def _membranes_in_place(spike_fn, unroll, currents, beta, threshold, v0):
  """The membranes before the reset, ``v[t] = beta (v[t-1] - theta s[t-1]) + I[t]``, each
  written over ``I[t]``: a loop whose step is one fused in-place update."""
  v = currents.at[0].set(beta * v0 + currents[0])

  def step(t, v):
    before = jax.lax.dynamic_index_in_dim(v, t - 1, keepdims=False)
    after_reset = before - threshold * spike_fn(before - threshold)
    now = beta * after_reset + jax.lax.dynamic_index_in_dim(v, t, keepdims=False)
    return jax.lax.dynamic_update_index_in_dim(v, now, t, 0)

  return jax.lax.fori_loop(1, currents.shape[0], step, v, unroll=unroll)


def _detached_subtract_bwd(spike_fn, unroll, backward, loops, residuals, grads):
  """Gradients w.r.t. currents, beta, threshold and v0 from those of spikes and membranes."""
  v, beta, threshold, v0 = residuals
  g_spikes, g_membrane = grads
  spikes, pull = jax.vjp(spike_fn, v - threshold)
  d_x = pull(g_spikes.astype(v.dtype))[0]
  e = d_x + g_membrane
  if backward == "matmul":  # g = dL/dv[t] before the reset
    g = _discounted_future_sums(e, beta)
  elif loops == "pallas":
    g = lif_kernels.discounted_future_sums(e, beta)
  else:
    g = _discounted_future_sums_in_place(e, beta, unroll)
  previous = jnp.concatenate([v0[None], v[:-1] - threshold * spikes[:-1]])  # after the reset
  d_beta = jnp.sum(g * previous)
  d_threshold = -jnp.sum(d_x) - jnp.sum(spikes * (g - d_x))  # via x, and via the reset
  # the spikes, and so their cotangent, have the dtype of the currents
  return g.astype(g_spikes.dtype), d_beta, d_threshold, beta * g[0]


_detached_subtract.defvjp(_detached_subtract_fwd, _detached_subtract_bwd)


def _discounted_future_sums_in_place(e: jax.Array, beta: jax.Array, unroll: int) -> jax.Array:
  """``G[t] = e[t] + beta G[t+1]`` over the leading axis of ``e``, each ``G[t]`` written over
  ``e[t]``, last step first."""
  last = e.shape[0] - 1

  def step(i, g):
    t = last - 1 - i
    later = jax.lax.dynamic_index_in_dim(g, t + 1, keepdims=False)
    now = jax.lax.dynamic_index_in_dim(g, t, keepdims=False) + beta * later
    return jax.lax.dynamic_update_index_in_dim(g, now, t, 0)

  return jax.lax.fori_loop(0, last, step, e, unroll=unroll)


def _discounted_future_sums(e: jax.Array, beta: jax.Array) -> jax.Array:
  """``G[t] = sum_{u >= t} beta^(u - t) e[u]`` over the leading axis of ``e`` ``[T, ...]``:
  one ``[C, C]`` matmul per block of C <= BACKWARD_BLOCK steps, the blocks joined by a reverse
  scan that carries ``G`` at each block's first step."""
  num_steps, rest = e.shape[0], e.shape[1:]
  block = min(num_steps, BACKWARD_BLOCK)
  num_blocks = -(-num_steps // block)
  lag = jnp.arange(block)[None, :] - jnp.arange(block)[:, None]  # u - t
  powers = jnp.where(lag >= 0, beta ** jnp.maximum(lag, 0).astype(beta.dtype), 0.0)
  if num_blocks == 1:
    return jax.lax.dot_general(powers, e, (((1,), (0,)), ((), ())),
                               precision=jax.lax.Precision.HIGHEST)
  e = jnp.pad(e.reshape(num_steps, -1), ((0, num_blocks * block - num_steps), (0, 0)))
  within = jnp.einsum("tu,buk->btk", powers, e.reshape(num_blocks, block, -1),
                      precision=jax.lax.Precision.HIGHEST)
  to_next = beta ** (block - jnp.arange(block)).astype(beta.dtype)  # t -> next block's start

  def join(later_first, block_sums):
    sums = block_sums + to_next[:, None] * later_first
    return sums[0], sums

  _, sums = jax.lax.scan(join, jnp.zeros_like(within[0, 0]), within, reverse=True)
  return sums.reshape(-1, *rest)[:num_steps]


def leaky_integrate(currents: jax.Array, *, beta) -> jax.Array:
  """Non-spiking leaky integrator ``v[t] = beta * v[t-1] + I[t]``, shape ``[T, ...]``."""

  def step(v, current):
    v = beta * v + current
    return v, v

  _, membrane = jax.lax.scan(step, jnp.zeros_like(currents[0]), currents)
  return membrane

"""Discrete-time leaky integrate-and-fire dynamics, time-major ``[T, ...]``.

    v[t] = beta * v[t-1] + I[t]                  (v[-1] = 0)
    s[t] = H(v[t] - theta)
    v[t] <- v[t] - theta * s[t]     reset "subtract"
    v[t] <- v[t] * (1 - s[t])       reset "zero"
"""
import jax
import jax.numpy as jnp

from snn_jax import surrogate as surrogate_lib

RESETS = ("subtract", "zero")


def lif_scan(currents: jax.Array, *, beta, threshold=1.0, reset: str = "subtract",
             surrogate: surrogate_lib.SpikeFn | None = None, detach_reset: bool = True,
             unroll: int = 1, v0: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
  """Runs LIF neurons over the leading time axis of ``currents``.

  Args:
    currents: input currents ``I``, shape ``[T, ...]``.
    beta: membrane decay; a scalar or an array broadcastable to ``currents[0]``.
    threshold: firing threshold ``theta`` (scalar or broadcastable array).
    reset: ``"subtract"`` or ``"zero"``.
    surrogate: spike function with a surrogate gradient (default fast sigmoid, k=10).
    detach_reset: if True the reset term uses ``stop_gradient(s)``, so no gradient
      flows through the reset.
    unroll: ``lax.scan`` unroll factor (speed only).
    v0: the membrane before the first step (default 0), shaped like ``currents[0]``; a
      run split into spans of time continues by passing on each span's last membrane.

  Returns:
    ``(spikes, membrane)``, both shaped like ``currents``; ``membrane`` is the
    potential after the reset of each step (the state carried to the next step).
    The membrane runs in at least float32 (a bfloat16 membrane loses the decay's small
    steps); the spikes, exactly 0/1, come back in the dtype of ``currents``.
  """
  if reset not in RESETS:
    raise ValueError(f"unknown reset {reset!r}; choose one of {RESETS}")
  spike_fn = surrogate or surrogate_lib.fast_sigmoid()

  # The scan stacks x = v - theta and the spikes are taken from it afterwards, on all steps at
  # once: the same values, but with a detached reset no surrogate sits inside the loop, so
  # (reset "subtract") its gradient is a linear recurrence without per-step residuals.
  def step(v, current):
    v = beta * v + current
    x = v - threshold
    r = spike_fn(x)
    r = jax.lax.stop_gradient(r) if detach_reset else r
    v = v - threshold * r if reset == "subtract" else v * (1.0 - r)
    return v, (x, v)

  state_dtype = jnp.promote_types(currents.dtype, jnp.float32)
  shape = jnp.broadcast_shapes(currents.shape[1:], jnp.shape(beta), jnp.shape(threshold))
  v0 = jnp.zeros(shape, state_dtype) if v0 is None else jnp.broadcast_to(v0, shape).astype(
      state_dtype)
  _, (x, membrane) = jax.lax.scan(step, v0, currents, unroll=unroll)
  return spike_fn(x).astype(currents.dtype), membrane


def leaky_integrate(currents: jax.Array, *, beta) -> jax.Array:
  """Non-spiking leaky integrator ``v[t] = beta * v[t-1] + I[t]``, shape ``[T, ...]``."""

  def step(v, current):
    v = beta * v + current
    return v, v

  _, membrane = jax.lax.scan(step, jnp.zeros_like(currents[0]), currents)
  return membrane

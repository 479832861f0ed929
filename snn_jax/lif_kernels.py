"""The two time loops of the default LIF neuron as Pallas kernels (Triton, for GPUs).

The detached subtract reset with scalar beta and threshold (:mod:`snn_jax.neurons`) needs
two loops over time, the forward membranes and the backward pass's discounted sums:

    v[t] = beta (v[t-1] - theta H(v[t-1] - theta)) + I[t]      (the first step: beta v0 + I[0])
    G[t] = e[t] + beta G[t+1]                                   (G[T-1] = e[T-1])

Under XLA each loop runs T iterations of a few kernel launches each. Here each loop is one
kernel: the neurons are flattened to ``M`` and padded to a multiple of ``BLOCK``; program
``i`` owns neurons ``[i BLOCK, (i + 1) BLOCK)`` and walks its T steps with their state in
registers, writing each step's result over its input. Off a GPU the kernels run in Pallas'
interpreter (slow: for tests).
"""
import functools
import math

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as pltriton

from snn_jax import surrogate

BLOCK = 128  # neurons per program (a power of two, as Triton's blocks must be): one per
             # thread of its 4 warps, and 256 programs for a [128, 256] layer


def membranes(currents: jax.Array, beta: jax.Array, threshold: jax.Array,
              v0: jax.Array) -> jax.Array:
  """The membranes before each step's reset, ``[T, ...]`` in ``v0``'s dtype (the equation
  above; ``H`` is every spike function's forward pass, :func:`snn_jax.surrogate.heaviside`)."""

  def kernel(i_ref, v0_ref, p_ref, v_ref, *, num_steps, block):
    neurons = pl.ds(pl.program_id(0) * block, block)
    beta, threshold = p_ref[0], p_ref[1]

    def step(t, after_reset):
      now = beta * after_reset + i_ref[t, neurons].astype(after_reset.dtype)
      v_ref[t, neurons] = now
      return now - threshold * surrogate.heaviside(now - threshold)

    jax.lax.fori_loop(0, num_steps, step, v0_ref[neurons])

  params = jnp.stack([beta, threshold]).astype(v0.dtype)
  return _per_neuron(kernel, currents, v0.dtype, v0, params)


def discounted_future_sums(e: jax.Array, beta: jax.Array) -> jax.Array:
  """``G[t] = sum_{u >= t} beta^(u - t) e[u]`` over the leading axis of ``e``, last step
  first."""

  def kernel(e_ref, p_ref, g_ref, *, num_steps, block):
    neurons = pl.ds(pl.program_id(0) * block, block)
    beta = p_ref[0]

    def step(i, later):
      t = num_steps - 1 - i
      now = e_ref[t, neurons] + beta * later
      g_ref[t, neurons] = now
      return now

    jax.lax.fori_loop(0, num_steps, step, jnp.zeros((block,), e_ref.dtype))

  params = jnp.stack([beta, beta]).astype(e.dtype)  # a pair: Triton blocks are powers of two
  return _per_neuron(kernel, e, e.dtype, None, params)


def _per_neuron(kernel, series: jax.Array, out_dtype, v0: jax.Array | None,
                params: jax.Array) -> jax.Array:
  """Runs ``kernel`` on ``series [T, ...]`` flattened to ``[T, M]`` (and ``v0`` to ``[M]``),
  one program per block of neurons; returns ``[T, ...]`` in ``out_dtype``, written over
  ``series`` where the dtypes agree (as the XLA loops do)."""
  num_steps, shape = series.shape[0], series.shape[1:]
  size = math.prod(shape)
  block = min(BLOCK, pl.next_power_of_2(size))
  padded = pl.cdiv(size, block) * block
  pad = ((0, 0), (0, padded - size))
  inputs = [jnp.pad(series.reshape(num_steps, size), pad)]
  if v0 is not None:
    inputs.append(jnp.pad(v0.reshape(size), pad[1:]))
  out = pl.pallas_call(
      functools.partial(kernel, num_steps=num_steps, block=block),
      out_shape=jax.ShapeDtypeStruct((num_steps, padded), out_dtype),
      grid=(padded // block,),
      interpret=jax.default_backend() != "gpu",
      input_output_aliases={0: 0} if series.dtype == out_dtype else {},
      compiler_params=pltriton.CompilerParams(num_warps=4),
  )(*inputs, params)
  return out[:, :size].reshape((num_steps,) + shape)

"""Data-calibrated initialisation: rescale each hidden layer's weights until the untrained net
fires a set number of spikes per neuron (``model.init_spikes``).

With sparse inputs (latency code: at most one spike per pixel) and LeCun-normal kernels, a
deep net can be silent from its first step: no spike, no surrogate gradient, no training.
Here, layer by layer from the input, the kernel and bias of hidden layer ``l`` are multiplied
by a gain ``g_l`` found by bisection on ``log2 g_l`` in ``[-GAIN_OCTAVES, GAIN_OCTAVES]`` so
that, on a batch of encoded training inputs and with the gains of layers ``< l`` fixed,

    mean over samples and neurons of n[l, b, i] = target.

The spike count grows with the gain (the currents scale with it), so bisection applies: each
layer gets the smallest gain, to within 2^-12 octaves, at which it fired at least the target
(counts are whole numbers and binary inputs tie, so a layer can land a few percent off it);
one that cannot reach the target keeps the range's end. The whole search is one compiled program.
"""
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

GAIN_OCTAVES = 8    # gains searched in [2^-8, 2^8]
BISECTIONS = 16     # log2 g to within 2^-12 octaves


def hidden_synapse_names(params: dict) -> list[str]:
  """The hidden layers' synapse scopes in order: ``Conv_0 ..``, then ``Dense_0 ..`` (the
  readout's own Dense sits under ``Readout_0`` and is left alone)."""
  def numbered(prefix):
    names = [k for k in params if k.startswith(prefix + "_") and k[len(prefix) + 1:].isdigit()]
    return sorted(names, key=lambda k: int(k[len(prefix) + 1:]))
  return numbered("Conv") + numbered("Dense")


def calibrate(model: nn.Module, params: dict, x: jax.Array, target: float) -> dict:
  """``params`` with every hidden synapse scaled so its layer fires ``target`` spikes per
  neuron and sample on ``x [T, B, ...]`` (see the module docstring). Compiled once per model
  and shapes: the members of a sweep share the program."""
  return _calibrated(model, params, x, jnp.float32(target))


@functools.partial(jax.jit, static_argnames="model")
def _calibrated(model, params, x, target):
  names = hidden_synapse_names(params)

  def scaled(log2_gains):
    out = dict(params)
    for layer, name in enumerate(names):
      out[name] = jax.tree.map(lambda w, l=layer: w * jnp.exp2(log2_gains[l]), params[name])
    return out

  def mean_count(log2_gains, layer):
    _, counts = model.apply({"params": scaled(log2_gains)}, x)
    return jnp.stack([n.mean() for n in counts])[layer]

  def fit_layer(layer, log2_gains):
    def halve(_, bounds):
      low, high = bounds
      mid = (low + high) / 2
      below = mean_count(log2_gains.at[layer].set(mid), layer) < target
      return jnp.where(below, mid, low), jnp.where(below, high, mid)
    _, high = jax.lax.fori_loop(0, BISECTIONS, halve,
                                (jnp.float32(-GAIN_OCTAVES), jnp.float32(GAIN_OCTAVES)))
    return log2_gains.at[layer].set(high)

  return scaled(jax.lax.fori_loop(0, len(names), fit_layer, jnp.zeros(len(names))))

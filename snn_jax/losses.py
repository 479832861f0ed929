"""The loss pytree: cross-entropy plus three spike-count terms, each reported on its own.

With ``n[l, b, i]`` the spike count of neuron ``i`` of hidden layer ``l`` on sample ``b``
and ``N_l`` the width of layer ``l``:

    ce        = mean_b CE(logits_b, y_b)
    excess    = sum_l w_l mean_b (1/N_l) sum_i max(0, n[l,b,i] - k)      (k free spikes)
    all_spike = sum_l w_l mean_b (1/N_l) sum_i n[l,b,i]
    silence   = sum_l mean_i max(0, r_min - mean_b n[l,b,i])^2
    total     = ce + lambda_excess excess + lambda_all all_spike + lambda_silence silence
"""
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import optax

# penalty term -> the name of its weight (the config key in phase1 / phase2, the sweep axis)
LAMBDAS = {"excess": "lambda_excess", "all_spike": "lambda_all", "silence": "lambda_silence"}
LAMBDA_NAMES = tuple(LAMBDAS.values())


def check_counts(counts: Sequence[jax.Array]) -> None:
  """Raises ``ValueError`` unless ``counts`` is a non-empty sequence of ``[B, N_l]`` arrays."""
  if not counts:
    raise ValueError("spike counts are empty: the network needs at least one hidden layer")
  batch = counts[0].shape[0] if counts[0].ndim else None
  for l, n in enumerate(counts):
    if n.ndim != 2 or n.shape[0] != batch:
      raise ValueError(f"spike counts of layer {l} have shape {n.shape}; expected "
                       f"[batch={batch}, neurons] (sum the [T, B, ...] spikes over time and "
                       "flatten the neuron axes)")


def spike_penalties(counts: Sequence[jax.Array], *, free_spikes: float = 1.0,
                    layer_weights: Sequence[float] | None = None, r_min: float = 1.0,
                    squared_excess: bool = False) -> dict[str, jax.Array]:
  """The ``excess``, ``all_spike`` and ``silence`` terms for per-layer counts ``[B, N_l]``.

  ``squared_excess`` uses ``max(0, n - k)^2`` in place of ``max(0, n - k)``.
  """
  check_counts(counts)
  if layer_weights is None or len(layer_weights) == 0:
    layer_weights = (1.0,) * len(counts)
  if len(layer_weights) != len(counts):
    raise ValueError(f"loss.layer_weights has {len(layer_weights)} entries for "
                     f"{len(counts)} hidden layers")
  excess = all_spike = silence = 0.0
  for w, n in zip(layer_weights, counts):
    # where, not maximum: a neuron at exactly k spikes must get no gradient (maximum gives 1/2)
    over = jnp.where(n > free_spikes, n - free_spikes, 0.0)
    # the mean over b and i is mean_b (1/N) sum_i
    excess += w * jnp.mean(over ** 2 if squared_excess else over)
    all_spike += w * jnp.mean(n)
    silence += jnp.mean(jnp.maximum(0.0, r_min - n.mean(axis=0)) ** 2)
  return {"excess": excess, "all_spike": all_spike, "silence": silence}


def options_from_config(loss_config) -> dict:
  """Keyword options of :func:`spike_penalties` from ``config.loss``."""
  return dict(free_spikes=loss_config.free_spikes, layer_weights=tuple(loss_config.layer_weights),
              r_min=loss_config.r_min, squared_excess=loss_config.squared_excess)


def loss_terms(logits: jax.Array, labels: jax.Array, counts: Sequence[jax.Array],
               **penalty_options) -> dict[str, jax.Array]:
  """``{"ce", "excess", "all_spike", "silence"}``; options go to :func:`spike_penalties`."""
  ce = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
  return {"ce": ce, **spike_penalties(counts, **penalty_options)}


def total_loss(terms: Mapping[str, jax.Array], lambdas: Mapping[str, jax.Array]) -> jax.Array:
  """``ce + lambda_excess excess + lambda_all all_spike + lambda_silence silence``.

  ``lambdas`` maps the names ``lambda_excess``, ``lambda_all``, ``lambda_silence`` to weights.
  """
  return terms["ce"] + sum(lambdas[name] * terms[term] for term, name in LAMBDAS.items())

"""Input encodings: images with intensities ``p`` in ``[0, 1]`` -> ``[T, batch, ...]``.

Every encoder has the signature ``(images, num_steps, *, key, **options)``; the
deterministic ones ignore ``key``. Pick one by name with :func:`get`.
"""
import functools

import jax
import jax.numpy as jnp


def rate(images: jax.Array, num_steps: int, *, key: jax.Array, max_rate: float = 1.0) -> jax.Array:
  """Poisson-like rate code: ``x[t] ~ Bernoulli(p * max_rate)``, independent per step."""
  probs = jnp.clip(images * max_rate, 0.0, 1.0)
  return jax.random.bernoulli(key, probs, (num_steps,) + images.shape).astype(images.dtype)


def latency(images: jax.Array, num_steps: int, *, key: jax.Array | None = None,
            p_min: float = 0.2) -> jax.Array:
  """Time-to-first-spike code: one spike at ``t = round((1 - p) (T - 1))``, none if ``p < p_min``.

  Brighter pixels spike earlier; each input emits at most one spike.
  """
  del key
  fire_time = jnp.round((1.0 - images) * (num_steps - 1))
  steps = jnp.arange(num_steps).reshape((num_steps,) + (1,) * images.ndim)
  return ((steps == fire_time) & (images >= p_min)).astype(images.dtype)


def direct(images: jax.Array, num_steps: int, *, key: jax.Array | None = None) -> jax.Array:
  """Constant current: ``x[t] = p`` for every step."""
  del key
  return jnp.broadcast_to(images, (num_steps,) + images.shape)


ENCODERS = {"rate": rate, "latency": latency, "direct": direct}
IS_SPIKING = {"rate": True, "latency": True, "direct": False}


def get(name: str, num_steps: int, **options):
  """The encoder ``name`` with ``num_steps`` and its options bound: ``f(images, key=key)``."""
  if name not in ENCODERS:
    raise ValueError(f"unknown encoding {name!r}; choose one of {sorted(ENCODERS)}")
  if num_steps < 1:
    raise ValueError(f"encoding.num_steps must be >= 1, got {num_steps}")
  return functools.partial(ENCODERS[name], num_steps=num_steps, **options)

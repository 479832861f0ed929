"""Input encodings: images -> ``[T, batch, ...]`` spike trains or currents.

Images are uint8 (intensity ``p = pixel / 255``) or floats already in ``[0, 1]``.
Every encoder has the signature ``(images, num_steps, *, key, **options)``; the
deterministic ones ignore ``key``. Pick one by name with :func:`get`. Spike trains are
bool (a byte per spike: what a remat span keeps of them is a quarter of float32's); the
first synapse casts them to its compute dtype.
"""
import functools
import math

import jax
import jax.numpy as jnp

RATE_BITS = (8, 16)


def intensities(images: jax.Array) -> jax.Array:
  """``p`` in ``[0, 1]``: uint8 pixels -> float32 ``pixel / 255``; floats pass through."""
  if images.dtype == jnp.uint8:
    return images.astype(jnp.float32) / 255.0
  return images


def uniform_bits(key: jax.Array, shape: tuple, bits: int) -> jax.Array:
  """Independent uniform integers on ``{0, ..., 2**bits - 1}``, as uint32, shaped ``shape``.

  Each 32-bit word of ``jax.random.bits`` is split into ``32 // bits`` draws along the last
  axis, so 8-bit draws cost a quarter of the random words (jax's threefry spends a full word
  on every draw of any width). The leading axes keep their place, so a batch axis sharded
  over devices stays sharded and each device draws only its own rows.
  """
  per_word = 32 // bits
  *lead, last = shape
  words = jax.random.bits(key, (*lead, -(-last // per_word)), jnp.uint32)
  draws = jax.lax.bitcast_convert_type(words, jnp.dtype(f"uint{bits}"))  # [..., words, per_word]
  return draws.reshape(*lead, -1)[..., :last].astype(jnp.uint32)


def rate(images: jax.Array, num_steps: int, *, key: jax.Array, max_rate: float = 1.0,
         bits: int = 8) -> jax.Array:
  """Rate code: ``x[t] = 1{u[t] < q}`` with ``u[t]`` uniform on ``{0, ..., 2^b - 1}``,
  independent per step and pixel, and ``q = round(2^b clip(p * max_rate, 0, 1))``.

  So ``P(x[t] = 1) = q / 2^b``, within ``2^-(b+1)`` of ``p * max_rate`` (b = 8: 0.002;
  b = 16: 7.6e-6); ``p * max_rate >= 1`` fires every step and ``p = 0`` never. Returns bool.
  """
  if bits not in RATE_BITS:
    raise ValueError(f"encoding.rate_bits={bits}; choose one of {RATE_BITS}")
  probs = jnp.clip(intensities(images).astype(jnp.float32) * max_rate, 0.0, 1.0)
  levels = jnp.round(probs * 2.0 ** bits).astype(jnp.uint32)
  # Drawn per sample as one flat row: packing the draws along a short last axis (an image's
  # 28 columns) takes 2.4x as long on the CPU as along its 784 pixels.
  rows = images.shape[:1] + (math.prod(images.shape[1:]),) if images.ndim > 1 else images.shape
  draws = uniform_bits(key, (num_steps,) + rows, bits).reshape((num_steps,) + images.shape)
  return draws < levels


def latency(images: jax.Array, num_steps: int, *, key: jax.Array | None = None,
            p_min: float = 0.2) -> jax.Array:
  """Time-to-first-spike code: one spike at ``t = round((1 - p) (T - 1))``, none if ``p < p_min``.

  Brighter pixels spike earlier; each input emits at most one spike. Returns bool.
  """
  del key
  p = intensities(images)
  fire_time = jnp.round((1.0 - p) * (num_steps - 1))
  steps = jnp.arange(num_steps).reshape((num_steps,) + (1,) * p.ndim)
  return (steps == fire_time) & (p >= p_min)


def direct(images: jax.Array, num_steps: int, *, key: jax.Array | None = None) -> jax.Array:
  """Constant current: ``x[t] = p`` for every step."""
  del key
  p = intensities(images)
  return jnp.broadcast_to(p, (num_steps,) + p.shape)


ENCODERS = {"rate": rate, "latency": latency, "direct": direct}
IS_SPIKING = {"rate": True, "latency": True, "direct": False}


def get(name: str, num_steps: int, **options):
  """The encoder ``name`` with ``num_steps`` and its options bound: ``f(images, key=key)``."""
  if name not in ENCODERS:
    raise ValueError(f"unknown encoding {name!r}; choose one of {sorted(ENCODERS)}")
  if num_steps < 1:
    raise ValueError(f"encoding.num_steps must be >= 1, got {num_steps}")
  return functools.partial(ENCODERS[name], num_steps=num_steps, **options)


def from_config(encoding_config):
  """The encoder of ``config.encoding`` with its own options bound."""
  options = {"rate": {"max_rate": encoding_config.max_rate, "bits": encoding_config.rate_bits},
             "latency": {"p_min": encoding_config.p_min}}.get(encoding_config.name, {})
  return get(encoding_config.name, encoding_config.num_steps, **options)

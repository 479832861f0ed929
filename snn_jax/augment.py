"""Training-image augmentation, applied inside the jitted train step before the encoding.

Random shifts: each image of ``[batch, H, W, ...]`` moves by whole pixels ``(dy, dx)`` drawn
uniformly and independently from ``{-s, ..., s}``; pixels moved in from outside are 0:

  out[i, y, x] = image[i, y + dy_i, x + dx_i]   (0 where that lies outside the image)

MNIST digits are scaled into a 20 x 20 box and centred in 28 x 28, so shifts of a few pixels
lose little or no ink.
"""
import jax
import jax.numpy as jnp


def random_shift(images: jax.Array, key: jax.Array, max_shift: int) -> jax.Array:
  """``images [batch, H, W, ...]`` each moved along H and W by its own offset in
  ``{-max_shift, ..., max_shift}^2`` (zero fill); ``max_shift = 0`` returns them unchanged."""
  if max_shift == 0:
    return images
  batch, *image_shape = images.shape
  starts = jax.random.randint(key, (batch, 2), 0, 2 * max_shift + 1)  # max_shift + (dy, dx)
  channels = [(0, 0)] * (images.ndim - 3)
  padded = jnp.pad(images, [(0, 0), (max_shift, max_shift), (max_shift, max_shift)] + channels)

  def crop(image, start):
    start = jnp.concatenate([start, jnp.zeros(len(channels), start.dtype)])
    return jax.lax.dynamic_slice(image, start, image_shape)

  return jax.vmap(crop)(padded, starts)

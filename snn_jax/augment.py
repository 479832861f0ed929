"""Training-image augmentation, applied inside the jitted train step before the encoding.

Random shifts: each image of ``[batch, H, W]`` moves by whole pixels ``(dy, dx)`` drawn
uniformly and independently from ``{-s, ..., s}``; pixels moved in from outside are 0:

  out[i, y, x] = image[i, y + dy_i, x + dx_i]   (0 where that lies outside the image)

MNIST digits sit in a 20 x 20 box centred in 28 x 28, so shifts of up to 4 pixels lose no ink.
"""
import jax
import jax.numpy as jnp


def random_shift(images: jax.Array, key: jax.Array, max_shift: int) -> jax.Array:
  """``images [batch, H, W]`` each moved by its own offset in ``{-max_shift, ..., max_shift}^2``
  (zero fill); ``max_shift = 0`` returns them unchanged."""
  if max_shift == 0:
    return images
  batch, height, width = images.shape
  starts = jax.random.randint(key, (batch, 2), 0, 2 * max_shift + 1)  # max_shift + (dy, dx)
  padded = jnp.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
  crop = lambda image, start: jax.lax.dynamic_slice(image, start, (height, width))
  return jax.vmap(crop)(padded, starts)

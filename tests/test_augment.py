"""Random shifts of the training images: each output is its image moved by one offset in
{-s, ..., s}^2 with zero fill, offsets uniform over images, colour channels moved together,
and the train step encodes the shifted images."""
import itertools

import jax
import numpy as np

from conftest import small_config
from snn_jax import augment
from snn_jax import losses
from snn_jax import train


def moved(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
  """``image`` shifted the plain way: out[y, x] = image[y + dy, x + dx], 0 outside."""
  height, width = image.shape
  out = np.zeros_like(image)
  for y, x in itertools.product(range(height), range(width)):
    if 0 <= y + dy < height and 0 <= x + dx < width:
      out[y, x] = image[y + dy, x + dx]
  return out


def test_each_image_moves_by_one_uniform_offset_with_zero_fill():
  s, num_images = 2, 1500
  images = np.random.default_rng(0).integers(1, 256, (num_images, 7, 9), dtype=np.uint8)
  out = np.asarray(augment.random_shift(images, jax.random.PRNGKey(1), s))
  assert out.shape == images.shape and out.dtype == np.uint8
  offsets = list(itertools.product(range(-s, s + 1), repeat=2))
  counts = dict.fromkeys(offsets, 0)
  for image, shifted in zip(images, out):
    # Pixels are never 0, so the zero-filled border tells every offset apart.
    matches = [o for o in offsets if np.array_equal(shifted, moved(image, *o))]
    assert len(matches) == 1
    counts[matches[0]] += 1
  expected = num_images / len(offsets)  # 60 each; a 5-sigma band is +-39
  assert all(abs(n - expected) < 0.65 * expected for n in counts.values()), counts
  assert np.array_equal(augment.random_shift(images, jax.random.PRNGKey(1), 0), images)


def test_colour_channels_move_together():
  images = np.random.default_rng(0).integers(1, 256, (16, 7, 9, 3), dtype=np.uint8)
  out = np.asarray(augment.random_shift(images, jax.random.PRNGKey(2), 2))
  for c in range(3):  # the offsets depend on the key and batch size only
    one = augment.random_shift(images[..., c], jax.random.PRNGKey(2), 2)
    np.testing.assert_array_equal(out[..., c], one)


def test_train_step_encodes_the_shifted_images_and_nothing_else_changes():
  """Direct input ignores its key, so a step with shifts equals a plain step on images moved
  with the shift key the step derives from its state's key."""
  c = small_config(encoding__name="direct")
  exp = train.Experiment(c)
  state, ds = exp.init_state(), exp.dataset
  images, labels = ds.train_images[:32], ds.train_labels[:32]
  shifting = train.make_train_step(exp.model, exp.tx, exp.encode,
                                   losses.options_from_config(c.loss), random_shift=2)
  after, metrics = jax.jit(shifting)(state, images, labels)
  _, encode_key = jax.random.split(state.key)
  shifted = augment.random_shift(images, jax.random.split(encode_key)[1], 2)
  assert not np.array_equal(shifted, images)
  reference, reference_metrics = jax.jit(exp.train_step)(state, shifted, labels)
  jax.tree.map(np.testing.assert_array_equal, after, reference)
  jax.tree.map(np.testing.assert_array_equal, metrics, reference_metrics)

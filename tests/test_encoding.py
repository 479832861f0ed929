"""Input encodings: latency timing, rate statistics, direct current, the factory."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from snn_jax import encoding

KEY = jax.random.PRNGKey(0)


def test_latency_one_spike_brighter_first_and_exact_time():
  num_steps = 11
  p = jnp.linspace(0.2, 1.0, 9)  # 0.1 apart: (1 - p)(T - 1) apart by exactly one step
  x = encoding.latency(p, num_steps)
  assert x.shape == (num_steps, 9)
  np.testing.assert_array_equal(x.sum(0), np.ones(9))
  times = np.asarray(x.argmax(0))
  assert np.all(np.diff(times) < 0)  # brighter (later in p) spikes strictly earlier
  np.testing.assert_array_equal(times, np.round((1 - np.asarray(p)) * (num_steps - 1)))


def test_latency_at_most_one_spike_random_images():
  images = jax.random.uniform(KEY, (4, 6, 6))
  x = encoding.latency(images, 7, p_min=0.0)
  assert x.shape == (7, 4, 6, 6)
  assert float(x.max()) == 1.0 and set(np.unique(np.asarray(x))) == {0.0, 1.0}
  np.testing.assert_array_equal(x.sum(0), np.ones((4, 6, 6)))  # p_min 0: all spike once


def test_latency_p_min_silences_dark_pixels():
  p = jnp.array([0.0, 0.29, 0.3, 0.31, 0.9])
  x = encoding.latency(p, 20, p_min=0.3)
  np.testing.assert_array_equal(x.sum(0), [0, 0, 1, 1, 1])  # p < p_min never spikes
  np.testing.assert_array_equal(encoding.latency(p, 20).sum(0), [0, 1, 1, 1, 1])  # default 0.2


def test_rate_statistics():
  p = jnp.array([0.0, 0.1, 0.5, 0.9, 1.0])
  num_steps = 4000
  for max_rate in (1.0, 0.5):
    x = np.asarray(encoding.rate(p, num_steps, key=KEY, max_rate=max_rate))
    assert set(np.unique(x)) <= {0.0, 1.0}
    expected = np.asarray(p) * max_rate
    tol = 5 * np.sqrt(expected * (1 - expected) / num_steps) + 2.0 ** -9  # 5 s.e. + quantisation
    assert np.all(np.abs(x.mean(0) - expected) <= tol), (max_rate, x.mean(0))
  # p = 0 never fires; p * max_rate >= 1 fires every step
  x = np.asarray(encoding.rate(p, 50, key=KEY, max_rate=2.0))
  np.testing.assert_array_equal(x[:, 0], 0)
  np.testing.assert_array_equal(x[:, 2:], 1)


@pytest.mark.parametrize("bits", [8, 16])
def test_rate_uint8_every_level_fires_at_its_quantised_probability(bits):
  pixels = jnp.arange(256, dtype=jnp.uint8)
  num_steps = 4000
  x = np.asarray(encoding.rate(pixels, num_steps, key=KEY, bits=bits))
  assert x.dtype == np.bool_ and set(np.unique(x)) == {False, True}
  exact = np.round(np.arange(256) / 255 * 2 ** bits) / 2 ** bits  # the documented q / 2^b
  assert np.max(np.abs(exact - np.arange(256) / 255)) <= 2.0 ** -(bits + 1)
  tol = 5 * np.sqrt(exact * (1 - exact) / num_steps)
  assert np.all(np.abs(x.mean(0) - exact) <= tol + 1e-12), np.abs(x.mean(0) - exact).max()
  assert x[:, 0].sum() == 0 and x[:, 255].min() == 1  # black never, white always fires
  # max_rate scales the uint8 path too
  half = np.asarray(encoding.rate(pixels, num_steps, key=KEY, bits=bits, max_rate=0.5))
  assert abs(half.mean() - exact.mean() / 2) < 0.01
  assert half[:, 255].min() == 0  # a white pixel now fires about every other step


def test_rate_draws_independent_across_steps_and_neighbouring_pixels():
  # 8-bit draws share 32-bit words four pixels at a time: neighbours must still be independent.
  images = jnp.full((64, 128), 128, jnp.uint8)  # p = 0.5: largest variance
  x = np.asarray(encoding.rate(images, 200, key=KEY)).reshape(200, -1)
  centred = x - x.mean()
  def corr(a, b):
    return float((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))
  n = centred.size
  for a, b in [(centred[1:], centred[:-1]),            # step t vs t + 1
               (centred[:, 1:], centred[:, :-1]),      # pixel i vs i + 1 (same word)
               (centred[:, 4:], centred[:, :-4])]:     # pixel i vs i + 4 (next word)
    assert abs(corr(a, b)) < 5 / np.sqrt(n), corr(a, b)


def test_rate_rejects_unsupported_bits():
  with pytest.raises(ValueError, match="rate_bits=12"):
    encoding.rate(jnp.zeros(3), 2, key=KEY, bits=12)


def test_uint8_and_float_images_encode_alike():
  pixels = jnp.arange(0, 256, 5, dtype=jnp.uint8)
  unit = pixels.astype(jnp.float32) / 255
  for name in ("latency", "direct"):
    np.testing.assert_array_equal(encoding.get(name, 7)(pixels, key=KEY),
                                  encoding.get(name, 7)(unit, key=KEY))
  np.testing.assert_array_equal(encoding.rate(pixels, 9, key=KEY), encoding.rate(unit, 9, key=KEY))


def test_rate_deterministic_per_key():
  images = jnp.full((3, 8, 8), 0.5)
  a = encoding.rate(images, 10, key=KEY)
  b = encoding.rate(images, 10, key=KEY)
  c = encoding.rate(images, 10, key=jax.random.PRNGKey(1))
  assert a.shape == (10, 3, 8, 8)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)
  assert not np.array_equal(a[0], a[1])  # independent per step


def test_direct_is_constant_current():
  images = jax.random.uniform(KEY, (2, 5, 5))
  x = encoding.direct(images, 4)
  assert x.shape == (4, 2, 5, 5)
  for t in range(4):
    np.testing.assert_array_equal(x[t], images)


@pytest.mark.parametrize("name", ["rate", "latency", "direct"])
def test_get_binds_steps_and_shape(name):
  images = jax.random.uniform(KEY, (3, 4, 4))
  x = encoding.get(name, 6)(images, key=KEY)
  assert x.shape == (6, 3, 4, 4)


def test_get_binds_options():
  p = jnp.array([0.25])
  assert float(encoding.get("latency", 5, p_min=0.3)(p, key=KEY).sum()) == 0.0
  assert float(encoding.get("latency", 5, p_min=0.2)(p, key=KEY).sum()) == 1.0


def test_get_rejects_unknown_name_and_bad_steps():
  with pytest.raises(ValueError, match="poisson"):
    encoding.get("poisson", 5)
  with pytest.raises(ValueError, match="num_steps"):
    encoding.get("rate", 0)

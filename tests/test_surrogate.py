"""Spike functions: exact Heaviside forward, docs/METHOD.md pseudo-derivatives backward."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from snn_jax import surrogate

XS = np.array([-2.0, -0.7, -0.3, -0.05, 0.0, 0.05, 0.3, 0.7, 2.0], np.float32)

# docs/METHOD.md formulas, written independently of the library.
FORMULAS = {
    "fast_sigmoid": lambda x, k: 1.0 / (1.0 + k * np.abs(x)) ** 2,
    "arctan": lambda x, a: (a / 2) / (1.0 + (np.pi * a * x / 2) ** 2),
    "triangle": lambda x, w: np.maximum(0.0, 1.0 - np.abs(x) / w) / w,
    "boxcar": lambda x, w: (np.abs(x) < w / 2) / w,
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_forward_is_exact_heaviside(name):
  spike = surrogate.get(name, 3.0)
  out = np.asarray(spike(jnp.asarray(XS)))
  np.testing.assert_array_equal(out, (XS >= 0).astype(np.float32))
  assert out[XS == 0.0].item() == 1.0  # H(0) = 1: reaching threshold fires


@pytest.mark.parametrize("name", sorted(FORMULAS))
@pytest.mark.parametrize("scale", [0.5, 1.7, 4.0])
def test_gradient_matches_method_formula(name, scale):
  spike = surrogate.get(name, scale)
  grad = jax.vmap(jax.grad(spike))(jnp.asarray(XS))
  np.testing.assert_allclose(np.asarray(grad), FORMULAS[name](XS.astype(np.float64), scale),
                             rtol=1e-5, atol=1e-7)


def test_factory_defaults_match_method():
  x = jnp.asarray(XS)
  for factory, name, default in [(surrogate.fast_sigmoid, "fast_sigmoid", 10.0),
                                 (surrogate.arctan, "arctan", 2.0),
                                 (surrogate.triangle, "triangle", 1.0),
                                 (surrogate.boxcar, "boxcar", 1.0)]:
    grad = jax.vmap(jax.grad(factory()))(x)
    np.testing.assert_allclose(np.asarray(grad), FORMULAS[name](XS.astype(np.float64), default),
                               rtol=1e-5, atol=1e-7, err_msg=name)


def test_upstream_gradient_is_multiplied():
  spike = surrogate.fast_sigmoid(2.0)
  x = jnp.array([0.5, -1.0])
  grad = jax.grad(lambda v: jnp.sum(jnp.array([3.0, -2.0]) * spike(v)))(x)
  np.testing.assert_allclose(grad, [3.0 / 4.0, -2.0 / 9.0], rtol=1e-6)


def test_get_unknown_name_raises():
  with pytest.raises(ValueError, match="sigmoidd"):
    surrogate.get("sigmoidd", 1.0)

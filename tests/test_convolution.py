"""convolution.conv: lax's convolution with a weight gradient computed in NHWC / HWIO."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from snn_jax import convolution


@pytest.mark.parametrize("size, features, kernel, stride, padding", [
    ((12, 12, 4), 6, 3, 2, "SAME"),       # mnist_conv's stride-2 layers, even input
    # odd sizes (the dilated gradient overhangs the kernel), stride 1, VALID, uneven pads
    pytest.param((9, 11, 3), 5, 5, 3, "SAME", marks=pytest.mark.slow),
    pytest.param((12, 12, 1), 4, 3, 1, "SAME", marks=pytest.mark.slow),
    pytest.param((10, 10, 3), 4, 3, 2, "VALID", marks=pytest.mark.slow),
    pytest.param((8, 8, 2), 3, 3, 1, ((2, 0), (1, 1)), marks=pytest.mark.slow),
])
def test_gradients_equal_lax_in_and_out_of_a_loop(size, features, kernel, stride, padding):
  """What nn.Conv computes with lax.conv_general_dilated, values and gradients w.r.t. input and
  kernel, alone and as the body of a fori_loop (where it exists to be fast)."""
  x = jax.random.normal(jax.random.PRNGKey(0), (3,) + size)

  def gradients(impl):
    conv = nn.Conv(features, (kernel, kernel), strides=stride, padding=padding,
                   conv_general_dilated=impl)
    params = conv.init(jax.random.PRNGKey(1), x)
    grad = jax.grad(lambda p, x: jnp.mean(jnp.sin(conv.apply(p, x))), argnums=(0, 1))
    looped = jax.lax.fori_loop(0, 2, lambda i, _: grad(params, x), grad(params, x))
    return conv.apply(params, x), grad(params, x), looped

  got, want = jax.jit(lambda: (gradients(convolution.conv), gradients(None)))()
  for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_other_convolutions_pass_through_to_lax():
  x, w = jnp.ones((2, 6, 6, 4)), jnp.ones((3, 3, 2, 4))
  nhwc = ("NHWC", "HWIO", "NHWC")
  for kwargs in (dict(rhs_dilation=(2, 2), dimension_numbers=nhwc),
                 dict(dimension_numbers=nhwc, feature_group_count=2, rhs=w[:, :, :2, :])):
    args = dict(lhs=x, rhs=jnp.ones((3, 3, 4, 4)), window_strides=(1, 1), padding="SAME")
    args.update(kwargs)
    np.testing.assert_array_equal(convolution.conv(**args), jax.lax.conv_general_dilated(**args))
  one_d = dict(lhs=x[:, 0], rhs=jnp.ones((3, 4, 5)), window_strides=(1,), padding="SAME",
               dimension_numbers=("NWC", "WIO", "NWC"))
  np.testing.assert_array_equal(convolution.conv(**one_d), jax.lax.conv_general_dilated(**one_d))

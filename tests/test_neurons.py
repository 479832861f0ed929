"""LIF dynamics against hand-computed traces, reset variants, gradients through the reset."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from snn_jax import neurons
from snn_jax import surrogate

# beta 0.9, theta 1, one neuron. Worked by hand, step by step:
CURRENTS = [1.8, 0.5, 0.0, 0.0, 0.3]
# subtract: v = 1.8 -> fire -> 0.8; 0.72+0.5 = 1.22 -> fire -> 0.22; 0.198; 0.1782;
#           0.16038 + 0.3 = 0.46038
SUBTRACT_SPIKES = [1, 1, 0, 0, 0]
SUBTRACT_V = [0.8, 0.22, 0.198, 0.1782, 0.46038]
# zero: v = 1.8 -> fire -> 0; 0.5; 0.45; 0.405; 0.3645 + 0.3 = 0.6645
ZERO_SPIKES = [1, 0, 0, 0, 0]
ZERO_V = [0.0, 0.5, 0.45, 0.405, 0.6645]


@pytest.mark.parametrize("reset, spikes, membrane", [
    ("subtract", SUBTRACT_SPIKES, SUBTRACT_V),
    ("zero", ZERO_SPIKES, ZERO_V),
])
def test_lif_scan_hand_computed(reset, spikes, membrane):
  s, v = neurons.lif_scan(jnp.array(CURRENTS)[:, None], beta=0.9, threshold=1.0, reset=reset)
  np.testing.assert_array_equal(s[:, 0], spikes)
  np.testing.assert_allclose(v[:, 0], membrane, rtol=1e-5, atol=1e-6)


def test_threshold_is_used_and_reaching_it_fires():
  # theta 2: v = 2.0 (fires, H(0) = 1) -> 0; 0.5*0 + 1.5 = 1.5; 0.75 + 1.5 = 2.25 -> fire -> 0.25
  s, v = neurons.lif_scan(jnp.array([2.0, 1.5, 1.5]), beta=0.5, threshold=2.0)
  np.testing.assert_array_equal(s, [1, 0, 1])
  np.testing.assert_allclose(v, [0.0, 1.5, 0.25], rtol=1e-6)


def test_shapes_follow_currents():
  currents = jax.random.normal(jax.random.PRNGKey(0), (6, 3, 4, 5))
  s, v = neurons.lif_scan(currents, beta=0.8)
  assert s.shape == v.shape == currents.shape
  assert set(np.unique(np.asarray(s))) <= {0.0, 1.0}


def test_per_neuron_beta_broadcasts():
  """Each neuron with its own beta equals that neuron run alone with a scalar beta."""
  currents = jax.random.uniform(jax.random.PRNGKey(1), (12, 2, 3), maxval=0.6)
  betas = jnp.array([0.0, 0.5, 0.95])
  s, v = neurons.lif_scan(currents, beta=betas)
  for i, b in enumerate(np.asarray(betas)):
    s_i, v_i = neurons.lif_scan(currents[..., i], beta=float(b))
    np.testing.assert_array_equal(s[..., i], s_i)
    np.testing.assert_allclose(v[..., i], v_i, rtol=1e-6)
  assert not np.array_equal(s[..., 0], s[..., 2])  # the betas really differ


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_a_run_split_in_two_continues_from_the_carried_membrane(reset):
  currents = jax.random.uniform(jax.random.PRNGKey(2), (10, 3), maxval=0.8)
  s, v = neurons.lif_scan(currents, beta=0.9, reset=reset)
  s1, v1 = neurons.lif_scan(currents[:4], beta=0.9, reset=reset)
  s2, v2 = neurons.lif_scan(currents[4:], beta=0.9, reset=reset, v0=v1[-1])
  np.testing.assert_array_equal(jnp.concatenate([s1, s2]), s)
  np.testing.assert_allclose(jnp.concatenate([v1, v2]), v, rtol=1e-6)
  assert s[4:].sum() > 0 and not np.array_equal(s2, neurons.lif_scan(currents[4:], beta=0.9,
                                                                     reset=reset)[0])


def test_unknown_reset_raises():
  with pytest.raises(ValueError, match="soft"):
    neurons.lif_scan(jnp.ones((3, 1)), beta=0.9, reset="soft")


def _grad_wrt_currents(detach_reset, reset="subtract"):
  spike = surrogate.fast_sigmoid(10.0)

  def last_spike(currents):
    s, _ = neurons.lif_scan(currents, beta=0.9, threshold=1.0, reset=reset, surrogate=spike,
                            detach_reset=detach_reset)
    return s[-1]
  currents = jnp.array([1.2, 0.5])
  return last_spike(currents), jax.grad(last_spike)(currents)


def test_detach_reset_same_forward_different_gradient():
  # v0 = 1.2 fires, reset to 0.2; v1 = 0.9 * 0.2 + 0.5 = 0.68, s1 = 0.
  # g(x) = 1 / (1 + 10|x|)^2: g(v1 - 1) = 1 / 4.2^2, g(v0 - 1) = 1 / 3^2.
  # ds1/dI0 = g(v1 - 1) * 0.9 * d(v0 after reset)/dv0, which is 1 detached and 1 - g(v0 - 1)
  # through the reset.
  g1, g0 = 1 / 4.2 ** 2, 1 / 3.0 ** 2
  out_d, grad_d = _grad_wrt_currents(True)
  out_a, grad_a = _grad_wrt_currents(False)
  assert out_d == out_a == 0.0
  np.testing.assert_allclose(grad_d, [0.9 * g1, g1], rtol=1e-5)
  np.testing.assert_allclose(grad_a, [0.9 * g1 * (1 - g0), g1], rtol=1e-5)


def test_detach_reset_zero_reset_gradient():
  # zero reset: v0 = 1.2 fires -> 0; v1 = 0.5. d(v0 * (1 - s0))/dv0 = 1 - s0 = 0 detached,
  # (1 - s0) - v0 g(v0 - 1) = -1.2 / 9 through the reset.
  g1, g0 = 1 / 6.0 ** 2, 1 / 3.0 ** 2
  _, grad_d = _grad_wrt_currents(True, "zero")
  _, grad_a = _grad_wrt_currents(False, "zero")
  np.testing.assert_allclose(grad_d, [0.0, g1], rtol=1e-5, atol=1e-8)
  np.testing.assert_allclose(grad_a, [0.9 * g1 * (-1.2 * g0), g1], rtol=1e-5)


def test_leaky_integrate_trace():
  v = neurons.leaky_integrate(jnp.array([[1.0, -1.0], [0.0, 0.0], [0.0, 3.0], [2.0, 0.0]]),
                              beta=0.5)
  np.testing.assert_allclose(v, [[1.0, -1.0], [0.5, -0.5], [0.25, 2.75], [2.125, 1.375]])


def _reference_detached_subtract(currents, beta, threshold, spike):
  """The textbook LIF loop (stop_gradient on the reset), differentiated by JAX itself."""
  def step(v, current):
    v = beta * v + current
    x = v - threshold
    v = v - threshold * jax.lax.stop_gradient(spike(x))
    return v, (spike(x), v)
  v0 = jnp.zeros(jnp.broadcast_shapes(currents.shape[1:], jnp.shape(beta), jnp.shape(threshold)))
  return jax.lax.scan(step, v0, currents)[1]


@pytest.mark.parametrize("num_steps, beta_shape, currents_shape", [
    (20, (), (3, 4)),
    (20, (4,), (3, 1)),  # a beta per neuron, currents broadcast to the neurons
])
def test_detached_subtract_gradients_match_autodiff_of_the_loop(num_steps, beta_shape,
                                                               currents_shape):
  """Gradients w.r.t. currents, beta and threshold through spikes and membranes equal those
  of the plain loop (lif_scan takes the spikes from the stacked x after its scan)."""
  spike = surrogate.fast_sigmoid(10.0)
  k1, k2, k3 = jax.random.split(jax.random.PRNGKey(2), 3)
  currents = jax.random.uniform(k1, (num_steps,) + currents_shape, maxval=0.7)
  beta = jnp.full(beta_shape, 0.85) + 0.1 * jax.random.uniform(k2, beta_shape)
  weights = jax.random.normal(k3, (2, num_steps, 3, 4))  # a loss that weighs every output

  def loss(fn):
    def f(currents, beta, threshold):
      s, v = fn(currents, beta, threshold)
      return (weights[0] * s).sum() + (weights[1] * v).sum()
    return f
  ours = loss(lambda c, b, th: neurons.lif_scan(c, beta=b, threshold=th, surrogate=spike))
  reference = loss(lambda c, b, th: _reference_detached_subtract(c, b, th, spike))
  args = (currents, beta, jnp.float32(0.9))
  np.testing.assert_allclose(ours(*args), reference(*args), rtol=1e-5)
  for got, want in zip(jax.grad(ours, (0, 1, 2))(*args), jax.grad(reference, (0, 1, 2))(*args)):
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)
  vmapped = jax.vmap(jax.grad(ours), in_axes=(0, None, None))(currents[None], *args[1:])
  np.testing.assert_allclose(vmapped[0], jax.grad(ours)(*args), rtol=1e-5, atol=1e-6)

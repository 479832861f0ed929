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


def test_unknown_reset_or_backward_raises():
  with pytest.raises(ValueError, match="soft"):
    neurons.lif_scan(jnp.ones((3, 1)), beta=0.9, reset="soft")
  with pytest.raises(ValueError, match="fast"):
    neurons.lif_scan(jnp.ones((3, 1)), beta=0.9, backward="fast")


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


def _reference_detached_subtract(currents, beta, threshold, v0, spike):
  """The textbook LIF loop (stop_gradient on the reset), differentiated by JAX itself."""
  def step(v, current):
    v = beta * v + current
    x = v - threshold
    v = v - threshold * jax.lax.stop_gradient(spike(x))
    return v, (spike(x), v)
  return jax.lax.scan(step, v0, currents)[1]


@pytest.mark.parametrize("backward, loops, num_steps, beta_shape, currents_shape", [
    ("loop", "xla", 20, (), (3, 4)),
    ("matmul", "xla", 20, (), (3, 4)),
    pytest.param("matmul", "xla", 70, (), (3, 4), marks=pytest.mark.slow),  # 3 blocks, padded
    ("matmul", "xla", 20, (4,), (3, 1)),  # a beta per neuron, currents broadcast: generic scan
    ("loop", "pallas", 20, (), (3, 4)),  # the kernels (Pallas' interpreter off a GPU)
])
def test_detached_subtract_gradients_match_autodiff_of_the_loop(backward, loops, num_steps,
                                                               beta_shape, currents_shape):
  """Gradients w.r.t. currents, beta, threshold and the initial membrane, through spikes and
  membranes, equal those of the textbook loop differentiated by JAX (lif_scan runs its own
  in-place loops or Pallas kernels, and with backward "matmul" the backward pass as
  matmuls)."""
  spike = surrogate.fast_sigmoid(10.0)
  k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(2), 4)
  currents = jax.random.uniform(k1, (num_steps,) + currents_shape, maxval=0.7)
  beta = jnp.full(beta_shape, 0.85) + 0.1 * jax.random.uniform(k2, beta_shape)
  weights = jax.random.normal(k3, (2, num_steps, 3, 4))  # a loss that weighs every output
  v0 = jax.random.uniform(k4, (3, 4), maxval=0.9)

  def loss(fn):
    def f(currents, beta, threshold, v0):
      s, v = fn(currents, beta, threshold, v0)
      return (weights[0] * s).sum() + (weights[1] * v).sum()
    return f
  ours = loss(lambda c, b, th, v0: neurons.lif_scan(c, beta=b, threshold=th, surrogate=spike,
                                                     v0=v0, backward=backward, loops=loops))
  reference = loss(lambda c, b, th, v0: _reference_detached_subtract(c, b, th, v0, spike))
  args = (currents, beta, jnp.float32(0.9), v0)
  np.testing.assert_allclose(ours(*args), reference(*args), rtol=1e-5)
  argnums = (0, 1, 2, 3)
  for got, want in zip(jax.grad(ours, argnums)(*args), jax.grad(reference, argnums)(*args)):
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)
  vmapped = jax.vmap(jax.grad(ours), in_axes=(0, None, None, None))(currents[None], *args[1:])
  np.testing.assert_allclose(vmapped[0], jax.grad(ours)(*args), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("backward, loops", [("loop", "xla"), ("matmul", "xla"),
                                             ("loop", "pallas")])
def test_backward_per_member_under_vmap(backward, loops):
  """Members with their own learnable beta and threshold (a sweep's vmap) get the gradients
  each would get alone, and bfloat16 currents bfloat16 gradients."""
  spike = surrogate.fast_sigmoid(10.0)
  currents = jax.random.uniform(jax.random.PRNGKey(5), (2, 40, 3, 4), maxval=0.7)
  betas, thresholds = jnp.array([0.8, 0.95]), jnp.array([0.9, 1.1])

  def loss(currents, beta, threshold):
    s, v = neurons.lif_scan(currents, beta=beta, threshold=threshold, surrogate=spike,
                            backward=backward, loops=loops)
    return s.sum() + (v ** 2).sum()
  together = jax.vmap(jax.grad(loss, (0, 1, 2)))(currents, betas, thresholds)
  for k in range(2):
    alone = jax.grad(loss, (0, 1, 2))(currents[k], betas[k], thresholds[k])
    for got, want in zip(together, alone):
      np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)
  rounded = currents[0].astype(jnp.bfloat16)
  half = jax.grad(loss)(rounded, betas[0], thresholds[0])
  full = jax.grad(loss)(rounded.astype(jnp.float32), betas[0], thresholds[0])
  assert half.dtype == jnp.bfloat16
  np.testing.assert_allclose(half.astype(jnp.float32), full, rtol=1e-2, atol=1e-3)

"""Loss terms on crafted spike counts."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from snn_jax import losses

# layer 0: 2 samples x 3 neurons, layer 1: 2 samples x 2 neurons
L0 = jnp.array([[0.0, 1.0, 3.0],
                [0.0, 2.0, 5.0]])
L1 = jnp.array([[1.0, 4.0],
                [1.0, 0.0]])


def test_excess_counts_spikes_after_the_free_one():
  one = losses.spike_penalties([jnp.array([[1.0]])])
  three = losses.spike_penalties([jnp.array([[3.0]])])
  silent = losses.spike_penalties([jnp.array([[0.0]])])
  assert float(one["excess"]) == 0.0
  assert float(three["excess"]) == 2.0
  assert float(silent["excess"]) == 0.0
  assert float(losses.spike_penalties([jnp.array([[3.0]])], free_spikes=2.0)["excess"]) == 1.0


def test_terms_on_two_layers():
  t = losses.spike_penalties([L0, L1])
  # excess: layer 0 overs [[0,0,2],[0,1,4]] -> 7/6; layer 1 [[0,3],[0,0]] -> 3/4
  np.testing.assert_allclose(t["excess"], 7 / 6 + 3 / 4, rtol=1e-6)
  # all_spike: layer 0 11/6, layer 1 6/4
  np.testing.assert_allclose(t["all_spike"], 11 / 6 + 6 / 4, rtol=1e-6)
  # silence (r_min 1): batch means layer 0 [0, 1.5, 4] -> [1, 0, 0] -> 1/3;
  # layer 1 [1, 2] -> 0
  np.testing.assert_allclose(t["silence"], 1 / 3, rtol=1e-6)


def test_silence_with_r_min():
  t = losses.spike_penalties([L0, L1], r_min=2.5)
  # layer 0 means [0, 1.5, 4]: (2.5^2 + 1^2 + 0) / 3; layer 1 means [1, 2]: (1.5^2 + 0.5^2) / 2
  np.testing.assert_allclose(t["silence"], (6.25 + 1.0) / 3 + (2.25 + 0.25) / 2, rtol=1e-6)


def test_squared_excess_and_k2():
  t = losses.spike_penalties([L0], squared_excess=True)
  np.testing.assert_allclose(t["excess"], (4 + 1 + 16) / 6, rtol=1e-6)
  t = losses.spike_penalties([L0], free_spikes=2.0)
  np.testing.assert_allclose(t["excess"], (1 + 3) / 6, rtol=1e-6)


def test_layer_weights_scale_excess_and_all_spike_not_silence():
  plain = losses.spike_penalties([L0, L1])
  weighted = losses.spike_penalties([L0, L1], layer_weights=(2.0, 0.5))
  np.testing.assert_allclose(weighted["excess"], 2 * 7 / 6 + 0.5 * 3 / 4, rtol=1e-6)
  np.testing.assert_allclose(weighted["all_spike"], 2 * 11 / 6 + 0.5 * 6 / 4, rtol=1e-6)
  np.testing.assert_allclose(weighted["silence"], plain["silence"], rtol=1e-6)
  np.testing.assert_allclose(losses.spike_penalties([L0, L1], layer_weights=())["excess"],
                             plain["excess"])


def test_layer_weights_wrong_length():
  with pytest.raises(ValueError, match="layer_weights"):
    losses.spike_penalties([L0, L1], layer_weights=(1.0, 1.0, 1.0))


def test_check_counts_rejects_bad_shapes():
  with pytest.raises(ValueError, match="spike counts are empty"):
    losses.check_counts([])
  with pytest.raises(ValueError, match="layer 1"):
    losses.check_counts([L0, jnp.ones((3, 2))])  # batch mismatch
  with pytest.raises(ValueError, match="layer 0"):
    losses.check_counts([jnp.ones((4, 2, 2))])  # unflattened [T, B, N] or [B, H, W]
  with pytest.raises(ValueError, match=r"layer 0 have shape \(3,\)"):
    losses.spike_penalties([jnp.ones(3)])
  losses.check_counts([L0, L1])  # fine


def test_ce_matches_manual_log_softmax():
  logits = jnp.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
  labels = jnp.array([2, 1])
  terms = losses.loss_terms(logits, labels, [L0])
  manual = -np.mean(np.asarray(jax.nn.log_softmax(logits))[[0, 1], [2, 1]])
  z = np.asarray(logits, np.float64)
  by_hand = np.mean(np.log(np.exp(z).sum(1)) - z[[0, 1], [2, 1]])
  np.testing.assert_allclose(terms["ce"], manual, rtol=1e-6)
  np.testing.assert_allclose(terms["ce"], by_hand, rtol=1e-6)
  np.testing.assert_allclose(
      terms["ce"], optax.softmax_cross_entropy(logits, jax.nn.one_hot(labels, 3)).mean(), rtol=1e-6)
  assert set(terms) == {"ce", "excess", "all_spike", "silence"}


def test_total_loss_combines_with_lambdas():
  terms = {"ce": 1.5, "excess": 2.0, "all_spike": 3.0, "silence": 5.0}
  lambdas = {"lambda_excess": 0.1, "lambda_all": 0.01, "lambda_silence": 2.0}
  np.testing.assert_allclose(losses.total_loss(terms, lambdas), 1.5 + 0.2 + 0.03 + 10.0)
  zero = {k: 0.0 for k in lambdas}
  assert float(losses.total_loss(terms, zero)) == 1.5
  with pytest.raises(KeyError, match="lambda_all"):
    losses.total_loss(terms, {"lambda_excess": 1.0})


def test_excess_gradient_on_neurons_over_k():
  grad = jax.grad(lambda n: losses.spike_penalties([n])["excess"])(L0)
  np.testing.assert_allclose(np.asarray(grad)[L0 > 1], 1 / 6, rtol=1e-6)  # n > k: full push
  np.testing.assert_array_equal(np.asarray(grad)[L0 == 0], 0.0)  # silent: none


def test_free_spike_gets_no_excess_gradient():
  n = jnp.array([[1.0, 3.0]])  # exactly k = 1 spike, and two excess spikes
  grad = jax.grad(lambda n: losses.spike_penalties([n])["excess"])(n)
  np.testing.assert_allclose(grad, [[0.0, 0.5]], atol=1e-7)

"""Data-calibrated initialisation: each hidden layer of an untrained net fires the target."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import base
from configs import digits
from snn_jax import calibration
from snn_jax import models
from snn_jax import train


def _sparse_spikes(shape, seed=0):
  """A latency-like input: each pixel spikes at most once, most never."""
  t, b, n = shape
  rng = np.random.default_rng(seed)
  times = rng.integers(0, t, (b, n))
  fires = rng.random((b, n)) < 0.15
  return jnp.asarray((np.arange(t)[:, None, None] == times) & fires, jnp.float32)


def _create(**model):
  c = base.base_config()
  c.model.update(model)
  return models.create(c.model, c.neuron, 10, c.compute)


@pytest.mark.parametrize("model_options, input_shape", [
    ({"hidden": (32,) * 5}, (10, 16, 100)),
    pytest.param({"name": "conv", "channels": (4, 6), "strides": (1, 2), "hidden": (16,)},
                 (10, 8, 8, 8), marks=pytest.mark.slow),
])
def test_every_hidden_layer_fires_the_target_and_only_gains_change(model_options, input_shape):
  model = _create(**model_options)
  x = _sparse_spikes((input_shape[0], input_shape[1], int(np.prod(input_shape[2:]))))
  x = x.reshape(input_shape)
  params = jax.jit(model.init)(jax.random.PRNGKey(0), x)["params"]
  mean_counts = jax.jit(lambda p: [n.mean() for n in model.apply({"params": p}, x)[1]])
  assert float(mean_counts(params)[-1]) < 0.1  # LeCun init on sparse input: the last is silent

  calibrated = calibration.calibrate(model, params, x, 2.0)
  after = np.array(mean_counts(calibrated))
  # counts are whole numbers and tie often on binary inputs: near the target, not exactly on it
  np.testing.assert_allclose(after, 2.0, rtol=0.05)

  names = calibration.hidden_synapse_names(params)
  assert len(names) == len(after)
  for name in names:  # one positive gain per layer
    ratio = np.asarray(calibrated[name]["kernel"]) / np.asarray(params[name]["kernel"])
    assert ratio.min() > 0 and np.ptp(ratio) < 1e-5 * ratio.max()
  assert jax.tree.all(jax.tree.map(np.array_equal, calibrated["Readout_0"], params["Readout_0"]))


def test_members_of_a_sweep_share_one_compiled_search():
  """Other seeds (parameters) and targets of the same model and shapes reuse the program."""
  model = _create(hidden=(16, 16))
  x = _sparse_spikes((6, 8, 50))
  params = [model.init(jax.random.PRNGKey(seed), x)["params"] for seed in (0, 1)]
  calibration.calibrate(model, params[0], x, 1.0)
  compiled = calibration._calibrated._cache_size()  # pylint: disable=protected-access
  calibration.calibrate(model, params[1], x, 2.0)
  assert calibration._calibrated._cache_size() == compiled  # pylint: disable=protected-access


@pytest.mark.slow
def test_calibration_is_deterministic_and_leaves_the_readout_alone():
  c = digits.get_config()
  c.encoding.name = "latency"
  exp = train.Experiment(c)
  plain = exp.init_state().params
  c.model.init_spikes = 1.5
  first, second = (exp.init_state(c).params for _ in range(2))
  assert jax.tree.all(jax.tree.map(np.array_equal, first, second))
  assert not np.array_equal(first["Dense_0"]["kernel"], plain["Dense_0"]["kernel"])
  np.testing.assert_array_equal(first["Readout_0"]["dense"]["kernel"],
                                plain["Readout_0"]["dense"]["kernel"])


@pytest.mark.slow
def test_a_deep_latency_net_silent_at_init_trains_once_calibrated(tmp_path):
  """digits, latency input, 6 hidden layers, no penalty: LeCun init leaves the net silent and
  at chance; calibrated to 2 spikes per neuron it learns (margins far from both figures)."""
  def accuracy(init_spikes):
    c = digits.get_config()
    c.encoding.name = "latency"
    c.model.hidden = (128,) * 6
    c.phase2.lambda_excess = 0.0
    c.train.epochs = c.train.phase1_epochs = 8
    c.model.init_spikes = init_spikes
    return train.train_and_evaluate(c, str(tmp_path / str(init_spikes)))[1]["test_accuracy"]

  assert accuracy(0.0) < 0.3
  assert accuracy(2.0) > 0.6

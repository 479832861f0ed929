"""Test-set figures from crafted spike counts, masks and fan-outs."""
import jax.numpy as jnp
import numpy as np
import pytest

from snn_jax import metrics

# 3 rows, the last is padding (mask 0) with absurd counts that must not count.
MASK = jnp.array([1, 1, 0])
LOGITS = jnp.array([[0.0, 5.0], [5.0, 0.0], [0.0, 5.0]])
LABELS = jnp.array([1, 1, 1])  # row 0 right, row 1 wrong, row 2 (padding) "right"
L0 = jnp.array([[0.0, 1.0, 3.0], [0.0, 0.0, 1.0], [99.0, 99.0, 99.0]])  # neuron 0 silent
L1 = jnp.array([[2.0, 0.0], [2.0, 0.0], [99.0, 99.0]])                  # neuron 1 silent
# inputs [T=2, B=3, 2x2]: real rows hold 1 and 2 spikes per pixel-set; padding all ones
INPUTS = jnp.stack([
    jnp.array([[[1.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]]),
    jnp.array([[[0.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]]),
])
FANOUTS = [np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 5.0]), np.array([10.0, 10.0])]


def _sums():
  return metrics.batch_sums(LOGITS, LABELS, [L0, L1], INPUTS, MASK)


def test_batch_sums_ignore_padding():
  s = _sums()
  assert float(s["num"]) == 2.0
  assert float(s["correct"]) == 1.0
  np.testing.assert_array_equal(s["neuron_spikes"][0], [0.0, 1.0, 4.0])
  np.testing.assert_array_equal(s["neuron_spikes"][1], [4.0, 0.0])
  np.testing.assert_array_equal([float(e) for e in s["excess"]], [2.0, 2.0])
  np.testing.assert_array_equal(s["input_spikes"], [2.0, 1.0, 0.0, 1.0])


def _summary(spiking_input=True, num_steps=2):
  return metrics.summarize(_sums(), FANOUTS, num_steps=num_steps, spiking_input=spiking_input,
                           e_ac_pj=1.0, e_mac_pj=5.0)


def test_spike_figures():
  s = _summary()
  assert s["test_accuracy"] == 0.5 and s["num_test_samples"] == 2
  np.testing.assert_allclose(s["spikes_per_neuron_by_layer"], [5 / 6, 4 / 4])
  np.testing.assert_allclose(s["spikes_per_neuron"], 9 / 10)
  np.testing.assert_allclose(s["spikes_per_sample"], 9 / 2)
  np.testing.assert_allclose(s["excess_spikes_per_neuron"], 4 / 10)
  np.testing.assert_allclose(s["excess_spikes_per_neuron_by_layer"], [2 / 6, 2 / 4])


def test_silent_fraction_counts_neurons_silent_on_every_sample():
  s = _summary()
  # layer 0: neuron 0 never fires (neuron 1 fires on one sample only: not silent)
  np.testing.assert_allclose(s["silent_fraction_by_layer"], [1 / 3, 1 / 2])
  np.testing.assert_allclose(s["silent_fraction"], 2 / 5)


def test_sops_and_energy_spiking_input():
  s = _summary()
  sops = (0 * 2 + 1 * 2 + 4 * 5 + 4 * 10 + 0 * 10) / 2  # sum counts x fan-out / samples
  input_ops = (2 * 1 + 1 * 2 + 0 * 3 + 1 * 4) / 2
  macs = 10 + 9 + 20
  np.testing.assert_allclose(s["sops_per_sample"], sops)
  np.testing.assert_allclose(s["input_ops_per_sample"], input_ops)
  np.testing.assert_allclose(s["ann_macs_per_sample"], macs)
  np.testing.assert_allclose(s["energy_ratio_vs_ann"], (input_ops + sops) * 1.0 / (macs * 5.0))


def test_energy_direct_input_pays_dense_macs():
  s = _summary(spiking_input=False, num_steps=3)
  sops = 31.0
  input_ops = 3 * 10  # T dense passes over the input synapses
  np.testing.assert_allclose(s["input_ops_per_sample"], input_ops)
  np.testing.assert_allclose(s["energy_snn_pj"], input_ops * 5.0 + sops * 1.0)
  np.testing.assert_allclose(s["energy_ratio_vs_ann"], (input_ops * 5.0 + sops) / (39 * 5.0))


def test_sums_add_over_batches():
  one = _sums()
  two = metrics.summarize({k: (v + v if not isinstance(v, list) else [a + a for a in v])
                           for k, v in one.items()}, FANOUTS, num_steps=2, spiking_input=True)
  assert two["spikes_per_neuron"] == pytest.approx(_summary()["spikes_per_neuron"])
  assert two["silent_fraction"] == pytest.approx(_summary()["silent_fraction"])


def test_wrong_number_of_fanouts():
  with pytest.raises(ValueError, match="fan-out"):
    metrics.summarize(_sums(), FANOUTS[:2], num_steps=2, spiking_input=True)


def test_pareto_front():
  acc = [0.9, 0.95, 0.95, 0.5, float("nan"), 0.97]
  spk = [1.0, 1.0, 2.0, 0.1, 0.0, 3.0]
  # 0 is beaten by 1 (same spikes, higher accuracy); 2 by 1; 4 is NaN.
  assert metrics.pareto_front(acc, spk).tolist() == [False, True, False, True, False, True]
  # Unusable members (diverged, collapsed) are off the front and beat no one: without 1,
  # 0 and 2 are back on it.
  usable = [True, False, True, True, True, True]
  assert metrics.pareto_front(acc, spk, usable).tolist() == [True, False, True, True, False, True]

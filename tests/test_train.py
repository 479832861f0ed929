"""Two-phase training: the phase switch in one compiled step, run outputs, determinism, NaN
handling, config checks, and the end-to-end claim of the method on digits."""
import importlib
import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import digits
from snn_jax import reporting
from snn_jax import train



def is_timing(key: str) -> bool:
  """train_seconds, train_samples_per_second and the like: wall-clock, not deterministic."""
  return "seconds" in key or "per_second" in key
SUMMARY_KEYS = {"test_accuracy", "spikes_per_neuron", "spikes_per_neuron_by_layer",
                "excess_spikes_per_neuron", "silent_fraction", "silent_fraction_by_layer",
                "sops_per_sample", "energy_ratio_vs_ann", "train_seconds"}
LOSS_KEYS = {"phase", "ce", "excess", "all_spike", "silence", "total"}


def small_config():
  """digits with 256 training images: 8 steps per epoch, 1 + 1 epochs, a 2x32 net, T = 8."""
  c = digits.get_config()
  c.data.train_size = 256
  c.data.test_size = 100
  c.train.batch_size = 32
  c.train.eval_batch_size = 64  # 100 = 64 + 36: the last eval batch is padded
  c.train.epochs = 2
  c.train.phase1_epochs = 1
  c.train.log_every_steps = 4
  c.model.hidden = (32, 32)
  c.encoding.num_steps = 8
  c.phase2.learning_rate = 2e-3  # differs from phase 1's, to see it switch
  return c


def _read_jsonl(path):
  with open(path) as f:
    return [json.loads(line) for line in f]


def test_phase_switch_inside_one_compiled_step():
  c = small_config()
  exp = train.Experiment(c)
  assert exp.steps_per_epoch == 8
  state = exp.init_state()
  step_fn = jax.jit(exp.train_step)
  ds, rows = exp.dataset, []
  for _, order in exp.epochs():
    for batch in order:
      state, m = step_fn(state, ds.train_images[batch], ds.train_labels[batch])
      rows.append(jax.device_get(m))
  assert len(rows) == 16 and int(state.step) == 16
  assert step_fn._cache_size() == 1  # pylint: disable=protected-access  # compiled once
  assert [int(r["phase"]) for r in rows] == [1] * 8 + [2] * 8
  for r in rows[:8]:
    assert r["lambda_excess"] == c.phase1.lambda_excess == 0.0
    assert r["learning_rate"] == pytest.approx(c.phase1.learning_rate)
    assert r["total"] == pytest.approx(r["ce"], rel=1e-6)
  for r in rows[8:]:
    assert r["lambda_excess"] == pytest.approx(c.phase2.lambda_excess)
    assert r["learning_rate"] == pytest.approx(c.phase2.learning_rate)
    assert r["total"] == pytest.approx(r["ce"] + c.phase2.lambda_excess * r["excess"], rel=1e-5)
  assert any(r["excess"] > 0 for r in rows[8:])  # the penalty really enters the loss


def test_phase_values_at_the_boundary():
  c = small_config()
  c.phase1.update(lambda_excess=0.0, lambda_all=0.5, lambda_silence=0.25, learning_rate=1e-3)
  c.phase2.update(lambda_excess=0.3, lambda_all=0.0, lambda_silence=2.0, learning_rate=3e-4)
  hparams = train.phase_hparams(c, steps_per_epoch=5)  # boundary = 1 epoch x 5 steps
  before = train.phase_values(hparams, jnp.int32(4))
  after = train.phase_values(hparams, jnp.int32(5))
  assert int(before["phase"]) == 1 and int(after["phase"]) == 2
  for k in train.PHASE_VALUES:
    assert float(before[k]) == pytest.approx(c.phase1[k]), k
    assert float(after[k]) == pytest.approx(c.phase2[k]), k
  traced = jax.jit(jax.vmap(lambda s: train.phase_values(hparams, s)))(jnp.arange(10))
  np.testing.assert_array_equal(traced["phase"], [1] * 5 + [2] * 5)


def test_one_phase_training_starts_in_phase_two():
  c = small_config()
  c.train.phase1_epochs = 0
  values = train.phase_values(train.phase_hparams(c, steps_per_epoch=8), jnp.int32(0))
  assert int(values["phase"]) == 2
  assert float(values["lambda_excess"]) == pytest.approx(c.phase2.lambda_excess)


def approx32(expected):
  """Equality up to float32 rounding of the schedule arithmetic."""
  return pytest.approx(expected, rel=1e-5, abs=1e-12)


def schedule_config():
  """4 epochs of 10 steps: phase 1 = steps 0-19, phase 2 = steps 20-39."""
  c = small_config()
  c.train.epochs, c.train.phase1_epochs = 4, 2
  c.phase1.update(lambda_excess=0.0, lambda_silence=0.5, learning_rate=1e-3)
  c.phase2.update(lambda_excess=0.3, lambda_silence=1.0, learning_rate=4e-4)
  return c


def test_default_schedules_are_todays_constant_phases():
  c = schedule_config()
  hparams = train.phase_hparams(c, steps_per_epoch=10)
  steps = jnp.arange(45)
  values = jax.jit(jax.vmap(lambda s: train.phase_values(hparams, s)))(steps)
  for k in train.PHASE_VALUES:  # the schedule before the options existed, bit for bit
    constant = optax.join_schedules([optax.constant_schedule(jnp.float32(c.phase1[k])),
                                     optax.constant_schedule(jnp.float32(c.phase2[k]))], [20])
    np.testing.assert_array_equal(values[k], jax.vmap(constant)(steps), err_msg=k)


def test_learning_rate_warmup_and_cosine_at_chosen_steps():
  c = schedule_config()
  c.phase1.update(warmup_epochs=0.5, lr_end_fraction=0.1)  # 5 warm-up steps, 20-step cosine
  c.phase2.update(warmup_epochs=1.0, lr_end_fraction=0.0)  # 10 warm-up steps, 20-step cosine
  hparams = train.phase_hparams(c, steps_per_epoch=10)
  lr = lambda step: float(train.phase_values(hparams, jnp.int32(step))["learning_rate"])
  cosine = lambda t, n, end: end + (1 - end) * 0.5 * (1 + math.cos(math.pi * t / n))
  lr1, lr2 = c.phase1.learning_rate, c.phase2.learning_rate
  assert lr(0) == approx32(lr1 * 1 / 5)
  assert lr(2) == approx32(lr1 * 3 / 5 * cosine(2, 20, 0.1))
  assert lr(10) == approx32(lr1 * 0.55)  # half-way down the phase-1 cosine
  assert lr(19) == approx32(lr1 * cosine(19, 20, 0.1))
  assert lr(20) == approx32(lr2 * 1 / 10)  # phase 2 warms up from 0 again
  assert lr(29) == approx32(lr2 * cosine(9, 20, 0.0))
  assert lr(30) == approx32(lr2 * 0.5)
  assert lr(39) == approx32(lr2 * cosine(19, 20, 0.0))
  assert 0 < lr(39) < 0.01 * lr2


def test_penalty_ramp_from_phase_one_to_phase_two_values():
  c = schedule_config()
  c.phase2.ramp_epochs = 1.0  # 10 steps: reaches phase 2's weights at step 29
  hparams = train.phase_hparams(c, steps_per_epoch=10)
  at = lambda step: jax.device_get(train.phase_values(hparams, jnp.int32(step)))
  assert float(at(19)["lambda_excess"]) == 0.0 and float(at(19)["lambda_silence"]) == 0.5
  assert float(at(20)["lambda_excess"]) == approx32(0.03)
  assert float(at(20)["lambda_silence"]) == approx32(0.55)
  assert float(at(24)["lambda_excess"]) == approx32(0.15)
  for step in (29, 30, 39):
    assert at(step)["lambda_excess"] == np.float32(0.3), step
    assert at(step)["lambda_silence"] == np.float32(1.0), step
  assert float(at(20)["learning_rate"]) == approx32(c.phase2.learning_rate)  # not ramped


def test_one_phase_training_ramps_and_warms_up_from_step_zero():
  c = schedule_config()
  c.train.phase1_epochs = 0
  c.phase1.learning_rate = 1.0  # unused: phase 1 is empty
  c.phase2.update(ramp_epochs=2.0, warmup_epochs=2.0)
  hparams = train.phase_hparams(c, steps_per_epoch=10)
  first = train.phase_values(hparams, jnp.int32(0))
  assert int(first["phase"]) == 2
  assert float(first["lambda_excess"]) == approx32(0.3 / 20)
  assert float(first["learning_rate"]) == approx32(c.phase2.learning_rate / 20)


def test_schedules_vmap_over_members():
  configs = [schedule_config() for _ in range(3)]
  configs[1].phase2.update(ramp_epochs=1.0, lr_end_fraction=0.0)
  configs[2].phase1.warmup_epochs = 1.0
  configs[2].train.phase1_epochs = 1
  members = [train.phase_hparams(c, steps_per_epoch=10) for c in configs]
  stacked = train.stack(members)
  for step in (0, 5, 10, 20, 25, 39):
    batched = jax.jit(jax.vmap(train.phase_values, in_axes=(0, None)))(stacked, jnp.int32(step))
    for i, hparams in enumerate(members):
      alone = train.phase_values(hparams, jnp.int32(step))
      for k in (*train.PHASE_VALUES, "phase"):
        np.testing.assert_allclose(batched[k][i], alone[k], rtol=1e-6, err_msg=f"{k} {i} {step}")
  # the members really differ: ramp at step 20, warm-up at step 5, shorter phase 1 at step 10
  at = lambda step: jax.vmap(train.phase_values, in_axes=(0, None))(stacked, jnp.int32(step))
  assert at(20)["lambda_excess"][1] < at(20)["lambda_excess"][0]
  assert at(5)["learning_rate"][2] < at(5)["learning_rate"][0]
  np.testing.assert_array_equal(at(10)["phase"], [1, 1, 2])


def test_scheduled_values_drive_the_compiled_step():
  c = small_config()  # 8 steps per epoch: phase 1 = steps 0-7, phase 2 = steps 8-15
  c.phase2.update(ramp_epochs=0.5, warmup_epochs=0.25, lr_end_fraction=0.2)
  exp = train.Experiment(c)
  state = exp.init_state()
  step_fn = jax.jit(exp.train_step)
  ds, rows = exp.dataset, []
  for _, order in exp.epochs():
    for batch in order:
      expected = jax.device_get(train.phase_values(state.hparams, state.step))
      state, m = step_fn(state, ds.train_images[batch], ds.train_labels[batch])
      rows.append((expected, jax.device_get(m)))
  assert step_fn._cache_size() == 1  # pylint: disable=protected-access
  for expected, r in rows:
    for k in train.PHASE_VALUES:  # jitted and eager arithmetic may round apart
      assert float(r[k]) == approx32(float(expected[k])), k
    assert r["total"] == pytest.approx(r["ce"] + r["lambda_excess"] * r["excess"], rel=1e-5)
  ramped = [float(r["lambda_excess"]) for _, r in rows[8:]]
  assert ramped[:4] == approx32([0.025, 0.05, 0.075, 0.1])  # 0.1 over 4 steps
  assert ramped[4:] == [np.float32(0.1)] * 4


@pytest.mark.parametrize("phase, key, value, match", [
    ("phase1", "warmup_epochs", 1.5, r"phase1.warmup_epochs=1.5 must lie in \[0, 1\]"),
    ("phase2", "warmup_epochs", -0.5, "phase2.warmup_epochs"),
    ("phase2", "ramp_epochs", 2.0, r"phase2.ramp_epochs=2.0 must lie in \[0, 1\]"),
    ("phase1", "lr_end_fraction", 1.5, "phase1.lr_end_fraction"),
    ("phase2", "lr_end_fraction", -0.1, "phase2.lr_end_fraction"),
])
def test_check_config_schedule_errors(phase, key, value, match):
  c = small_config()
  c[phase][key] = value
  with pytest.raises(ValueError, match=match):
    train.check_config(c)


def test_runs_are_deterministic(tmp_path):
  _, a = train.train_and_evaluate(small_config(), str(tmp_path / "a"))
  _, b = train.train_and_evaluate(small_config(), str(tmp_path / "b"))
  strip = lambda s: {k: v for k, v in s.items() if not is_timing(k)}
  assert {"train_seconds", "train_samples_per_second"} <= set(a) - set(strip(a))
  assert strip(a) == strip(b)
  assert a["num_test_samples"] == 100
  rows_a = [strip(r) for r in _read_jsonl(tmp_path / "a" / "metrics.jsonl")]
  rows_b = [strip(r) for r in _read_jsonl(tmp_path / "b" / "metrics.jsonl")]
  assert rows_a == rows_b


def test_workdir_outputs_and_archive(tmp_path):
  workdir = tmp_path / "run"
  c = small_config()
  _, summary = train.train_and_evaluate(c, str(workdir))
  assert SUMMARY_KEYS <= set(summary)
  assert len(summary["spikes_per_neuron_by_layer"]) == len(c.model.hidden)
  with open(workdir / "summary.json") as f:
    on_disk = json.load(f)
  assert on_disk["test_accuracy"] == summary["test_accuracy"]
  with open(workdir / "config.json") as f:
    assert json.load(f)["train"]["epochs"] == c.train.epochs
  rows = _read_jsonl(workdir / "metrics.jsonl")
  train_rows = [r for r in rows if r["kind"] == "train"]
  eval_rows = [r for r in rows if r["kind"] == "eval"]
  assert len(eval_rows) == c.train.epochs
  assert train_rows and all(LOSS_KEYS <= set(r) for r in train_rows)
  assert [r["phase"] for r in train_rows] == sorted(r["phase"] for r in train_rows)
  assert {r["phase"] for r in train_rows} == {1, 2}
  assert eval_rows[-1]["test_accuracy"] == summary["test_accuracy"]
  assert os.path.exists(workdir / "results.md")

  first = {f: (workdir / f).read_bytes() for f in reporting.RUN_FILES}
  c.seed = 1
  train.train_and_evaluate(c, str(workdir))
  archives = list((workdir / "archive").iterdir())
  assert len(archives) == 1
  for name, content in first.items():  # nothing lost
    assert (archives[0] / name).read_bytes() == content
  with open(workdir / "config.json") as f:
    assert json.load(f)["seed"] == 1


def test_non_finite_loss_stops_and_keeps_metrics(tmp_path):
  c = small_config()
  c.phase1.learning_rate = 1e38  # first Adam step puts weights near float32 max -> inf - inf
  c.train.log_every_steps = 1
  with pytest.raises(reporting.NonFiniteLossError, match="metrics.jsonl"):
    train.train_and_evaluate(c, str(tmp_path))
  rows = _read_jsonl(tmp_path / "metrics.jsonl")
  assert rows and not math.isfinite(rows[-1]["total"])
  assert all(math.isfinite(r["total"]) for r in rows[:-1])
  assert not (tmp_path / "summary.json").exists()


@pytest.mark.parametrize("key, value, match", [
    ("phase1_epochs", 3, "phase1_epochs"),
    ("phase1_epochs", -1, "phase1_epochs"),
    ("batch_size", 0, "batch_size"),
    ("log_every_steps", 0, "log_every_steps"),
])
def test_check_config_errors(key, value, match):
  c = small_config()
  c.train[key] = value
  with pytest.raises(ValueError, match=match):
    train.check_config(c)
  with pytest.raises(ValueError, match=match):
    train.Experiment(c)


@pytest.mark.parametrize("name", ["digits", "mnist_fc", "fmnist_fc", "mnist_fc_sparse",
                                  "fmnist_fc_sparse", "mnist_conv", "fmnist_conv"])
def test_shipped_configs_pass_the_checks(name):
  train.check_config(importlib.import_module(f"configs.{name}").get_config())


def test_batch_larger_than_training_set():
  c = small_config()
  c.train.batch_size = 512
  with pytest.raises(ValueError, match="batch_size=512"):
    train.Experiment(c)


def test_excess_penalty_cuts_spikes_keeps_accuracy(tmp_path):
  """The method on the default config: two-phase excess penalty vs no penalty."""
  penalised_config = digits.get_config()
  assert penalised_config.phase2.lambda_excess > 0 and penalised_config.train.phase1_epochs > 0
  baseline_config = digits.get_config()
  baseline_config.phase2.lambda_excess = 0.0
  _, penalised = train.train_and_evaluate(penalised_config, str(tmp_path / "penalised"))
  _, baseline = train.train_and_evaluate(baseline_config, str(tmp_path / "baseline"))
  assert penalised["spikes_per_neuron"] < 0.5 * baseline["spikes_per_neuron"]
  assert abs(penalised["test_accuracy"] - baseline["test_accuracy"]) <= 0.03
  assert baseline["test_accuracy"] > 0.9  # the comparison is between working networks

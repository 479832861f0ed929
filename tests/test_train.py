"""Two-phase training: the phase switch in one compiled step, run outputs, determinism, NaN
handling, config checks, and the end-to-end claim of the method on digits."""
import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
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


def _first_batch(exp):
  batch = next(exp.epochs())[1][0]
  return exp.dataset.train_images[batch], exp.dataset.train_labels[batch]


def test_conv_members_step_one_by_one_equals_each_member_alone():
  c = small_config()
  c.model.name, c.model.channels, c.model.strides, c.model.hidden = "conv", (3,), (2,), (16,)
  exp = train.Experiment(c)
  configs = [c.copy_and_resolve_references() for _ in range(2)]
  configs[1].seed = 1
  images, labels = _first_batch(exp)
  members, metrics = exp.members_train_step()(
      train.stack([exp.init_state(m) for m in configs]), images, labels)
  assert metrics["total"].shape == (2,)
  single = jax.jit(exp.train_step)
  for k, m in enumerate(configs):
    alone, alone_metrics = single(exp.init_state(m), images, labels)
    for a, b in zip(jax.tree.leaves(train.unstack(members, k)), jax.tree.leaves(alone)):
      np.testing.assert_array_equal(a, b)
    assert float(metrics["total"][k]) == float(alone_metrics["total"])


def test_bfloat16_step_keeps_float32_state_and_trains():
  c = small_config()
  c.compute.dtype = "bfloat16"
  exp = train.Experiment(c)
  state = exp.init_state()
  images, labels = _first_batch(exp)
  step = jax.jit(exp.train_step)
  for _ in range(3):
    state, step_metrics = step(state, images, labels)
  dtypes = {x.dtype for x in jax.tree.leaves((state.params, state.opt_state)) if x.ndim}
  assert dtypes == {jnp.dtype(jnp.float32)}
  assert np.isfinite(float(step_metrics["total"])) and int(state.step) == 3

"""Two-phase training: the phase switch in one compiled step, run outputs, determinism, NaN
handling, config checks, and the end-to-end claim of the method on digits."""
import json
import math
import os
import re
import shutil

from flax import traverse_util
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from conftest import small_config
from configs import digits
from test_events import assert_events_match_rows
from snn_jax import events
from snn_jax import losses
from snn_jax import reporting
from snn_jax import train
from snn_jax import validation
from snn_jax import workdir as workdir_lib

SUMMARY_KEYS = {"test_accuracy", "spikes_per_neuron", "spikes_per_neuron_by_layer",
                "excess_spikes_per_neuron", "silent_fraction", "silent_fraction_by_layer",
                "sops_per_sample", "energy_ratio_vs_ann", "train_seconds"}
LOSS_KEYS = {"phase", "ce", "excess", "all_spike", "silence", "total"}


def is_timing(key: str) -> bool:
  """train_seconds, train_samples_per_second and the like: wall-clock, not deterministic."""
  return "seconds" in key or "per_second" in key


def _read_jsonl(path):
  with open(path) as f:
    return [json.loads(line) for line in f]


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


def test_compiled_step_switches_phase_on_the_schedules():
  """One compiled step serves both phases; every step trains with the schedules' values at
  that step and adds the penalty with them."""
  c = small_config()  # 8 steps per epoch: phase 1 = steps 0-7, phase 2 = steps 8-15
  c.phase2.update(ramp_epochs=0.5, warmup_epochs=0.25, lr_end_fraction=0.2)
  exp = train.Experiment(c)
  assert exp.steps_per_epoch == 8
  state = exp.init_state()
  step_fn = jax.jit(exp.train_step)
  ds, rows = exp.dataset, []
  for _, order in exp.epochs():
    for batch in order:
      expected = jax.device_get(train.phase_values(state.hparams, state.step))
      state, m = step_fn(state, ds.train_images[batch], ds.train_labels[batch])
      rows.append((expected, jax.device_get(m)))
  assert len(rows) == 16 and int(state.step) == 16
  assert step_fn._cache_size() == 1  # pylint: disable=protected-access  # compiled once
  assert [int(r["phase"]) for _, r in rows] == [1] * 8 + [2] * 8
  for expected, r in rows:
    for k in train.PHASE_VALUES:  # jitted and eager arithmetic may round apart
      assert float(r[k]) == approx32(float(expected[k])), k
    assert r["total"] == pytest.approx(r["ce"] + r["lambda_excess"] * r["excess"], rel=1e-5)
  for _, r in rows[:8]:  # phase 1: no penalty, phase 1's constant learning rate
    assert r["lambda_excess"] == c.phase1.lambda_excess == 0.0
    assert r["learning_rate"] == pytest.approx(c.phase1.learning_rate)
    assert r["total"] == pytest.approx(r["ce"], rel=1e-6)
  ramped = [float(r["lambda_excess"]) for _, r in rows[8:]]
  assert ramped[:4] == approx32([0.025, 0.05, 0.075, 0.1])  # 0.1 over 4 steps
  assert ramped[4:] == [np.float32(c.phase2.lambda_excess)] * 4
  assert any(r["excess"] > 0 for _, r in rows[8:])  # the penalty really enters the loss


@pytest.mark.parametrize("phase, key, value, match", [
    ("phase1", "warmup_epochs", 1.5, r"phase1.warmup_epochs=1.5: must lie in \[0, 1\]"),
    ("phase2", "warmup_epochs", -0.5, "phase2.warmup_epochs"),
    ("phase2", "ramp_epochs", 2.0, r"phase2.ramp_epochs=2.0: must lie in \[0, 1\]"),
    ("phase1", "lr_end_fraction", 1.5, "phase1.lr_end_fraction"),
    ("phase2", "lr_end_fraction", -0.1, "phase2.lr_end_fraction"),
])
def test_check_config_schedule_errors(phase, key, value, match):
  c = small_config()
  c[phase][key] = value
  with pytest.raises(validation.ConfigError, match=match):
    validation.check_config(c)


def test_runs_are_deterministic(small_run, tmp_path):
  first, a = small_run
  _, b = train.train_and_evaluate(small_config(), str(tmp_path / "b"))
  strip = lambda s: {k: v for k, v in s.items() if not is_timing(k)}
  assert {"train_seconds", "train_samples_per_second"} <= set(a) - set(strip(a))
  assert strip(a) == strip(b)
  assert a["num_test_samples"] == 100
  rows_a = [strip(r) for r in _read_jsonl(first / "metrics.jsonl")]
  rows_b = [strip(r) for r in _read_jsonl(tmp_path / "b" / "metrics.jsonl")]
  assert rows_a == rows_b


def test_workdir_outputs_and_archive(small_run, tmp_path):
  workdir, summary = tmp_path / "run", small_run[1]
  shutil.copytree(small_run[0], workdir)  # a copy: the archive below moves its files
  c = small_config()
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
  assert_events_match_rows(workdir, rows)
  assert {"train/learning_rate", "train/lambda_excess", "train/spikes_per_neuron",
          "eval/silent_fraction", "eval/spikes_per_neuron_by_layer/1"} <= set(
              events.scalars(train_rows[0]) | events.scalars(eval_rows[0]))

  first = {f: (workdir / f).read_bytes() for f in reporting.RUN_FILES}
  (first_events,) = events.event_files(str(workdir))
  first_checkpoints = sorted(p.name for p in (workdir / "checkpoints").iterdir())
  c.seed = 1
  with pytest.raises(workdir_lib.ConfigMismatchError, match=r"differs in seed\).*--fresh"):
    train.train_and_evaluate(c, str(workdir))
  train.train_and_evaluate(c, str(workdir), fresh=True)
  archives = list((workdir / "archive").iterdir())
  assert len(archives) == 1
  for name, content in first.items():  # nothing lost
    assert (archives[0] / name).read_bytes() == content
  assert (archives[0] / os.path.basename(first_events)).exists()
  assert len(events.event_files(str(workdir))) == 1  # only the new run's
  assert sorted(p.name for p in (archives[0] / "checkpoints").iterdir()) == first_checkpoints
  with open(workdir / "config.json") as f:
    assert json.load(f)["seed"] == 1


def _first_non_finite_step(config, workdir):
  """Trains ``config`` logging every step; the step whose loss first turned non-finite."""
  with pytest.raises(reporting.NonFiniteLossError, match="metrics.jsonl"):
    train.train_and_evaluate(config, str(workdir))
  rows = _read_jsonl(workdir / "metrics.jsonl")
  assert rows and not math.isfinite(rows[-1]["total"])
  assert all(math.isfinite(r["total"]) for r in rows[:-1])
  assert not (workdir / "summary.json").exists()
  return rows[-1]["step"]


def test_non_finite_loss_stops_naming_the_step_it_happened(tmp_path):
  c = small_config()
  c.phase1.learning_rate = 1e38  # first Adam step puts weights near float32 max -> inf - inf
  c.train.log_every_steps = 1
  step = _first_non_finite_step(c, tmp_path / "every_step")
  c.train.log_every_steps = 4  # the NaN step now lies inside a log interval
  assert step % 4 != 0
  with pytest.raises(reporting.NonFiniteLossError, match=f"at step {step} "):
    train.train_and_evaluate(c, str(tmp_path / "every_4"))
  logged = _read_jsonl(tmp_path / "every_4" / "metrics.jsonl")
  assert logged[-1]["step"] == 4 and not math.isfinite(logged[-1]["total"])


@pytest.mark.slow
def test_exploding_loss_stops_a_single_run(tmp_path):
  c = small_config()
  c.phase1.learning_rate = 1e6  # finite but wild: cross-entropy grows by orders of magnitude
  with pytest.raises(reporting.LossExplodedError,
                     match=re.escape("train.divergence_factor=100")) as err:
    train.train_and_evaluate(c, str(tmp_path))
  assert "\n" not in str(err.value)
  rows = _read_jsonl(tmp_path / "metrics.jsonl")
  assert all(math.isfinite(r["total"]) for r in rows)
  assert not (tmp_path / "summary.json").exists()
  c.train.divergence_factor = 0.0  # off: the same run ends, finite, without a summary flag
  _, summary = train.train_and_evaluate(c, str(tmp_path / "unchecked"))
  assert summary["diverged_at_step"] is None and math.isfinite(summary["test_accuracy"])


def test_silent_network_is_marked_collapsed(tmp_path):
  c = small_config()
  c.train.epochs, c.train.phase1_epochs = 1, 0
  c.neuron.threshold = 1e4  # no hidden neuron can reach it
  _, summary = train.train_and_evaluate(c, str(tmp_path / "silent"))
  assert summary["silent_fraction"] == 1.0
  assert summary["collapsed"] and "silent" in summary["collapse_reason"]
  # A healthy run is not marked: see test_excess_penalty_cuts_spikes_keeps_accuracy (16 steps
  # of small_config sit too near chance to say so on every CPU).


@pytest.mark.slow
def test_excess_penalty_cuts_spikes_keeps_accuracy(tmp_path):
  """The method on the default config: two-phase excess penalty vs no penalty, seed 0.

  XLA:CPU rounds differently per CPU kind and XLA setting, and spiking nets amplify the last
  bit, so the bounds hold what the method guarantees with wide margins. Measured on a 2-core
  CPU without AVX-512 (default XLA flags, seeds 0, 1, 2; --xla_cpu_enable_fast_math=true,
  seeds 0, 1; --xla_cpu_max_isa=SSE4_2 and =AVX, seed 0): penalised 0.82-0.85 spikes per
  neuron vs 6.06-6.35 without (7.2-7.6x fewer); accuracy 0.939-0.972 vs 0.967-0.986, the
  baseline ahead by at most 0.036 (the old bound 0.03 failed on seed 0 with default flags).
  """
  penalised_config = digits.get_config()
  assert penalised_config.phase2.lambda_excess > 0 and penalised_config.train.phase1_epochs > 0
  baseline_config = digits.get_config()
  baseline_config.phase2.lambda_excess = 0.0
  _, penalised = train.train_and_evaluate(penalised_config, str(tmp_path / "penalised"))
  _, baseline = train.train_and_evaluate(baseline_config, str(tmp_path / "baseline"))
  assert baseline["spikes_per_neuron"] > 2.0  # without the penalty the net fires freely
  assert penalised["spikes_per_neuron"] < 0.25 * baseline["spikes_per_neuron"]
  for summary in (penalised, baseline):  # both far above chance (0.1) ...
    assert summary["test_accuracy"] > 0.85 and not summary["collapsed"]
  # ... and close to each other
  assert abs(penalised["test_accuracy"] - baseline["test_accuracy"]) <= 0.08


def _run_steps(exp, train_step, state):
  """Both phases of ``exp`` with ``train_step`` jitted; returns the state after each phase."""
  step_fn, ds, after = jax.jit(train_step), exp.dataset, []
  for _, order in exp.epochs():
    for batch in order:
      state, _ = step_fn(state, ds.train_images[batch], ds.train_labels[batch])
    after.append(state)
  return after


def test_default_parameter_groups_reproduce_plain_adam():
  c = small_config()
  c.neuron.learn_beta = c.neuron.learn_threshold = True
  c.optim.grad_clip = 1.0
  exp = train.Experiment(c)
  plain = optax.with_extra_args_support(optax.chain(
      optax.clip_by_global_norm(1.0), optax.scale_by_adam(b1=0.9, b2=0.999, eps=1e-8)))
  plain_state = exp.init_state().replace(opt_state=plain.init(exp.init_state().params))
  grouped = _run_steps(exp, exp.train_step, exp.init_state())[-1]
  reference = _run_steps(exp, train.make_train_step(exp.model, plain, exp.encode,
                                                    losses.options_from_config(c.loss)),
                         plain_state)[-1]
  jax.tree.map(np.testing.assert_array_equal, grouped.params, reference.params)


def test_weight_decay_is_adamw_on_the_kernels_only():
  c = small_config()
  c.neuron.learn_beta = True
  c.optim.weight_decay = 0.5
  params = train.Experiment(c).init_state().params
  grads = jax.tree.map(lambda p: jnp.full_like(p, 0.01), params)
  is_kernel = traverse_util.unflatten_dict(
      {path: path[-1] == "kernel" for path in traverse_util.flatten_dict(params)})
  adamw = optax.chain(optax.scale_by_adam(b1=0.9, b2=0.999, eps=1e-8),
                      optax.add_decayed_weights(0.5, mask=lambda _: is_kernel))
  adam = optax.scale_by_adam(b1=0.9, b2=0.999, eps=1e-8)
  decayed = train.make_optimizer(c.optim)
  updates, _ = decayed.update(grads, decayed.init(params), params, phase=1)
  for reference in (adamw, adam):
    expected, _ = reference.update(grads, reference.init(params), params)
    same = jax.tree.map(lambda u, e: bool(np.allclose(u, e, rtol=1e-6, atol=0)), updates,
                        expected)
    assert same == jax.tree.map(lambda k: reference is adamw or not k, is_kernel)


def test_frozen_parameter_groups_do_not_move():
  c = small_config()
  c.neuron.learn_beta = c.neuron.learn_threshold = True
  c.optim.neuron.train_phase1 = False   # neuron parameters train in phase 2 only,
  c.optim.weights.train_phase2 = False  # weights in phase 1 only
  exp = train.Experiment(c)
  init = exp.init_state()
  labels = train.param_labels(init.params)
  assert labels["LIF_0"] == {"beta": "neuron", "threshold": "neuron"}
  assert labels["Dense_0"] == {"bias": "weights", "kernel": "weights"}
  phase1, phase2 = _run_steps(exp, exp.train_step, init)

  def moved(a, b, group):
    same = jax.tree.map(lambda x, y, g: bool(np.array_equal(x, y)) if g == group else None,
                        a.params, b.params, labels)
    return [not s for s in jax.tree.leaves(same)]

  assert not any(moved(init, phase1, "neuron")) and all(moved(init, phase1, "weights"))
  assert not any(moved(phase1, phase2, "weights")) and all(moved(phase1, phase2, "neuron"))


def _first_batch(exp):
  batch = next(exp.epochs())[1][0]
  return exp.dataset.train_images[batch], exp.dataset.train_labels[batch]


@pytest.mark.slow
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

"""Vmapped sweeps: members match lone runs, NaN stays in its member, chunking, Pareto, report."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import small_config
from snn_jax import health
from snn_jax import train
from snn_jax.study import sweep

COMPARED = ("test_accuracy", "spikes_per_neuron", "excess_spikes_per_neuron", "silent_fraction")


def tiny_config():
  """small_config with 128 training images (4 steps per epoch) and digits' own eval batch,
  log interval and phase-2 learning rate."""
  return small_config(data__train_size=128, train__eval_batch_size=1000,
                      train__log_every_steps=20, phase2__learning_rate=1e-3)


def grid(**axes):
  g = sweep.default_sweep()
  for k, v in axes.items():
    g[k] = v
  return g


def assert_close(a: dict, b: dict):
  # Vmapped and lone programs round differently in the last bit (XLA fuses batched and
  # unbatched reductions differently); over 8 steps that must stay a rounding-size change.
  for key in COMPARED:
    np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-4, err_msg=key)


@pytest.fixture(scope="module")
def four_member_sweep(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("sweep"))
  rows = sweep.run_sweep(tiny_config(), grid(lambda_excess=(0.0, 0.3), seeds=(0, 1)), workdir)
  return workdir, rows


def test_members_match_lone_runs(four_member_sweep, tmp_path):
  _, rows = four_member_sweep
  assert len(rows) == 4
  for row in rows[:3]:
    c = tiny_config()
    c.phase2.lambda_excess, c.seed = row["lambda_excess"], row["seed"]
    _, alone = train.train_and_evaluate(c, str(tmp_path / f"{row['lambda_excess']}_{row['seed']}"))
    assert_close(row, alone)


def test_members_differ_where_they_should(four_member_sweep):
  _, rows = four_member_sweep
  by = {(r["lambda_excess"], r["seed"]): r for r in rows}
  # 4 penalised steps cut spikes by ~12% (0.62 vs 0.70 measured), far beyond the 1e-4 that
  # rounding moves them over 8 steps
  assert by[(0.3, 0)]["spikes_per_neuron"] < by[(0.0, 0)]["spikes_per_neuron"]
  assert by[(0.0, 0)]["test_accuracy"] != by[(0.0, 1)]["test_accuracy"] or (
      by[(0.0, 0)]["spikes_per_neuron"] != by[(0.0, 1)]["spikes_per_neuron"])


def test_report_files(four_member_sweep):
  workdir, rows = four_member_sweep
  saved = json.load(open(os.path.join(workdir, "sweep.json")))
  assert [r["test_accuracy"] for r in saved] == [r["test_accuracy"] for r in rows]
  table = open(os.path.join(workdir, "sweep.md")).read()
  assert table.count("\n| ") >= len(rows) + 1 and "pareto" in table
  with open(os.path.join(workdir, "front.png"), "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n"
  for r in rows:
    assert os.path.exists(os.path.join(workdir, r["workdir"], "summary.json"))
  # Members this short may sit at chance (collapsed): only healthy ones may be on the front.
  assert any(r["pareto"] for r in rows) == any(health.is_usable(r) for r in rows)
  assert not any(r["pareto"] for r in rows if not health.is_usable(r))


@pytest.mark.slow
def test_nan_member_does_not_disturb_the_others(four_member_sweep, tmp_path):
  _, rows = four_member_sweep
  clean = [r for r in rows if r["seed"] == 0]  # the members of the same two lambdas, seed 0
  assert [r["lambda_excess"] for r in clean] == [0.0, 0.3]
  mixed = sweep.run_sweep(tiny_config(), grid(lambda_excess=(0.0, 0.3, float("inf"))),
                          str(tmp_path / "b"))
  assert mixed[2]["diverged_at_step"] is not None
  assert not mixed[2]["pareto"]
  for a, b in zip(clean, mixed[:2]):
    assert b["diverged_at_step"] is None
    assert_close(a, b)
  assert mixed[2]["diverged_reason"].startswith("training loss is ")  # inf or nan
  report = (tmp_path / "b" / "sweep.md").read_text()
  assert f"diverged at step {mixed[2]['diverged_at_step']}" in report


def test_exploded_member_is_flagged_and_left_off_the_front(tmp_path):
  c = tiny_config()
  c.phase1.learning_rate = 1e-2  # learns within 8 steps, so the calm member is not at chance
  c.phase2.learning_rate = 1e6  # only members that reach phase 2 explode
  rows = sweep.run_sweep(c, grid(phase1_epochs=(2, 0)), str(tmp_path))
  calm, wild = rows
  assert calm["diverged_at_step"] is None and calm["pareto"] == (not calm["collapsed"])
  assert wild["diverged_at_step"] is not None and "cross-entropy" in wild["diverged_reason"]
  assert not wild["pareto"]
  table = open(tmp_path / "sweep.md").read()
  assert f"diverged at step {wild['diverged_at_step']}" in table


@pytest.mark.slow
def test_members_keep_their_directories_when_the_sweep_changes(four_member_sweep, tmp_path):
  workdir, rows = four_member_sweep
  copy = str(tmp_path / "sweep")
  shutil.copytree(workdir, copy)
  by_name = {(r["lambda_excess"], r["seed"]): r for r in rows}
  members = os.path.join(copy, "members")
  old = os.path.basename(by_name[0.3, 1]["workdir"])  # as a sweep before names lost positions
  os.rename(os.path.join(members, old), os.path.join(members, f"m03_{old}"))
  before = sorted(os.listdir(members))
  again = sweep.run_sweep(tiny_config(), grid(lambda_excess=(0.3, 0.0), seeds=(1,)), copy)
  assert sorted(os.listdir(members)) == before  # nothing trained
  assert [r["workdir"] for r in again] == [f"members/m03_{old}", by_name[0.0, 1]["workdir"]]
  for r in again:
    assert r["test_accuracy"] == by_name[r["lambda_excess"], r["seed"]]["test_accuracy"]


@pytest.mark.slow
def test_chunks_give_the_same_results(tmp_path):
  axes = dict(lambda_excess=(0.0, 0.1, 0.3))
  whole = sweep.run_sweep(tiny_config(), grid(**axes), str(tmp_path / "whole"))
  chunked = sweep.run_sweep(tiny_config(), grid(chunk=2, **axes), str(tmp_path / "chunked"))
  assert [r["members_trained_together"] for r in chunked] == [2, 2, 1]
  for a, b in zip(whole, chunked):
    assert_close(a, b)


def test_member_configs_product_and_validation():
  members = sweep.member_configs(tiny_config(), grid(lambda_excess=(0.0, 1.0), phase1_epochs=(0, 1),
                                                     seeds=(3,)))
  assert [(m.phase2.lambda_excess, m.train.phase1_epochs, m.seed) for m in members] == [
      (0.0, 0, 3), (0.0, 1, 3), (1.0, 0, 3), (1.0, 1, 3)]
  assert all(m.model.hidden == (32, 32) for m in members)  # only sweep axes change
  with pytest.raises(ValueError, match="phase1_epochs"):
    sweep.member_configs(tiny_config(), grid(phase1_epochs=(5,)))
  with pytest.raises(ValueError, match=r"sweep\.seeds=1: is given twice"):
    sweep.member_configs(tiny_config(), grid(seeds=(0, 1, 1)))


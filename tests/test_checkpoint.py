"""Checkpoints: when they are due, resuming (finished, different config, unreadable folders,
a sweep chunk from its common step), load_run and the workdir's atomic files."""
import json
import os
import shutil

import jax
import numpy as np
import pytest

from conftest import small_config
from snn_jax import checkpoint
from snn_jax import train
from snn_jax import workdir as workdir_lib
from snn_jax.study import sweep


def tiny_config():
  """small_config with 128 training images (4 steps per epoch), one eval batch, a log row
  every 3 steps (not a divisor of the checkpoint steps: pending rows get saved) and phase 2 at
  phase 1's learning rate."""
  return small_config(data__train_size=128, train__eval_batch_size=100,
                      train__log_every_steps=3, phase2__learning_rate=1e-3)


def strip_timing(row: dict) -> dict:
  return {k: v for k, v in row.items() if "seconds" not in k and "per_second" not in k}


def read_rows(workdir) -> list[dict]:
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [strip_timing(json.loads(line)) for line in f]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("run"))
  state, summary = train.train_and_evaluate(tiny_config(), workdir)
  return workdir, jax.device_get(state.params), summary


def test_is_due():
  milestones = {8, 16}  # phase boundary, last step
  assert [s for s in range(1, 17) if checkpoint.is_due(s, 5, milestones)] == [5, 8, 10, 15, 16]
  assert [s for s in range(1, 17) if checkpoint.is_due(s, 0, milestones)] == [8, 16]


def test_finished_run_keeps_its_last_state_and_is_not_retrained(finished):
  workdir, params, summary = finished
  assert checkpoint.step_folders(workdir) == [8]  # keep 1; the last step is a milestone
  config, loaded = checkpoint.load_run(workdir)
  assert config.to_dict() == tiny_config().to_dict()
  jax.tree.map(np.testing.assert_array_equal, loaded, params)
  before = open(os.path.join(workdir, "metrics.jsonl")).read()
  state, again = train.train_and_evaluate(tiny_config(), workdir)
  assert state is None and again == summary
  assert open(os.path.join(workdir, "metrics.jsonl")).read() == before


def test_different_config_refuses_naming_the_keys(finished):
  workdir, _, _ = finished
  c = tiny_config()
  c.seed, c.train.epochs = 1, 3
  with pytest.raises(workdir_lib.ConfigMismatchError,
                     match=r"differs in seed, train.epochs\); rerun with --fresh"):
    train.train_and_evaluate(c, workdir)


def test_failed_construction_leaves_the_old_run_in_place(finished, tmp_path):
  workdir = str(tmp_path / "run")
  shutil.copytree(finished[0], workdir)
  before = {f: open(os.path.join(workdir, f), "rb").read() for f in os.listdir(workdir)
            if os.path.isfile(os.path.join(workdir, f))}
  c = tiny_config()
  c.model.readout = "no_such_readout"
  with pytest.raises(ValueError, match="no_such_readout"):
    train.train_and_evaluate(c, workdir, fresh=True)
  assert not os.path.exists(os.path.join(workdir, "archive"))
  for f, content in before.items():
    assert open(os.path.join(workdir, f), "rb").read() == content
  assert checkpoint.step_folders(workdir) == [8]


def test_unreadable_folders_are_skipped(finished, tmp_path, capsys):
  workdir = str(tmp_path / "run")
  shutil.copytree(finished[0], workdir)
  ckpts = os.path.join(workdir, "checkpoints")
  os.makedirs(os.path.join(ckpts, "99"))  # e.g. a copy cut short: no Orbax metadata
  with open(os.path.join(ckpts, "99", "state"), "w") as f:
    f.write("garbage")
  os.makedirs(os.path.join(ckpts, "12.orbax-checkpoint-tmp-1700000000"))  # a save cut short
  _, params = checkpoint.load_run(workdir)
  jax.tree.map(np.testing.assert_array_equal, params, finished[1])
  assert "skipping unreadable checkpoint" in capsys.readouterr().err
  # Resuming uses step 8, deletes the unreadable 99, and ends as the run did (it re-evaluates
  # the restored final state, as summary.json was lost).
  os.remove(os.path.join(workdir, "summary.json"))
  _, summary = train.train_and_evaluate(tiny_config(), workdir)
  assert "resuming from the checkpoint of step 8" in capsys.readouterr().out
  assert checkpoint.step_folders(workdir) == [8]
  assert strip_timing(summary) == strip_timing(finished[2])
  assert read_rows(workdir) == read_rows(finished[0])


def test_load_run_without_checkpoints_names_the_folder(tmp_path):
  (tmp_path / "config.json").write_text(tiny_config().to_json())
  with pytest.raises(FileNotFoundError, match="no readable checkpoint in .*checkpoints"):
    checkpoint.load_run(str(tmp_path))
  with pytest.raises(FileNotFoundError, match="config.json"):
    checkpoint.load_run(str(tmp_path / "nothing"))


@pytest.mark.slow
def test_sweep_chunk_resumes_from_its_common_step(tmp_path, capsys):
  c = tiny_config()
  c.train.checkpoint_every_steps, c.train.checkpoints_to_keep = 2, 10
  grid = sweep.default_sweep()
  grid.lambda_excess = (0.0, 0.3)
  workdir = str(tmp_path / "sweep")
  first = sweep.run_sweep(c, grid, workdir)
  members = [os.path.join(workdir, r["workdir"]) for r in first]
  rows = [read_rows(m) for m in members]
  assert checkpoint.step_folders(members[0]) == [2, 4, 6, 8]
  # As if killed after step 6 of member 0 but step 4 of member 1: the chunk restarts at 4.
  for m, last in zip(members, (6, 4)):
    os.remove(os.path.join(m, "summary.json"))
    for step in checkpoint.step_folders(m):
      if step > last:
        shutil.rmtree(os.path.join(m, "checkpoints", str(step)))
  capsys.readouterr()
  again = sweep.run_sweep(c, grid, workdir)
  assert "resuming from the checkpoint of step 4" in capsys.readouterr().out
  for a, b, m, r in zip(first, again, members, rows):  # same chunk: the same program, bitwise
    assert strip_timing(a) == strip_timing(b)
    assert read_rows(m) == r
  # Finished members are read back, not retrained; an unreadable summary.json is not finished.
  with open(os.path.join(members[1], "summary.json"), "w") as f:
    f.write('{"test_accuracy": 0.')
  assert workdir_lib.is_done(sweep.member_configs(c, grid)[0], members[0])
  assert not workdir_lib.is_done(sweep.member_configs(c, grid)[1], members[1])
  mtime = os.path.getmtime(os.path.join(members[0], "metrics.jsonl"))
  third = sweep.run_sweep(c, grid, workdir)
  assert capsys.readouterr().err.count(f"ignoring unreadable {members[1]}/summary.json") == 1
  assert os.path.getmtime(os.path.join(members[0], "metrics.jsonl")) == mtime
  assert strip_timing(third[0]) == strip_timing(first[0])
  assert third[1]["steps"] == 8 and third[1]["members_trained_together"] == 1
  for key in ("test_accuracy", "spikes_per_neuron", "silent_fraction"):  # re-evaluated alone:
    assert third[1][key] == pytest.approx(first[1][key], abs=1e-4)  # last-bit rounding only


def test_atomic_write_replaces_whole_files(tmp_path):
  path = str(tmp_path / "summary.json")
  workdir_lib.atomic_write(path, "old")
  workdir_lib.atomic_write(path, "new")
  assert open(path).read() == "new" and os.listdir(tmp_path) == ["summary.json"]


def test_lock_is_reentrant_in_one_process(tmp_path):
  with workdir_lib.lock(str(tmp_path)):
    with workdir_lib.lock(str(tmp_path)):
      pass
    assert open(tmp_path / ".lock").read().strip() == str(os.getpid())


def test_runs_saved_before_a_key_existed_match_its_default():
  config = small_config()
  saved = json.loads(config.to_json_best_effort())
  del saved["data"]["random_shift"], saved["compute"]["remat_chunk"]  # added since
  saved["compute"]["remat"] = False  # retired: what remat_chunk = 0 does now
  assert workdir_lib.config_differences(saved, config) == []
  config.data.random_shift = 2
  saved["compute"]["remat"] = True
  assert workdir_lib.config_differences(saved, config) == ["compute.remat", "data.random_shift"]

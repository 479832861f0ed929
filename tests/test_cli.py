"""The CLIs: a tiny run, every bad input refused in one line (experiments.cli), preemption
(SIGKILL, SIGTERM) and exact resume, the workdir lock, evaluating a trained run."""
import ast
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import small_config
from configs import digits
from configs import from_run
from experiments import cli
from experiments import train as train_cli
from snn_jax import train
from snn_jax import validation

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def _train(workdir, *overrides):
  return subprocess.run(
      [sys.executable, "-m", "experiments.train", "--config", "configs/digits.py",
       "--workdir", str(workdir), *overrides],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_tiny_run_writes_summary(tmp_path):
  result = _train(tmp_path, "--config.train.epochs=1", "--config.train.phase1_epochs=0",
                  "--config.data.train_size=128", "--config.data.test_size=64",
                  "--config.encoding.num_steps=4")
  assert result.returncode == 0, result.stderr[-3000:]
  with open(tmp_path / "summary.json") as f:
    summary = json.load(f)
  assert summary["num_test_samples"] == 64
  with open(tmp_path / "config.json") as f:
    config = json.load(f)
  assert config["train"]["epochs"] == 1 and config["data"]["train_size"] == 128
  assert config["encoding"]["num_steps"] == 4


# ---- bad input: one line on stderr, exit status 1, no traceback, earlier run intact ----------

@pytest.fixture(scope="module")
def finished_workdir(tmp_path_factory):
  """A workdir holding a finished tiny run, and its files' bytes."""
  workdir = tmp_path_factory.mktemp("finished")
  c = small_config(data__train_size=64, data__test_size=50, train__epochs=1,
                   train__phase1_epochs=0, encoding__num_steps=4, model__hidden=(16,),
                   train__eval_batch_size=1000, train__log_every_steps=20,
                   phase2__learning_rate=1e-3)  # the last three: digits' own
  train.train_and_evaluate(c, str(workdir))
  return workdir, _snapshot(workdir)


def _snapshot(workdir) -> dict:
  return {str(p.relative_to(workdir)): p.read_bytes() for p in workdir.rglob("*") if p.is_file()}


def _forget_overrides():
  """Drops the ``--config.<key>`` flags an earlier in-process parse registered: absl refuses
  to define one twice, as parsing the same override again would."""
  for name in [n for n in cli.FLAGS if n.startswith("config.")]:
    delattr(cli.FLAGS, name)


def run_train_cli(monkeypatch, capsys, *args):
  """``python -m experiments.train *args`` in this process: (exit status, stderr)."""
  _forget_overrides()
  monkeypatch.setattr(sys, "argv", ["experiments.train", *args])
  with pytest.raises(SystemExit) as exit_info:
    cli.run(train_cli.main)
  return exit_info.value.code, capsys.readouterr().err


# One override per way a bad value reaches the CLI: an unknown key, an unparsable value, a
# refused int, string, tuple and float, and sizes checked against the loaded data.
# test_validation.py checks every key's own message.
BAD_INPUT = [  # (override, words the one-line error must hold)
    ("--config.train.epochz=3", ["--config.train.epochz=3", "unknown key 'epochz'", "epochs"]),
    ("--config.train.epochs=abc", ["train.epochs", "abc"]),
    ("--config.encoding.num_steps=0", ["encoding.num_steps=0", ">= 1"]),
    ("--config.data.name=imagenet", ["data.name='imagenet'", "mnist"]),
    ("--config.model.hidden=(128,0)", ["model.hidden=(128, 0)", ">= 1"]),
    ("--config.phase2.lambda_excess=-1", ["phase2.lambda_excess=-1.0", ">= 0"]),
    ("--config.train.phase1_epochs=30", ["train.phase1_epochs=30", "[0, 20]"]),
    ("--config.train.batch_size=5000", ["train.batch_size=5000", "1438 training examples"]),
    ("--config.data.train_size=100000", ["data.train_size=100000", "only 1438"]),
]


@pytest.mark.parametrize("override, words", BAD_INPUT, ids=[o for o, _ in BAD_INPUT])
def test_bad_input_is_one_line_and_leaves_the_workdir(override, words, finished_workdir,
                                                      monkeypatch, capsys):
  workdir, before = finished_workdir
  status, err = run_train_cli(monkeypatch, capsys, "--config", "configs/digits.py",
                              "--workdir", str(workdir), override)
  assert status == 1
  assert err.count("\n") == 1 and err.startswith("error: "), err
  for word in words:
    assert word in err, (word, err)
  assert _snapshot(workdir) == before


def test_missing_config_file(tmp_path, monkeypatch, capsys):
  status, err = run_train_cli(monkeypatch, capsys, "--config", "configs/nope.py",
                              "--workdir", str(tmp_path))
  assert status == 1 and err.count("\n") == 1
  assert "cannot load config file" in err and "configs/nope.py" in err


def test_config_file_that_raises_is_one_line_without_its_traceback(tmp_path, monkeypatch,
                                                                   capsys):
  config = tmp_path / "refuses.py"
  config.write_text("def get_config(size):\n"
                    "  raise ValueError(f'size {size!r} is not one of small, large')\n")
  status, err = run_train_cli(monkeypatch, capsys, "--config", f"{config}:huge",
                              "--workdir", str(tmp_path / "run"))
  assert status == 1
  assert err == f"error: flag --config={config}:huge: size 'huge' is not one of small, large\n"
  assert not (tmp_path / "run").exists()


def test_a_finished_run_trains_again_from_its_workdir(finished_workdir, tmp_path, monkeypatch,
                                                     capsys):
  """configs/from_run.py: the same config gives the same numbers; an override changes only
  its key; a folder without a run is one line."""
  workdir, before = finished_workdir
  again = tmp_path / "again"
  status, err = run_train_cli(monkeypatch, capsys, "--config", f"configs/from_run.py:{workdir}",
                              "--workdir", str(again))
  assert not status, err  # app.run exits with None on success
  assert (again / "config.json").read_bytes() == before["config.json"]
  old, new = (json.loads(s) for s in (before["summary.json"], (again / "summary.json").read_text()))
  for key in ("test_accuracy", "spikes_per_neuron", "excess_spikes_per_neuron", "silent_fraction"):
    assert new[key] == old[key], key

  status, err = run_train_cli(monkeypatch, capsys, "--config", f"configs/from_run.py:{workdir}",
                              "--workdir", str(tmp_path / "seed1"), "--config.seed=1")
  assert not status, err
  old, new = (json.loads(s) for s in (before["config.json"],
                                      (tmp_path / "seed1" / "config.json").read_text()))
  assert {k for k in old if old[k] != new[k]} == {"seed"} and new["seed"] == 1
  status, err = run_train_cli(monkeypatch, capsys, "--config", f"configs/from_run.py:{tmp_path}",
                              "--workdir", str(tmp_path / "none"))
  assert status == 1 and err.count("\n") == 1
  assert f"{tmp_path}/config.json is missing" in err and "workdir of a training run" in err
  assert _snapshot(workdir) == before


@pytest.mark.parametrize("remat, known", [(False, True), (True, False)])
def test_a_run_saved_with_a_retired_key_reads_back_only_at_its_retired_value(
    finished_workdir, tmp_path, remat, known):
  """compute.remat (retired, workdir.RETIRED_KEYS) at False is today's behaviour; True is not."""
  workdir, before = finished_workdir
  saved = json.loads(before["config.json"])
  saved["compute"]["remat"] = remat
  (tmp_path / "config.json").write_text(json.dumps(saved))
  if known:
    config = from_run.get_config(str(tmp_path))
    assert "remat" not in config.compute
    assert config.to_dict() == from_run.get_config(str(workdir)).to_dict()
  else:
    with pytest.raises(ValueError, match="does not know: compute.remat$"):
      from_run.get_config(str(tmp_path))


def test_missing_data_names_every_searched_path(tmp_path, monkeypatch, capsys):
  (tmp_path / "mnist").mkdir()
  (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"")
  status, err = run_train_cli(monkeypatch, capsys, "--config", "configs/mnist_fc.py",
                              "--workdir", str(tmp_path / "run"), "--config.data.source=idx",
                              f"--config.data.data_dir={tmp_path}")
  assert status == 1 and err.count("\n") == 1 and err.startswith("error: ")
  assert f"{tmp_path / 'mnist'} (missing train-labels-idx1-ubyte.gz, t10k-images" in err
  assert f"{tmp_path} (none of the 4 IDX files)" in err
  assert not (tmp_path / "run").exists()


def test_exploding_run_ends_with_one_error_line(finished_workdir, monkeypatch, capsys):
  workdir, before = finished_workdir
  status, err = run_train_cli(
      monkeypatch, capsys, "--config", "configs/digits.py", "--workdir", str(workdir / "wild"),
      "--config.data.train_size=128", "--config.train.epochs=1", "--config.train.phase1_epochs=0",
      "--config.phase2.learning_rate=1e6", "--config.encoding.num_steps=4",
      "--config.model.hidden=(16,)")
  last = err.strip().splitlines()[-1]
  assert status == 1 and "Traceback" not in err
  assert last.startswith("error: cross-entropy") and "train.divergence_factor" in last
  assert _snapshot(workdir) == {**before, **{k: v for k, v in _snapshot(workdir).items()
                                             if k.startswith("wild")}}


def test_debug_shows_the_traceback(finished_workdir, monkeypatch):
  workdir, _ = finished_workdir
  _forget_overrides()
  monkeypatch.setattr(sys, "argv", ["experiments.train", "--config", "configs/digits.py",
                                    "--workdir", str(workdir), "--config.neuron.beta=2",
                                    "--debug"])
  with pytest.raises(validation.ConfigError, match="neuron.beta"):
    cli.run(train_cli.main)


def test_no_traceback_reaches_the_terminal(tmp_path):
  """The real entry points in a subprocess: the sweep's axis check and a bad config value."""
  sweep_run = subprocess.run(
      [sys.executable, "-m", "experiments.sweep", "--config", "configs/digits.py", "--workdir",
       str(tmp_path / "sweep"), "--sweep.phase1_epochs=0,0.7"],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
  assert sweep_run.returncode == 1
  assert sweep_run.stderr == "error: sweep.phase1_epochs=0.7: needs whole numbers\n"
  result = _train(tmp_path / "run", "--config.neuron.beta=1.5")
  assert result.returncode == 1
  assert result.stderr == "error: neuron.beta=1.5: must lie in [0, 1]\n"
  assert not (tmp_path / "sweep").exists() and not (tmp_path / "run").exists()


def _tables(tmp_path, *overrides):
  return subprocess.run(
      [sys.executable, "-m", "experiments.tables", "--config", "configs/tables_quick.py",
       "--workdir", str(tmp_path / "runs"), "--results", str(tmp_path / "results"),
       *overrides],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_tables_cli_runs_a_tiny_suite(tmp_path):
  tiny = ["--config.run.data.train_size=64", "--config.run.data.test_size=50",
          "--config.run.train.batch_size=32", "--config.run.encoding.num_steps=4",
          "--config.depth.datasets=('digits',)", "--config.depth.hidden_layers=(1,)",
          "--config.depth.width=8", "--config.penalties.benchmarks=('digits/fc',)",
          "--config.networks.fc.hidden=(8,8)", "--config.penalties.lambda_excess=(0.1,)",
          "--config.penalties.lambda_all=(0.1,)", "--config.seeds=(0,)",
          "--config.encodings=('rate',)"]
  committed_doc = (REPO_ROOT / "docs" / "RESULTS.md").read_text()
  result = _tables(tmp_path, *tiny)
  assert result.returncode == 0, result.stderr[-3000:]
  # without --doc the section goes beside the tables, not into the repository's RESULTS.md
  assert (REPO_ROOT / "docs" / "RESULTS.md").read_text() == committed_doc
  doc = (tmp_path / "results" / "RESULTS.md").read_text()
  assert "python -m experiments.tables --config configs/tables_quick.py" in doc
  penalties = json.loads((tmp_path / "results" / "penalties.json").read_text())
  assert len(penalties["runs"]) == 8  # (none + 3 methods) x without/with silence


def test_tables_cli_unknown_key_fails_before_running(tmp_path):
  result = _tables(tmp_path, "--config.penalties.lambda_exces=(1.0,)")
  assert result.returncode == 1 and result.stderr.startswith("error: ")
  assert result.stderr.count("\n") == 1 and "lambda_exces" in result.stderr
  assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()


# Preemption: 4 epochs of 8 steps (phase 1 = steps 1-16), a checkpoint after every step so a
# kill can land anywhere; log rows every 3 steps, so checkpoints also carry unlogged metrics.
PREEMPTED = ["--config.data.train_size=256", "--config.data.test_size=100",
             "--config.train.epochs=4", "--config.train.phase1_epochs=2",
             "--config.train.log_every_steps=3", "--config.train.checkpoint_every_steps=1",
             "--config.model.hidden=(32,32)", "--config.encoding.num_steps=8"]


def _preempted_config():
  """The config the PREEMPTED flags give configs/digits.py."""
  c = digits.get_config()
  c.update_from_flattened_dict({flag.split("=")[0][len("--config."):]:
                                ast.literal_eval(flag.split("=")[1]) for flag in PREEMPTED})
  return c


def _start(workdir):
  return subprocess.Popen(
      [sys.executable, "-m", "experiments.train", "--config", "configs/digits.py",
       "--workdir", str(workdir), *PREEMPTED],
      cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_checkpoint(process, workdir, after: int) -> None:
  """Until a checkpoint of a step after ``after`` exists (or the process ended)."""
  from snn_jax import checkpoint  # pylint: disable=import-outside-toplevel
  deadline = time.time() + 240
  while process.poll() is None and time.time() < deadline:
    if any(s > after for s in checkpoint.step_folders(workdir)):
      return
    time.sleep(0.01)


def _no_timing(row: dict) -> dict:
  return {k: v for k, v in row.items() if "seconds" not in k and "per_second" not in k}


def _rows(path):
  return [_no_timing(json.loads(line)) for line in open(path)]


@pytest.mark.slow
def test_killed_and_terminated_run_resumes_bitwise(tmp_path):
  """SIGKILL inside phase 1, resume, SIGTERM, resume: the end equals an uninterrupted run."""
  import jax  # pylint: disable=import-outside-toplevel
  import numpy as np  # pylint: disable=import-outside-toplevel
  from snn_jax import checkpoint  # pylint: disable=import-outside-toplevel
  from snn_jax import train  # pylint: disable=import-outside-toplevel
  workdir, reference = tmp_path / "run", tmp_path / "reference"
  phase1_steps = 16

  killed = _start(workdir)
  _wait_for_checkpoint(killed, workdir, after=0)
  time.sleep(random.uniform(0.0, 0.3))  # a random step, possibly in the middle of a save
  killed.kill()  # SIGKILL: no handler runs
  killed.communicate()
  assert killed.returncode == -signal.SIGKILL
  assert not (workdir / "summary.json").exists()

  terminated = _start(workdir)
  _wait_for_checkpoint(terminated, workdir, after=max(checkpoint.step_folders(workdir)))
  terminated.send_signal(signal.SIGTERM)
  out, err = terminated.communicate(timeout=120)
  resumed_from = int(re.search(r"resuming from the checkpoint of step (\d+)", out).group(1))
  assert 1 <= resumed_from < phase1_steps  # the kill landed in phase 1: the resume crosses it
  assert terminated.returncode == 128 + signal.SIGTERM, err[-2000:]
  assert "Traceback" not in err
  last = err.strip().splitlines()[-1]
  match = re.fullmatch(r"interrupted at step (\d+), checkpoint saved in (.+); rerun the same "
                       r"command to resume", last)
  assert match and match.group(2) == str(workdir / "checkpoints"), last
  assert int(match.group(1)) in checkpoint.step_folders(workdir)

  finished = subprocess.run([
      sys.executable, "-m", "experiments.train", "--config", "configs/digits.py",
      "--workdir", str(workdir), *PREEMPTED], cwd=REPO_ROOT, capture_output=True, text=True,
      timeout=300, check=False)
  assert finished.returncode == 0, finished.stderr[-3000:]
  assert f"resuming from the checkpoint of step {match.group(1)}" in finished.stdout

  uninterrupted = _preempted_config()
  uninterrupted.train.checkpoint_every_steps = 0  # saving must not change the numbers either
  state, _ = train.train_and_evaluate(uninterrupted, str(reference))
  _, params = checkpoint.load_run(str(workdir))
  jax.tree.map(np.testing.assert_array_equal, params, jax.device_get(state.params))
  summaries = [json.loads((d / "summary.json").read_text()) for d in (workdir, reference)]
  assert _no_timing(summaries[0]) == _no_timing(summaries[1])
  assert _rows(workdir / "metrics.jsonl") == _rows(reference / "metrics.jsonl")

  # The trained model, evaluated from its checkpoint, gives the summary's test figures.
  evaluated = subprocess.run([sys.executable, "-m", "experiments.evaluate", "--workdir",
                              str(workdir)], cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=300, check=False)
  assert evaluated.returncode == 0, evaluated.stderr[-3000:]
  figures = json.loads((workdir / "evaluation.json").read_text())
  assert figures == {k: summaries[0][k] for k in figures}
  assert {"test_accuracy", "spikes_per_neuron", "energy_ratio_vs_ann"} <= set(figures)
  assert f"| test accuracy | {figures['test_accuracy']:.4f} |" in evaluated.stdout


def test_a_live_workdir_refuses_a_second_run(tmp_path):
  from snn_jax import workdir  # pylint: disable=import-outside-toplevel
  with workdir.lock(str(tmp_path)):  # this process is the live run
    result = _train(tmp_path, "--config.train.epochs=1", "--config.train.phase1_epochs=0")
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1] == (
      f"error: workdir {tmp_path} is in use by another run (pid {os.getpid()}); wait for it to "
      "finish or use another --workdir")
  assert "Traceback" not in result.stderr and not (tmp_path / "config.json").exists()

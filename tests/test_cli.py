"""The CLIs: a tiny run, config overrides rejected before training, preemption (SIGKILL,
SIGTERM) and exact resume, the workdir lock, evaluating a trained run."""
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import time

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


def test_unknown_key_fails_before_training(tmp_path):
  result = _train(tmp_path / "run", "--config.train.epochz=3")
  assert result.returncode != 0
  assert "epochz" in result.stderr
  assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_wrong_type_fails_naming_the_key(tmp_path):
  result = _train(tmp_path / "run", "--config.train.epochs=abc")
  assert result.returncode != 0
  assert "train.epochs" in result.stderr and "abc" in result.stderr
  assert not (tmp_path / "run" / "metrics.jsonl").exists()


def _tables(tmp_path, *overrides):
  return subprocess.run(
      [sys.executable, "-m", "experiments.tables", "--config", "configs/tables_quick.py",
       "--workdir", str(tmp_path / "runs"), "--results", str(tmp_path / "results"),
       "--doc", str(tmp_path / "RESULTS.md"), *overrides],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_tables_cli_runs_a_tiny_suite(tmp_path):
  tiny = ["--config.run.data.train_size=64", "--config.run.data.test_size=50",
          "--config.run.train.batch_size=32", "--config.run.encoding.num_steps=4",
          "--config.depth.datasets=('digits',)", "--config.depth.hidden_layers=(1,)",
          "--config.depth.width=8", "--config.penalties.benchmarks=('digits/fc',)",
          "--config.networks.fc.hidden=(8,8)", "--config.penalties.lambda_excess=(0.1,)",
          "--config.penalties.lambda_all=(0.1,)", "--config.seeds=(0,)",
          "--config.encodings=('rate',)"]
  result = _tables(tmp_path, *tiny)
  assert result.returncode == 0, result.stderr[-3000:]
  doc = (tmp_path / "RESULTS.md").read_text()
  assert "python -m experiments.tables --config configs/tables_quick.py" in doc
  penalties = json.loads((tmp_path / "results" / "penalties.json").read_text())
  assert len(penalties["runs"]) == 8  # (none + 3 methods) x without/with silence


def test_tables_cli_unknown_key_fails_before_running(tmp_path):
  result = _tables(tmp_path, "--config.penalties.lambda_exces=(1.0,)")
  assert result.returncode != 0 and "lambda_exces" in result.stderr
  assert not (tmp_path / "runs").exists() and not (tmp_path / "RESULTS.md").exists()


# Preemption: 4 epochs of 8 steps (phase 1 = steps 1-16), a checkpoint after every step so a
# kill can land anywhere; log rows every 3 steps, so checkpoints also carry unlogged metrics.
PREEMPTED = ["--config.data.train_size=256", "--config.data.test_size=100",
             "--config.train.epochs=4", "--config.train.phase1_epochs=2",
             "--config.train.log_every_steps=3", "--config.train.checkpoint_every_steps=1",
             "--config.model.hidden=(32,32)", "--config.encoding.num_steps=8"]


def _preempted_config():
  from configs import digits  # pylint: disable=import-outside-toplevel
  c = digits.get_config()
  c.data.train_size, c.data.test_size = 256, 100
  c.train.epochs, c.train.phase1_epochs, c.train.log_every_steps = 4, 2, 3
  c.train.checkpoint_every_steps = 1
  c.model.hidden, c.encoding.num_steps = (32, 32), 8
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
    result = _train(tmp_path, "--config.train.epochs=1")
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1] == (
      f"error: workdir {tmp_path} is in use by another run (pid {os.getpid()}); wait for it to "
      "finish or use another --workdir")
  assert "Traceback" not in result.stderr and not (tmp_path / "config.json").exists()

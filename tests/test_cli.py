"""`python -m experiments.train`: a tiny run, and config overrides rejected before training."""
import json
import pathlib
import subprocess
import sys

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

"""The package on its own: a copy of snn_jax/ alone on the path, run from an empty directory
(so configs/ and experiments/ cannot be imported), trains through the public API."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

SCRIPT = """
import importlib.util, json, sys
import snn_jax
assert not any(importlib.util.find_spec(name) for name in ("configs", "experiments"))
c = snn_jax.default_config()
c.data.train_size, c.data.test_size = 256, 100
c.model.hidden = (32, 32)
c.encoding.num_steps = 8
c.train.batch_size, c.train.epochs, c.train.log_every_steps = 32, 2, 4
c.phase1.learning_rate = c.phase2.learning_rate = 1e-2
state, _ = snn_jax.train_and_evaluate(c, "run")
print(json.dumps({"file": snn_jax.__file__, "steps": int(state.step)}))
"""


def test_public_api_trains_without_configs_or_experiments(tmp_path):
  site = tmp_path / "site"
  shutil.copytree(REPO_ROOT / "snn_jax", site / "snn_jax",
                  ignore=shutil.ignore_patterns("__pycache__"))
  work = tmp_path / "work"
  work.mkdir()
  env = {**os.environ, "PYTHONPATH": str(site)}
  done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=work, env=env, capture_output=True,
                        text=True, timeout=600, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  result = json.loads(done.stdout.strip().splitlines()[-1])
  assert result["file"].startswith(str(site))
  assert result["steps"] == 16  # 256 / 32 images x 2 epochs
  assert (work / "run" / "summary.json").exists()
  with open(work / "run" / "metrics.jsonl") as f:
    ce = [row["ce"] for row in map(json.loads, f) if row["kind"] == "train"]
  assert len(ce) == 4 and ce[-1] < ce[0]  # it learned: steps 13-16 beat steps 1-4

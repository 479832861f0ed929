"""The device mesh: batch split over 4 (host) devices, replicated state, the same losses as
one device, batch-size checks, and when a cluster start-up is (not) attempted."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from snn_jax import parallel

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

# Runs in a fresh process: the device count is fixed when jax starts.
FOUR_DEVICES = r"""
import json, sys
import jax, numpy as np
sys.path.insert(0, "tests")
from jax.sharding import Mesh
from snn_jax import parallel, train
from test_pipeline import through_pipeline
from conftest import small_config

def run(exp, mesh, device_data):
  exp.config.train.device_data = device_data
  exp.mesh = mesh
  feed, _, state, metrics = through_pipeline(exp, [exp.config], next(exp.epochs())[1])
  source = feed._source(feed._order, 0, 1)
  return dict(
      total=metrics["total"][:, 0].tolist(),
      flops=feed._program.cost_analysis()["flops"],
      state_replicated=all(x.sharding.is_fully_replicated for x in jax.tree.leaves(state)),
      source_shard_shapes=[[list(s.data.shape) for s in a.addressable_shards]
                           for a in source if isinstance(a, jax.Array)])

c = small_config(data__random_shift=1)  # the shifts are drawn on a sharded batch too
exp = train.Experiment(c)
out = {"devices": exp.mesh.size}
four, one = exp.mesh, Mesh(np.array(jax.devices()[:1]), (parallel.BATCH_AXIS,))
for mode in ("true", "false"):
  out[mode] = {"four": run(exp, four, mode), "one": run(exp, one, mode)}
x = parallel.put(np.zeros((c.train.eval_batch_size, 8, 8), np.uint8), parallel.batch_sharded(four))
out["eval_shard_shapes"] = [list(s.data.shape) for s in x.addressable_shards]
c.train.batch_size = 30
try:
  train.Experiment(c)
except ValueError as e:
  out["error"] = str(e)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def four_devices():
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
             JAX_PLATFORMS="cpu", PYTHONPATH=str(REPO_ROOT))
  result = subprocess.run([sys.executable, "-c", FOUR_DEVICES], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  return json.loads(result.stdout.strip().splitlines()[-1])


def test_batch_is_split_over_four_devices(four_devices):
  assert four_devices["devices"] == 4
  # host batching: each device holds a quarter of every batch of the chunk (32 rows -> 8)
  host = four_devices["false"]["four"]
  max_steps = host["source_shard_shapes"][0][0][0]
  assert host["source_shard_shapes"] == [[[max_steps, 8, 8, 8]] * 4, [[max_steps, 8]] * 4]
  assert four_devices["eval_shard_shapes"] == [[16, 8, 8]] * 4  # eval batch 64 -> 16 rows
  for mode in ("true", "false"):
    run = four_devices[mode]
    assert run["four"]["state_replicated"] and run["one"]["state_replicated"]
    # each device computes a quarter of the batch: per-device work drops about 4x
    assert run["four"]["flops"] < 0.4 * run["one"]["flops"], mode


def test_four_devices_follow_the_one_device_losses(four_devices):
  for mode in ("true", "false"):
    four, one = four_devices[mode]["four"]["total"], four_devices[mode]["one"]["total"]
    assert len(four) == len(one) == 8
    # the same sums in another order (all-reduce of per-device partial gradients)
    assert four == pytest.approx(one, rel=1e-4, abs=1e-5), mode


def test_batch_size_not_divisible_names_the_key(four_devices):
  assert four_devices["error"] == ("train.batch_size=30 does not split over 4 devices; "
                                   "choose a multiple of 4")


@pytest.mark.parametrize("env, expected", [
    ({}, None),
    ({"JAX_COORDINATOR_ADDRESS": "10.0.0.1:1234", "JAX_NUM_PROCESSES": "2",
      "JAX_PROCESS_ID": "1"}, "env"),
    ({"JAX_COORDINATOR_ADDRESS": "10.0.0.1:1234"}, None),  # incomplete: no start-up
    ({"SLURM_STEP_NODELIST": "node[1-2]", "SLURM_NTASKS": "2"}, "slurm"),
    ({"SLURM_STEP_NODELIST": "node1", "SLURM_NTASKS": "1"}, None),  # one task: a laptop alike
])
def test_cluster_environment(monkeypatch, env, expected):
  for key in parallel.COORDINATOR_ENV + ("SLURM_STEP_NODELIST", "SLURM_NTASKS"):
    monkeypatch.delenv(key, raising=False)
  for key, value in env.items():
    monkeypatch.setenv(key, value)
  assert parallel.cluster_environment() == expected

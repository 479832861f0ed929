"""Devices: the cluster start-up, one data-parallel mesh and the shardings of its arrays.

Every run uses a 1-D ``jax.sharding.Mesh`` over all devices (all processes) with one
axis, ``batch``. A batch ``[B, ...]`` is split along B into ``B / D`` rows per device;
parameters, optimizer state and per-run scalars are replicated, so XLA adds one
all-reduce of the gradients per step. Sweep members are replicated too (every device
trains all K members on its share of the shared batch): the members already share the
batch, K need not divide D, and a member computes the same data-parallel program as a
lone run. The same code runs on one CPU (D = 1) and on many accelerators.
"""
import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

BATCH_AXIS = "batch"
COORDINATOR_ENV = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")


def cluster_environment() -> str | None:
  """``"env"`` when all of COORDINATOR_ENV are set, ``"slurm"`` inside a SLURM job step of
  more than one task, else None (a laptop, a one-process job)."""
  if all(os.environ.get(k) for k in COORDINATOR_ENV):
    return "env"
  if os.environ.get("SLURM_STEP_NODELIST") and int(os.environ.get("SLURM_NTASKS", "1")) > 1:
    return "slurm"
  return None


def initialize_cluster() -> None:
  """Joins the processes of a multi-process job with ``jax.distributed.initialize``.

  Call before any other jax use. Only when :func:`cluster_environment` finds one:
  ``JAX_COORDINATOR_ADDRESS=host:port JAX_NUM_PROCESSES=n JAX_PROCESS_ID=i``, or
  ``srun`` with several tasks (jax reads the SLURM variables itself).
  """
  where = cluster_environment()
  if where == "env":
    jax.distributed.initialize(coordinator_address=os.environ["JAX_COORDINATOR_ADDRESS"],
                               num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
                               process_id=int(os.environ["JAX_PROCESS_ID"]))
  elif where == "slurm":
    jax.distributed.initialize()


def process_workdir(workdir: str) -> str:
  """``workdir`` for process 0, ``workdir/process_<i>`` for the others of a multi-process
  job: every process computes the same metrics, and each writes them to its own files."""
  index = jax.process_index()
  return workdir if index == 0 else os.path.join(workdir, f"process_{index}")


def make_mesh() -> Mesh:
  """The 1-D ``batch`` mesh over every device of every process."""
  return Mesh(np.array(jax.devices()), (BATCH_AXIS,))


def check_batch_sizes(train_config, mesh: Mesh) -> None:
  """ValueError unless the train and eval batch sizes split evenly over the mesh."""
  devices = mesh.size
  for name in ("batch_size", "eval_batch_size"):
    if train_config[name] % devices:
      raise ValueError(f"train.{name}={train_config[name]} does not split over {devices} "
                       f"devices; choose a multiple of {devices}")


def replicated(mesh: Mesh) -> NamedSharding:
  """A full copy on every device (parameters, optimizer state, the device-resident data)."""
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh, batch_dim: int = 0) -> NamedSharding:
  """Split along axis ``batch_dim`` over the devices, replicated along the others."""
  return NamedSharding(mesh, PartitionSpec(*([None] * batch_dim), BATCH_AXIS))


def put(value: np.ndarray, sharding: NamedSharding) -> jax.Array:
  """A host array placed with ``sharding``; every process passes the same whole value and
  contributes the pieces its own devices hold (so it also works across processes)."""
  value = np.asarray(value)
  return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])


def put_tree(tree, sharding: NamedSharding):
  """:func:`put` applied to every leaf of ``tree`` (jax or numpy arrays)."""
  return jax.tree.map(lambda x: put(jax.device_get(x), sharding), tree)

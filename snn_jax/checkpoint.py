"""Orbax checkpoints of training runs: when to save, saving and resuming a group of runs,
stopping cleanly on SIGTERM / SIGINT, and loading a trained run.

A run's checkpoints live in ``<workdir>/checkpoints/<step>/``. Each holds two items:
``state``, the whole train state (params, optimizer state, step, PRNG key, per-run
``hparams``), and ``extra``, the training loop's JSON record (the metrics of the steps since
the last logged row, the run's divergence), so that a resumed run writes exactly the rows an
uninterrupted one writes. The data order needs no saving: each epoch's order is replayed from
``data.shuffle_seed``, and the step says where in it the run stopped.

Atomicity: Orbax writes a step into ``<step>.orbax-checkpoint-tmp-*`` and renames it to
``<step>`` only when complete (and deletes older steps only after that), so a crash mid-save
leaves the previous checkpoint the latest. A step folder that still fails to restore
(anything else that landed in ``checkpoints/``) is skipped with a one-line warning.

Runs trained together (a vmapped sweep chunk) each keep their own checkpoints in their own
workdir, saved at the same steps; they resume from the latest step all of them hold.
"""
import json
import logging
import os
import shutil
import signal
import sys
import threading

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp

CHECKPOINT_DIR = "checkpoints"

# Orbax logs several INFO lines per save through absl, which the CLIs (absl.app) print.
logging.getLogger("absl").addFilter(
    lambda record: record.levelno >= logging.WARNING or "/orbax/" not in record.pathname)


class Interrupted(Exception):
  """Training stopped on SIGTERM / SIGINT after saving a checkpoint."""

  def __init__(self, step: int, where: str, signum: int):
    super().__init__(f"interrupted at step {step}, checkpoint saved in {where}; rerun the same "
                     "command to resume")
    self.exit_code = 128 + signum  # the shell's convention for death by a signal


def is_due(step: int, every: int, milestones) -> bool:
  """Whether to save after ``step``: every ``every`` steps (0 = only at milestones) and at
  each of ``milestones`` (the phase-1/phase-2 boundaries, the last step)."""
  return (every > 0 and step % every == 0) or step in milestones


def directory(workdir: str) -> str:
  return os.path.join(os.path.abspath(workdir), CHECKPOINT_DIR)


def step_folders(workdir: str) -> list[int]:
  """Steps that have a folder in ``<workdir>/checkpoints`` (finished or not), ascending."""
  d = directory(workdir)
  return sorted(int(n) for n in os.listdir(d) if n.isdigit()) if os.path.isdir(d) else []


def _manager(workdir: str, keep: int) -> ocp.CheckpointManager:
  # Synchronous saves: the loop donates the state's buffers, and a save must be complete
  # before a signal-driven exit; the saves are small next to the training between them.
  options = ocp.CheckpointManagerOptions(max_to_keep=keep, enable_async_checkpointing=False,
                                         cleanup_tmp_directories=True)
  return ocp.CheckpointManager(directory(workdir), options=options,
                               item_names=("state", "extra"))


def _restore(workdir: str, step: int, template=None, items=("state", "extra")) -> dict | None:
  """Items of ``step`` (``state`` shaped like ``template``, as saved if None); None with a
  one-line warning if that folder does not restore."""
  args = {"state": ocp.args.StandardRestore(template), "extra": ocp.args.JsonRestore()}
  path = os.path.join(directory(workdir), str(step))
  try:
    with ocp.Checkpointer(ocp.CompositeCheckpointHandler()) as reader:
      return dict(reader.restore(path, args=ocp.args.Composite(**{k: args[k] for k in items})))
  except Exception as e:  # pylint: disable=broad-except  # any unreadable folder is skipped
    reason = str(e).splitlines()[0] if str(e) else ""
    print(f"skipping unreadable checkpoint {path}: {type(e).__name__}: {reason}", file=sys.stderr)
    return None


def history_to_json(history: dict, member: int) -> dict:
  """Member ``member``'s column of per-step metrics ``{name: [steps, K]}``, keeping dtypes."""
  return {name: {"dtype": str(v.dtype), "values": v[:, member].tolist()}
          for name, v in history.items()}


def history_from_json(members: list[dict]) -> dict:
  """The per-step metrics ``{name: [steps, K]}`` of K members from :func:`history_to_json`."""
  if not members[0]:
    return {}
  return {name: np.array([m[name]["values"] for m in members], spec["dtype"]).T
          for name, spec in members[0].items()}


class GroupCheckpoints:
  """The checkpoints of K runs trained together, each in its own workdir."""

  def __init__(self, workdirs: list[str], every: int, keep: int, milestones):
    if every < 0 or keep < 1:
      raise ValueError(f"train.checkpoint_every_steps must be >= 0 (got {every}) and "
                       f"train.checkpoints_to_keep >= 1 (got {keep})")
    self.workdirs, self.every, self.keep = list(workdirs), every, keep
    self.milestones = frozenset(milestones)
    self._managers = None

  def is_due(self, step: int) -> bool:
    """Whether a checkpoint is due after ``step`` (see :func:`is_due`)."""
    return is_due(step, self.every, self.milestones)

  def resume(self, templates: list) -> tuple[int, list, list[dict]] | None:
    """``(step, states, extras)`` from the latest step every run has a readable checkpoint
    of, or None; ``extras`` are the JSON dicts given to :meth:`save`. Checkpoint folders
    after that step (unreadable ones, or ahead of another run of the group) are deleted,
    as training redoes those steps."""
    candidates = set.intersection(*(set(step_folders(w)) for w in self.workdirs))
    found = None
    for step in sorted(candidates, reverse=True):
      items = [_restore(w, step, template)
               for w, template in zip(self.workdirs, templates)]
      if all(items):
        found = step, items
        break
    for w in self.workdirs:
      for later in step_folders(w):
        if found is None or later > found[0]:
          shutil.rmtree(os.path.join(directory(w), str(later)))
    if found is None:
      return None
    step, items = found
    return step, [i["state"] for i in items], [i["extra"] for i in items]

  def save(self, step: int, state, extras: list[dict]) -> None:
    """Member k's slice of the stacked ``state`` and the JSON dict ``extras[k]`` into its own
    workdir."""
    if self._managers is None:
      self._managers = [_manager(w, self.keep) for w in self.workdirs]
    host = jax.device_get(state)
    for k, manager in enumerate(self._managers):
      member_state = jax.tree.map(lambda x, k=k: x[k], host)
      manager.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(member_state),
                                                 extra=ocp.args.JsonSave(extras[k])))

  def interrupted(self, step: int, signum: int) -> "Interrupted":
    """The error that ends a run stopped by ``signum`` after saving ``step``."""
    where = (directory(self.workdirs[0]) if len(self.workdirs) == 1 else
             f"each of the {len(self.workdirs)} runs' {CHECKPOINT_DIR}/ folders")
    return Interrupted(step, where, signum)

  def close(self) -> None:
    for manager in self._managers or ():
      manager.close()


class StopOnSignals:
  """While active, SIGTERM and SIGINT only set ``signum``; the training loop then saves and
  stops at the next step boundary. A second signal stops at once (KeyboardInterrupt).
  Outside the main thread (where Python allows no handlers) it does nothing."""

  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.signum = 0
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    if self.signum:
      raise KeyboardInterrupt
    self.signum = signum

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
    return self

  def __exit__(self, *exc):
    for s, handler in self._previous.items():
      signal.signal(s, handler)


def _as_tuples(value):
  """config.json stores tuples as lists; configs use tuples."""
  if isinstance(value, dict):
    return {k: _as_tuples(v) for k, v in value.items()}
  if isinstance(value, list):
    return tuple(_as_tuples(v) for v in value)
  return value


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a run in ``workdir`` was trained with (its config.json)."""
  path = os.path.join(workdir, "config.json")
  try:
    with open(path) as f:
      return ml_collections.ConfigDict(_as_tuples(json.load(f)))
  except (OSError, ValueError) as e:
    raise FileNotFoundError(f"{path} is missing or unreadable ({e}); is {workdir} the workdir "
                            "of a training run?") from None


def load_run(workdir: str) -> tuple[ml_collections.ConfigDict, dict]:
  """``(config, params)`` of the run in ``workdir``: its config.json and the parameters of its
  latest readable checkpoint (nested dicts of numpy arrays, as ``model.apply`` takes them)."""
  config = load_config(workdir)
  for step in reversed(step_folders(workdir)):
    items = _restore(workdir, step, items=("state",))
    if items:
      return config, items["state"]["params"]
  raise FileNotFoundError(f"no readable checkpoint in {directory(workdir)}")

"""Training a group of member runs, a chunk of them at a time, each chunk one vmapped program
(:func:`snn_jax.train.train_members`): which members may share a program, which are already
finished, resumed or to be retrained. Used by penalty sweeps and the experiment suite."""
import contextlib

from snn_jax import checkpoint
from snn_jax import losses
from snn_jax import reporting
from snn_jax import train as train_lib
from snn_jax import workdir as workdir_lib

# The config keys that members of one program may differ in: each becomes per-run state
# (the key stream, or the schedules' scalars in TrainState.hparams).
PER_RUN_KEYS = (tuple(f"phase2.{name}" for name in losses.LAMBDA_NAMES)
                + ("train.phase1_epochs", "seed"))


def check_vmappable(members: list) -> None:
  """Raises unless ``members`` differ only in PER_RUN_KEYS (what one program can vary)."""
  first = workdir_lib.flatten(members[0].to_dict())
  for m in members[1:]:
    differ = [k for k, v in workdir_lib.flatten(m.to_dict()).items()
              if k not in PER_RUN_KEYS and first.get(k) != v]
    if differ:
      raise ValueError(f"members of one vmapped program may differ only in {sorted(PER_RUN_KEYS)}"
                       f"; these differ in {differ}")


def train_in_chunks(members: list, dirs: list[str], chunk: int = 0, *, fresh: bool = False,
                    replace_changed: bool = False) -> list[dict]:
  """Trains ``members`` (configs differing only in PER_RUN_KEYS) ``chunk`` at a time (0 = all),
  each chunk one vmapped program, into ``dirs``; returns their summaries.

  A member whose dir holds its finished run is read back; an unfinished one resumes from its
  checkpoints (a chunk from the latest step all its members have; members that were in other
  chunks before start that chunk over). A dir holding another config's run raises
  ConfigMismatchError, unless ``replace_changed`` (archive and retrain that member) or
  ``fresh`` (archive and retrain every member).
  """
  if chunk < 0:
    raise ValueError(f"sweep.chunk must be >= 0, got {chunk}")
  check_vmappable(members)
  with contextlib.ExitStack() as held:
    for d in dirs:
      held.enter_context(workdir_lib.lock(d))
    found = [workdir_lib.inspect(m, d) for m, d in zip(members, dirs)]
    changed = [f.kind == "different" for f in found]
    if not (fresh or replace_changed):
      for d, f in zip(dirs, found):
        if f.kind == "different":
          raise workdir_lib.mismatch_error(d, f.differences)
    summaries = [None if fresh else f.summary for f in found]
    todo = [i for i, s in enumerate(summaries) if s is None]
    if todo:
      exp = train_lib.Experiment(members[todo[0]])
      chunk = chunk or len(todo)
      for start in range(0, len(todo), chunk):
        group = todo[start:start + chunk]
        for i in group:
          if changed[i] and not fresh:  # now that the new model and data are built
            workdir_lib.archive(dirs[i], reporting.run_file_names(dirs[i])
                                + (checkpoint.CHECKPOINT_DIR,))
        _, done = train_lib.train_members(exp, [members[i] for i in group],
                                          [dirs[i] for i in group], stop_on_nan=False,
                                          fresh=fresh)
        for i, summary in zip(group, done):
          summaries[i] = summary
  return summaries

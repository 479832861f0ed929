"""A run's workdir: one process at a time (lock), atomic file writes, what it already holds
(nothing, an unfinished or finished run of a config, another config's run) and archiving."""
import contextlib
import datetime
import fcntl
import json
import os
import shutil
import sys
from typing import NamedTuple

from snn_jax import defaults

LOCK_FILE = ".lock"
_held = {}  # realpath of a locked workdir -> [open lock file, depth]: re-entrant in one process


class WorkdirBusyError(RuntimeError):
  """Another live process holds the workdir's lock."""


class ConfigMismatchError(ValueError):
  """The workdir holds a run of a different config."""


@contextlib.contextmanager
def lock(workdir: str):
  """Holds an exclusive ``flock`` on ``<workdir>/.lock`` (the OS drops it when the process
  dies, so a killed run leaves no stale lock). Re-entrant within one process."""
  os.makedirs(workdir, exist_ok=True)
  key = os.path.realpath(workdir)
  if key in _held:
    _held[key][1] += 1
  else:
    f = open(os.path.join(workdir, LOCK_FILE), "a+")  # pylint: disable=consider-using-with
    try:
      fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      f.seek(0)
      holder = f.read().strip() or "unknown"
      f.close()
      raise WorkdirBusyError(f"workdir {workdir} is in use by another run (pid {holder}); wait "
                             "for it to finish or use another --workdir") from None
    f.truncate(0)
    f.write(f"{os.getpid()}\n")
    f.flush()
    _held[key] = [f, 1]
  try:
    yield
  finally:
    _held[key][1] -= 1
    if _held[key][1] == 0:
      _held.pop(key)[0].close()  # closing the file releases the flock


def atomic_write(path: str, text: str) -> None:
  """Writes ``text`` to a temporary file next to ``path``, then renames it over ``path``:
  readers see the old or the new file, never half of one."""
  tmp = f"{path}.tmp{os.getpid()}"
  with open(tmp, "w") as f:
    f.write(text)
    f.flush()
    os.fsync(f.fileno())
  os.replace(tmp, path)


def flatten(tree: dict, prefix: str = "") -> dict:
  """A nested dict as ``{"dotted.key": leaf}``."""
  out = {}
  for k, v in tree.items():
    if isinstance(v, dict):
      out.update(flatten(v, f"{prefix}{k}."))
    else:
      out[prefix + k] = v
  return out


# Keys that runs of older versions saved and the library no longer has, with the value that
# means what today's code does (runs that stored another value differ).
RETIRED_KEYS = {"compute.remat": False}  # per-layer remat; now compute.remat_chunk (0 = off)


def config_differences(saved: dict, config) -> list[str]:
  """Dotted keys whose values differ between a saved config.json and ``config``. A key added
  to the library after the run was saved counts as equal while ``config`` holds its default
  (keys are added with the default that keeps the old behaviour); a retired key, while the run
  saved its RETIRED_KEYS value."""
  a, b = flatten(saved), flatten(json.loads(config.to_json_best_effort()))
  library_defaults = flatten(json.loads(defaults.default_config().to_json_best_effort()))
  for key in b.keys() - a.keys():
    if key in library_defaults:
      a[key] = library_defaults[key]
  for key in a.keys() - b.keys():
    if key in RETIRED_KEYS:
      b[key] = RETIRED_KEYS[key]
  return sorted(k for k in a.keys() | b.keys() if a.get(k, "<missing>") != b.get(k, "<missing>"))


class Found(NamedTuple):
  """What a workdir holds for a config: ``kind`` is "empty" (no config.json), "different"
  (``differences`` lists the keys), "unfinished" or "finished" (``summary`` read back)."""
  kind: str
  differences: list
  summary: dict | None


def inspect(config, workdir: str, *, quiet: bool = False) -> Found:
  """What ``workdir`` holds relative to ``config``. An unreadable summary.json counts as
  unfinished (said in one line on stderr unless ``quiet``): the run resumes from its
  checkpoints."""
  try:
    with open(os.path.join(workdir, "config.json")) as f:
      saved = json.load(f)
  except FileNotFoundError:
    return Found("empty", [], None)
  except ValueError:
    return Found("different", ["<unreadable config.json>"], None)
  differences = config_differences(saved, config)
  if differences:
    return Found("different", differences, None)
  path = os.path.join(workdir, "summary.json")
  if not os.path.exists(path):
    return Found("unfinished", [], None)
  try:
    with open(path) as f:
      return Found("finished", [], json.load(f))
  except (OSError, ValueError) as e:
    if not quiet:
      print(f"ignoring unreadable {path} ({e}); the run counts as unfinished", file=sys.stderr)
    return Found("unfinished", [], None)


def is_done(config, workdir: str) -> bool:
  """Whether ``workdir`` holds a finished run (readable summary.json) of exactly ``config``."""
  return inspect(config, workdir, quiet=True).kind == "finished"


def mismatch_error(workdir: str, differences: list) -> ConfigMismatchError:
  shown = ", ".join(differences[:8]) + (f" and {len(differences) - 8} more" if len(differences) > 8
                                        else "")
  return ConfigMismatchError(f"workdir {workdir} holds a run of a different config (differs in "
                             f"{shown}); rerun with --fresh to archive it and start over, or use "
                             "another --workdir")


def archive(workdir: str, names) -> str | None:
  """Moves the entries ``names`` present in ``workdir`` to ``workdir/archive/<UTC time>/``;
  returns that folder (None if there was nothing to move)."""
  old = [n for n in names if os.path.exists(os.path.join(workdir, n))]
  if not old:
    return None
  stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
  folder = os.path.join(workdir, "archive", stamp)
  os.makedirs(folder)
  for n in old:
    shutil.move(os.path.join(workdir, n), folder)
  return folder

"""TensorBoard event files beside metrics.jsonl, so ``tensorboard --logdir runs/`` lays runs
and sweep members side by side (each run directory holds its own events).

Every number of a metrics row becomes the scalar ``<kind>/<key>`` at the row's ``step``
(``train/ce``, ``train/lambda_excess``, ``eval/test_accuracy``, ...); a per-layer list
becomes one scalar per layer, ``<kind>/<key>/<layer>``.
"""
import glob
import os

import tensorboardX

EVENT_FILE_PATTERN = "events.out.tfevents.*"
NOT_SCALARS = ("kind", "step", "epoch")


def event_files(workdir: str) -> list[str]:
  """The event files in ``workdir`` (not in its subfolders)."""
  return sorted(glob.glob(os.path.join(workdir, EVENT_FILE_PATTERN)))


def scalars(row: dict) -> dict[str, float]:
  """``{tag: value}`` of one metrics row (see the module docstring); non-numbers are skipped."""
  out = {}
  for key, value in row.items():
    if key in NOT_SCALARS or isinstance(value, bool):
      continue
    if isinstance(value, (int, float)):
      out[f"{row['kind']}/{key}"] = float(value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
      out.update({f"{row['kind']}/{key}/{layer}": float(v) for layer, v in enumerate(value)})
  return out


class EventWriter:
  """Writes metrics rows as TensorBoard scalars to a new event file in ``workdir``; with
  ``purge_step`` TensorBoard hides earlier files' events from that step on (a resumed run)."""

  def __init__(self, workdir: str, purge_step: int | None = None):
    self.writer = tensorboardX.SummaryWriter(logdir=workdir, purge_step=purge_step)

  def log(self, row: dict) -> None:
    """Adds every scalar of ``row`` at ``row["step"]`` and flushes (a crash keeps them)."""
    for tag, value in scalars(row).items():
      self.writer.add_scalar(tag, value, global_step=row["step"])
    self.writer.flush()

  def close(self) -> None:
    self.writer.close()

"""Run outputs: the workdir files, the terminal progress bar and the results table."""
import json
import os
import sys
import time

import jax
import numpy as np

from snn_jax import events
from snn_jax import workdir as workdir_lib

RUN_FILES = ("config.json", "metrics.jsonl", "summary.json", "results.md")


def run_file_names(workdir: str) -> tuple[str, ...]:
  """RUN_FILES plus the TensorBoard event files present in ``workdir``."""
  return RUN_FILES + tuple(os.path.basename(f) for f in events.event_files(workdir))


class DivergenceError(FloatingPointError):
  """A run's training loss blew up (see :mod:`snn_jax.health`)."""


class NonFiniteLossError(DivergenceError):
  """The training loss became NaN or infinite."""


class LossExplodedError(DivergenceError):
  """The cross-entropy grew far above its first-step value while staying finite."""


class RunFiles:
  """A run's files in ``workdir`` (an earlier run's files are archived by the caller,
  :func:`snn_jax.train.train_members`); writes config.json. ``resume_step`` > 0 continues
  the run from its checkpoint of that step."""

  def __init__(self, workdir: str, config, resume_step: int = 0):
    os.makedirs(workdir, exist_ok=True)
    self.workdir = workdir
    self.metrics_path = os.path.join(workdir, "metrics.jsonl")
    workdir_lib.atomic_write(os.path.join(workdir, "config.json"),
                             config.to_json_best_effort(indent=2, sort_keys=True) + "\n")
    self._keep_rows_until(resume_step)
    # Resumed: TensorBoard hides the events an earlier process wrote after the checkpoint.
    self.events = events.EventWriter(workdir, purge_step=resume_step + 1 if resume_step else None)

  def _keep_rows_until(self, step: int) -> None:
    """Drops metrics.jsonl rows logged after ``step`` (and a half-written last line), so a run
    resumed from the checkpoint of ``step`` writes the file an uninterrupted run writes."""
    if not os.path.exists(self.metrics_path):
      return
    kept = []
    with open(self.metrics_path) as f:
      for line in f:
        try:
          row = json.loads(line)
        except ValueError:
          break  # the process died mid-line; nothing after it was written
        if row["step"] > step:
          break
        kept.append(line if line.endswith("\n") else line + "\n")
    workdir_lib.atomic_write(self.metrics_path, "".join(kept))

  def log(self, row: dict) -> None:
    """Appends one JSON object to metrics.jsonl and its scalars to the TensorBoard events
    (both flushed, so a crash keeps them)."""
    with open(self.metrics_path, "a") as f:
      f.write(json.dumps(row) + "\n")
    self.events.log(row)

  def finish(self, summary: dict) -> None:
    """Writes summary.json and results.md, closes the event file, and prints the table."""
    self.events.close()
    workdir_lib.atomic_write(os.path.join(self.workdir, "summary.json"),
                             json.dumps(summary, indent=2, sort_keys=True))
    table = format_table(summary)
    workdir_lib.atomic_write(os.path.join(self.workdir, "results.md"), table + "\n")
    print(table)


def stack_histories(items: list[tuple[dict, int]]) -> dict:
  """Metrics of consecutive steps as numpy arrays ``{name: [steps, ...]}`` from items
  ``(metrics {name: [>= n, ...]}, n)`` whose first ``n`` rows count, on the device or the
  host (one host sync)."""
  fetched = jax.device_get([metrics for metrics, _ in items])
  return {name: np.concatenate([m[name][:n] for m, (_, n) in zip(fetched, items)])
          for name in fetched[0]}


def mean_over_steps(history: dict) -> dict:
  """Each metric's mean over the steps of :func:`stack_histories`."""
  with np.errstate(over="ignore"):  # a diverging run's losses may sum past float32's range
    return {k: np.mean(v, axis=0) for k, v in history.items()}


class Progress:
  """A one-line progress bar on stderr (redrawn in place on a terminal) and the training
  throughput: the clock runs from creation (after compilation) to the last :meth:`advance`,
  less the paused stretches (evaluation)."""

  def __init__(self, total_steps: int, stream=None, first_step: int = 0):
    self.total, self.step, self.stream = total_steps, first_step, stream or sys.stderr
    self.first_step = first_step  # > 0 when resumed from a checkpoint
    self.tty = self.stream.isatty()
    self.t_last = time.perf_counter()
    self.train_seconds = 0.0

  def advance(self, steps: int = 1) -> int:
    """Counts ``steps`` more finished steps; call it after a host sync, so they are done."""
    now = time.perf_counter()
    self.train_seconds += now - self.t_last
    self.t_last = now
    self.step += steps
    return self.step

  def pause(self) -> None:
    """Leaves the time since the last :meth:`advance` out of the throughput."""
    self.t_last = time.perf_counter()

  def samples_per_second(self, batch_size: int) -> float:
    """Training throughput over the timed stretches (a resumed run's own steps)."""
    if self.step == self.first_step:
      return float("nan")
    return (self.step - self.first_step) * batch_size / self.train_seconds

  def show(self, epoch: int, row: dict) -> None:
    width = 24
    done = int(width * self.step / self.total)
    line = (f"epoch {epoch} [{'#' * done}{'.' * (width - done)}] {self.step}/{self.total} "
            f"phase {row['phase']:.0f} loss {row['total']:.4f} acc {row['accuracy']:.3f} "
            f"spikes/neuron {row['spikes_per_neuron']:.3f}")
    self.stream.write(("\r" + line) if self.tty else (line + "\n"))
    self.stream.flush()

  def close(self) -> None:
    if self.tty:
      self.stream.write("\n")


def format_table(summary: dict) -> str:
  """The run's results as a Markdown table."""
  def layers(values, fmt):
    return " / ".join(format(v, fmt) for v in values)

  rows = [
      ("test accuracy", f"{summary['test_accuracy']:.4f}"),
      ("spikes per neuron (hidden)", f"{summary['spikes_per_neuron']:.4f}"),
      ("  by layer", layers(summary["spikes_per_neuron_by_layer"], ".4f")),
      ("excess spikes per neuron", f"{summary['excess_spikes_per_neuron']:.4f}"),
      ("silent fraction", f"{summary['silent_fraction']:.4f}"),
      ("  by layer", layers(summary["silent_fraction_by_layer"], ".3f")),
      ("hidden spikes per sample", f"{summary['spikes_per_sample']:.1f}"),
      ("SOPs per sample", f"{summary['sops_per_sample']:.4g}"),
      ("energy ratio vs ANN", f"{summary['energy_ratio_vs_ann']:.4f}"),
  ]
  if "train_seconds" in summary:
    rows += [("train seconds", f"{summary['train_seconds']:.1f}"),
             ("train samples/s", f"{summary['train_samples_per_second']:.0f}")]
  return markdown_table(["metric", "value"], rows)


def markdown_table(header: list[str], lines: list) -> str:
  """A Markdown table of ``header`` and ``lines`` (sequences of cells, shown with ``str``)."""
  out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
  return "\n".join(out + ["| " + " | ".join(str(c) for c in line) + " |" for line in lines])

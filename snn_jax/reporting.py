"""Run outputs: the workdir files, the terminal progress bar and the results table."""
import datetime
import json
import os
import shutil
import sys
import time

import jax
import numpy as np

from snn_jax import events

RUN_FILES = ("config.json", "metrics.jsonl", "summary.json", "results.md")


class DivergenceError(FloatingPointError):
  """A run's training loss blew up (see :mod:`snn_jax.health`)."""


class NonFiniteLossError(DivergenceError):
  """The training loss became NaN or infinite."""


class LossExplodedError(DivergenceError):
  """The cross-entropy grew far above its first-step value while staying finite."""


class RunFiles:
  """A run's files in ``workdir``. Files of an earlier run there are first moved to
  ``workdir/archive/<UTC time>/``, so nothing already written is lost."""

  def __init__(self, workdir: str, config):
    os.makedirs(workdir, exist_ok=True)
    old = [f for f in RUN_FILES if os.path.exists(os.path.join(workdir, f))]
    old += [os.path.basename(f) for f in events.event_files(workdir)]
    if old:
      stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
      archive = os.path.join(workdir, "archive", stamp)
      os.makedirs(archive)
      for f in old:
        shutil.move(os.path.join(workdir, f), archive)
    self.workdir = workdir
    self.metrics_path = os.path.join(workdir, "metrics.jsonl")
    with open(os.path.join(workdir, "config.json"), "w") as f:
      f.write(config.to_json_best_effort(indent=2, sort_keys=True) + "\n")
    self.events = events.EventWriter(workdir)

  def log(self, row: dict) -> None:
    """Appends one JSON object to metrics.jsonl and its scalars to the TensorBoard events
    (both flushed, so a crash keeps them)."""
    with open(self.metrics_path, "a") as f:
      f.write(json.dumps(row) + "\n")
    self.events.log(row)

  def finish(self, summary: dict) -> None:
    """Writes summary.json and results.md, closes the event file, and prints the table."""
    self.events.close()
    with open(os.path.join(self.workdir, "summary.json"), "w") as f:
      json.dump(summary, f, indent=2, sort_keys=True)
    table = format_table(summary)
    with open(os.path.join(self.workdir, "results.md"), "w") as f:
      f.write(table + "\n")
    print(table)


def stack_steps(step_metrics: list[dict]) -> dict:
  """Device metric dicts of consecutive steps as numpy arrays ``[steps, ...]`` (one host sync)."""
  return jax.device_get(jax.tree.map(lambda *xs: np.stack(xs), *step_metrics))


def mean_over_steps(history: dict) -> dict:
  """Each metric's mean over the steps of :func:`stack_steps`."""
  with np.errstate(over="ignore"):  # a diverging run's losses may sum past float32's range
    return {k: np.mean(v, axis=0) for k, v in history.items()}


class Progress:
  """A one-line progress bar on stderr (redrawn in place on a terminal)."""

  def __init__(self, total_steps: int, stream=None):
    self.total, self.step, self.stream = total_steps, 0, stream or sys.stderr
    self.tty = self.stream.isatty()
    self.t_first = None
    self.t_last = None

  def advance(self) -> int:
    self.step += 1
    now = time.perf_counter()
    if self.t_first is None:
      self.t_first = now  # after the first step, i.e. after compilation
    self.t_last = now
    return self.step

  def samples_per_second(self, batch_size: int) -> float:
    """Training throughput after the first (compiling) step."""
    if self.step < 2:
      return float("nan")
    return (self.step - 1) * batch_size / (self.t_last - self.t_first)

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
  return "\n".join(["| metric | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows])

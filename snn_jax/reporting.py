"""Run outputs: the workdir files, the terminal progress bar and the results table."""
import datetime
import json
import math
import os
import shutil
import sys
import time

RUN_FILES = ("config.json", "metrics.jsonl", "summary.json", "results.md")


class NonFiniteLossError(FloatingPointError):
  """The training loss became NaN or infinite."""


class RunFiles:
  """A run's files in ``workdir``. Files of an earlier run there are first moved to
  ``workdir/archive/<UTC time>/``, so nothing already written is lost."""

  def __init__(self, workdir: str, config):
    os.makedirs(workdir, exist_ok=True)
    old = [f for f in RUN_FILES if os.path.exists(os.path.join(workdir, f))]
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

  def log(self, row: dict) -> None:
    """Appends one JSON object to metrics.jsonl (flushed, so a crash keeps it)."""
    with open(self.metrics_path, "a") as f:
      f.write(json.dumps(row) + "\n")

  def finish(self, summary: dict) -> None:
    """Writes summary.json and results.md, and prints the table."""
    with open(os.path.join(self.workdir, "summary.json"), "w") as f:
      json.dump(summary, f, indent=2, sort_keys=True)
    table = format_table(summary)
    with open(os.path.join(self.workdir, "results.md"), "w") as f:
      f.write(table + "\n")
    print(table)


def is_finite(row: dict) -> bool:
  """Whether the logged total loss is finite."""
  return math.isfinite(row["total"])


def nan_message(row: dict, step: int, metrics_path: str) -> str:
  """What went wrong, where the metrics are and what to try."""
  return (f"training loss is {row['total']} at step {step} (phase {row['phase']:.0f}; terms: "
          + ", ".join(f"{k}={row[k]:.4g}" for k in ("ce", "excess", "all_spike", "silence"))
          + f"). Metrics so far are in {metrics_path}. Try a lower learning rate or penalty "
          "weights, or optim.grad_clip > 0.")


class Progress:
  """A one-line progress bar on stderr (redrawn in place on a terminal) and the training
  throughput: the clock runs from creation (after compilation) to the last :meth:`advance`,
  less the paused stretches (evaluation)."""

  def __init__(self, total_steps: int, stream=None):
    self.total, self.step, self.stream = total_steps, 0, stream or sys.stderr
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
    """Training throughput over the timed stretches."""
    if self.step == 0:
      return float("nan")
    return self.step * batch_size / self.train_seconds

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

"""Penalty-weight sweeps: K runs trained together as one ``vmap``-ed program.

Members differ only in per-run state: ``seed`` (initialisation and encoding
noise), phase 2's penalty weights and the phase-1 length. They share the model,
the data and its order (``data.shuffle_seed``), so a member's numbers match the
same config trained alone with ``experiments.train``. This module builds the grid of
member configs and writes the sweep's report; :func:`snn_jax.members.train_in_chunks`
trains the members.
"""
import glob
import itertools
import json
import math
import os

import ml_collections

from snn_jax import health
from snn_jax import members as members_lib
from snn_jax import metrics
from snn_jax import reporting
from snn_jax import validation
from snn_jax import workdir as workdir_lib
from snn_jax.study import tables

# config key -> its column in the report, for every key one vmapped program can vary
AXIS_COLUMNS = {key: key.rsplit(".", 1)[-1] for key in members_lib.PER_RUN_KEYS}
# sweep key -> config key it sets in each member
AXES = {("seeds" if column == "seed" else column): key for key, column in AXIS_COLUMNS.items()}
TABLE_COLUMNS = tuple(AXIS_COLUMNS.values()) + (
    "test_accuracy", "spikes_per_neuron", "excess_spikes_per_neuron", "silent_fraction", "pareto",
    "status")


def default_sweep() -> ml_collections.ConfigDict:
  """Sweep axes (empty = keep the config's value) and ``chunk`` (members per program, 0 = all)."""
  return ml_collections.ConfigDict({**{axis: () for axis in AXES}, "chunk": 0})


def _set(config, dotted: str, value) -> None:
  *parents, leaf = dotted.split(".")
  node = config
  for p in parents:
    node = node[p]
  node[leaf] = type(node[leaf])(value)


def _get(config, dotted: str):
  node = config
  for p in dotted.split("."):
    node = node[p]
  return node


def member_configs(config, sweep) -> list:
  """One config per point of the Cartesian product of the non-empty sweep axes."""
  validation.check_sweep(sweep)
  axes = {k: tuple(sweep[k]) or (_get(config, path),) for k, path in AXES.items()}
  members = []
  for values in itertools.product(*axes.values()):
    member = ml_collections.ConfigDict(config.to_dict())
    for key, value in zip(axes, values):
      _set(member, AXES[key], value)
    validation.check_config(member)
    members.append(member)
  return members


def member_label(member) -> str:
  """A directory name such as ``lex0.1_lall0_lsil0_p1e1_seed1``: the member's values of the
  sweep axes, so a member keeps its directory when the sweep gains or loses values."""
  return (f"lex{member.phase2.lambda_excess:g}_lall{member.phase2.lambda_all:g}"
          f"_lsil{member.phase2.lambda_silence:g}_p1e{member.train.phase1_epochs}"
          f"_seed{member.seed}")


def member_dir(workdir: str, member) -> str:
  """``<workdir>/members/<label>``, or the member's directory from a sweep that named it by
  its position (``m03_<label>``) where only that one exists."""
  label = member_label(member)
  path = os.path.join(workdir, "members", label)
  by_position = glob.glob(os.path.join(workdir, "members", f"m[0-9][0-9]_{label}"))
  return by_position[0] if by_position and not os.path.exists(path) else path


def run_sweep(config, sweep, workdir: str, *, fresh: bool = False) -> list[dict]:
  """Trains every member (``sweep.chunk`` at a time) and writes the sweep report. A rerun
  reads finished members back and resumes the others; ``fresh`` retrains them all."""
  members = member_configs(config, sweep)
  dirs = [member_dir(workdir, m) for m in members]
  with workdir_lib.lock(workdir):
    summaries = members_lib.train_in_chunks(members, dirs, sweep.chunk, fresh=fresh)
    return _report(workdir, members, dirs, summaries)


def _report(workdir: str, members: list, dirs: list[str], summaries: list[dict]) -> list[dict]:
  """The members' rows (axis values, workdir, summary, Pareto mark), written as the report."""
  rows = []
  for member, path, summary in zip(members, dirs, summaries):
    rows.append({**{column: _get(member, key) for key, column in AXIS_COLUMNS.items()},
                 "workdir": os.path.relpath(path, workdir), **summary})
  front = metrics.pareto_front([r["test_accuracy"] for r in rows],
                               [r["spikes_per_neuron"] for r in rows],
                               [health.is_usable(r) for r in rows])
  for row, on_front in zip(rows, front):
    row["pareto"] = bool(on_front)
  write_report(workdir, rows)
  return rows


def markdown_table(rows: list[dict], columns=TABLE_COLUMNS) -> str:
  """Rows as a Markdown table (floats to 4 significant digits; ``status`` says which members
  diverged or collapsed)."""
  def cell(row, col):
    v = row.get(col)
    if col == "status":
      return run_status(row)
    if isinstance(v, bool):
      return "yes" if v else ""
    return f"{v:.4g}" if isinstance(v, float) else str(v)
  return reporting.markdown_table(list(columns), [[cell(r, c) for c in columns] for r in rows])


def run_status(summary: dict) -> str:
  """"diverged at step N", "collapsed" or "" (healthy), for tables."""
  if summary.get("diverged_at_step") is not None:
    return f"diverged at step {summary['diverged_at_step']}"
  return "collapsed" if summary.get("collapsed") else ""


def plot_front(rows: list[dict], path: str, title: str = "") -> None:
  """Scatter of accuracy vs spikes per neuron, Pareto members joined by a line."""
  plt, fig, (ax,) = tables.figure(1, size=(5.5, 4))
  ok = [r for r in rows
        if math.isfinite(r["test_accuracy"]) and math.isfinite(r["spikes_per_neuron"])]
  points = ax.scatter([r["spikes_per_neuron"] for r in ok], [r["test_accuracy"] for r in ok],
                      c=[r["lambda_excess"] for r in ok], cmap="viridis")
  fig.colorbar(points, label="lambda_excess")
  front = sorted((r for r in ok if r["pareto"]), key=lambda r: r["spikes_per_neuron"])
  ax.plot([r["spikes_per_neuron"] for r in front], [r["test_accuracy"] for r in front], "r--",
          label="Pareto front")
  ax.set_xlabel("hidden spikes per neuron per sample")
  ax.set_ylabel("test accuracy")
  ax.set_title(title)
  ax.legend(loc="lower right")
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def write_report(workdir: str, rows: list[dict]) -> None:
  """sweep.json (every member's summary), sweep.md (table) and front.png."""
  os.makedirs(workdir, exist_ok=True)
  workdir_lib.atomic_write(os.path.join(workdir, "sweep.json"), json.dumps(rows, indent=2))
  workdir_lib.atomic_write(
      os.path.join(workdir, "sweep.md"),
      "# Sweep\n\nPareto: no other member has higher-or-equal accuracy with fewer-or-equal "
      "spikes per neuron; diverged and collapsed members (status) are left out.\n\n"
      + markdown_table(rows) + "\n\n![front](front.png)\n")
  plot_front(rows, os.path.join(workdir, "front.png"))
  print(markdown_table(rows))

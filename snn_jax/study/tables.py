"""The suite's tables: per-run rows -> mean and spread over seeds, Markdown, plots, RESULTS.md.

Spread is the population standard deviation over seeds (half the range for two seeds).
"""
import collections
import json
import math
import os

import numpy as np

from snn_jax import metrics
from snn_jax import reporting
from snn_jax import workdir

METRICS = ("test_accuracy", "spikes_per_neuron", "excess_spikes_per_neuron", "silent_fraction",
           "spikes_per_sample", "sops_per_sample", "energy_snn_pj", "energy_ratio_vs_ann",
           "train_seconds")
LAYER_METRICS = ("spikes_per_neuron_by_layer", "silent_fraction_by_layer")
DEPTH_KEYS = ("dataset", "network", "encoding", "depth")
PENALTY_KEYS = ("dataset", "network", "encoding", "method", "silence", "lam")
PANEL_KEYS = ("dataset", "network", "encoding")
UNUSABLE_PICK = "most accurate, though every lambda diverged or collapsed"


def group_by(rows: list[dict], keys: tuple) -> dict[tuple, list[dict]]:
  """Rows grouped by their values of ``keys``, groups and rows in first-seen order."""
  groups = {}
  for row in rows:
    groups.setdefault(tuple(row[k] for k in keys), []).append(row)
  return groups


def aggregate(rows: list[dict], keys: tuple) -> list[dict]:
  """One row per distinct ``keys`` (first-seen order): ``<metric>_mean`` / ``_std`` over its
  seeds, ``seeds``, ``diverged`` and ``collapsed`` (how many of its runs did; see
  :mod:`snn_jax.health`)."""
  out = []
  for key, members in group_by(rows, keys).items():
    agg = dict(zip(keys, key), seeds=[m["seed"] for m in members],
               diverged=sum(m.get("diverged_at_step") is not None for m in members),
               collapsed=sum(bool(m.get("collapsed")) for m in members))
    for metric in METRICS + LAYER_METRICS:
      values = np.array([m[metric] for m in members], float)
      agg[f"{metric}_mean"] = np.mean(values, axis=0).tolist()
      agg[f"{metric}_std"] = np.std(values, axis=0).tolist()
    out.append(agg)
  return out


def is_usable(row: dict) -> bool:
  """Whether an aggregated row may enter fronts and best-lambda picks: none of its seeds'
  runs diverged or collapsed."""
  return not row.get("diverged", 0) and not row.get("collapsed", 0)


def mark_fronts(agg: list[dict], keys: tuple = PANEL_KEYS) -> None:
  """Sets ``pareto`` on each row: on the accuracy-vs-spikes front of the rows sharing its
  ``keys`` (by default its dataset, network and encoding; means over seeds; rows with a
  diverged or collapsed run left out)."""
  for rows in group_by(agg, keys).values():
    front = metrics.pareto_front([r["test_accuracy_mean"] for r in rows],
                               [r["spikes_per_neuron_mean"] for r in rows],
                               [is_usable(r) for r in rows])
    for row, on in zip(rows, front):
      row["pareto"] = bool(on)


def best_lambdas(agg: list[dict], tolerance: float) -> list[dict]:
  """Per panel, method and silence setting, the lambda table 3 compares: the one with the
  fewest spikes per neuron among those within ``tolerance`` (absolute accuracy) of the panel's
  no-penalty run, else the most accurate. Rows with a diverged or collapsed run are passed
  over; where every lambda has one, the most accurate is shown, marked. Adds ``selected_by``."""
  choices = group_by(agg, PANEL_KEYS + ("method", "silence"))
  baseline = {key[:3]: rows[0]["test_accuracy_mean"] for key, rows in choices.items()
              if key[3:] == ("none", False)}
  best = []
  for key, rows in choices.items():
    floor = baseline.get(key[:3], math.inf) - tolerance
    usable = [r for r in rows if is_usable(r)]
    ok = [r for r in usable if r["test_accuracy_mean"] >= floor]
    if ok:
      pick = dict(min(ok, key=lambda r: r["spikes_per_neuron_mean"]),
                  selected_by=f"fewest spikes within {tolerance:.1%} of no penalty")
    elif usable:
      pick = dict(max(usable, key=lambda r: r["test_accuracy_mean"]),
                  selected_by="most accurate (none within tolerance)")
    else:
      pick = dict(max(rows, key=lambda r: r["test_accuracy_mean"]),
                  selected_by=UNUSABLE_PICK)
    best.append(pick)
  return best


def plus_minus(row: dict, metric: str, scale: float = 1.0, digits: int = 2) -> str:
  mean, std = row[f"{metric}_mean"] * scale, row[f"{metric}_std"] * scale
  return f"{mean:.{digits}f} ± {std:.{digits}f}"


def unhealthy_note(row: dict) -> str:
  """" (1 diverged, 2 collapsed)": how many of the row's runs are unhealthy."""
  notes = [f"{row[k]} {k}" for k in ("diverged", "collapsed") if row.get(k)]
  return f" ({', '.join(notes)})" if notes else ""


def seeds_vary(agg: list[dict]) -> bool:
  """Whether the rows' means are over different seeds (a suite completed in pieces)."""
  return len({tuple(r["seeds"]) for r in agg}) > 1


def with_seeds(header: list, lines: list, agg: list[dict]) -> str:
  """A Markdown table, with a seeds column where the rows' seeds differ."""
  if seeds_vary(agg):
    header = header + ["seeds"]
    lines = [line + [", ".join(map(str, r["seeds"]))] for line, r in zip(lines, agg)]
  return reporting.markdown_table(header, lines)


def depth_markdown(agg: list[dict]) -> str:
  header = ["dataset", "encoding", "hidden layers", "accuracy %", "spikes/neuron",
            "spikes/neuron by layer", "hidden spikes/sample", "silent %"]
  lines = [[r["dataset"], r["encoding"], r["depth"],
            plus_minus(r, "test_accuracy", 100) + unhealthy_note(r),
            plus_minus(r, "spikes_per_neuron", 1, 3),
            " / ".join(f"{v:.2f}" for v in r["spikes_per_neuron_by_layer_mean"]),
            plus_minus(r, "spikes_per_sample", 1, 0), plus_minus(r, "silent_fraction", 100, 1)]
           for r in agg]
  return with_seeds(header, lines, agg)


def penalty_markdown(agg: list[dict]) -> str:
  header = ["dataset", "network", "encoding", "method", "silence", "lambda", "accuracy %",
            "spikes/neuron", "excess/neuron", "silent %", "SOPs/sample", "energy vs ANN", "front"]
  lines = [[r["dataset"], r["network"], r["encoding"], r["method"], "yes" if r["silence"] else "",
            f"{r['lam']:g}", plus_minus(r, "test_accuracy", 100) + unhealthy_note(r),
            plus_minus(r, "spikes_per_neuron", 1, 3),
            plus_minus(r, "excess_spikes_per_neuron", 1, 3),
            plus_minus(r, "silent_fraction", 100, 1), f"{r['sops_per_sample_mean']:.3g}",
            f"{r['energy_ratio_vs_ann_mean']:.3f}", "*" if r.get("pareto") else ""]
           for r in agg]
  return with_seeds(header, lines, agg)


def encodings_markdown(best: list[dict], encodings: tuple) -> str:
  """Table 3: one line per dataset, network, method and silence; per encoding its lambda,
  accuracy, spikes per neuron and silent fraction."""
  by_key = {}
  for r in best:
    key = (r["dataset"], r["network"], r["method"], r["silence"])
    by_key.setdefault(key, {})[r["encoding"]] = r
  header = ["dataset", "network", "method", "silence"]
  for e in encodings:
    header += [f"{e} lambda", f"{e} accuracy %", f"{e} spikes/neuron", f"{e} silent %"]
  lines = []
  for (dataset, network, method, silence), per in by_key.items():
    line = [dataset, network, method, "yes" if silence else ""]
    for e in encodings:
      r = per.get(e)
      line += ([f"{r['lam']:g}" + _pick_mark(r),
                plus_minus(r, "test_accuracy", 100) + unhealthy_note(r),
                plus_minus(r, "spikes_per_neuron", 1, 3), plus_minus(r, "silent_fraction", 100, 1)]
               if r else ["-"] * 4)
    lines.append(line)
  return reporting.markdown_table(header, lines)


def _pick_mark(pick: dict) -> str:
  """"" for a pick within tolerance, " †" for the most accurate instead, " ‡" when every
  lambda diverged or collapsed."""
  if pick["selected_by"].startswith("fewest"):
    return ""
  return " ‡" if pick["selected_by"] == UNUSABLE_PICK else " †"


def figure(num_panels: int, size: tuple = (5.5, 4.2)):
  """Matplotlib (headless), a figure and its ``num_panels`` axes, two per row of ``size``."""
  import matplotlib  # pylint: disable=import-outside-toplevel
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
  cols = min(num_panels, 2)
  rows = max(1, math.ceil(num_panels / cols))
  fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
  for ax in axes.flat[num_panels:]:
    ax.set_visible(False)
  return plt, fig, axes.flat


def _panels(agg: list[dict], keys=("dataset", "encoding")) -> dict:
  """Plot panels: title -> rows."""
  return {" / ".join(map(str, key)): rows for key, rows in group_by(agg, keys).items()}


def plot_depth(agg: list[dict], path: str) -> None:
  """Spikes per neuron of each layer, one line per depth, a panel per dataset and encoding."""
  panels = _panels(agg)
  if not panels:
    return
  plt, fig, axes = figure(len(panels))
  for ax, (title, rows) in zip(axes, panels.items()):
    for r in rows:
      layers = r["spikes_per_neuron_by_layer_mean"]
      ax.plot(range(1, len(layers) + 1), layers, "o-",
              label=f"{r['depth']} layers ({100 * r['test_accuracy_mean']:.1f}%)")
    ax.set(title=title, xlabel="hidden layer", ylabel="spikes per neuron per sample")
    ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


METHOD_COLORS = {"none": "k", "all_spike": "b", "excess_1phase": "r", "excess_2phase": "g"}


def _plot_methods(agg: list[dict], path: str, x: str, y: str, axis: dict):
  """``y`` vs ``x`` per method and silence setting (dashed, hollow: without the silence term),
  a panel per benchmark and encoding; a cross marks a mean over seeds of which some diverged
  or collapsed (:func:`is_usable`). Returns the (closed) figure, None without rows."""
  panels = _panels(agg, PANEL_KEYS)
  if not panels:
    return None
  plt, fig, axes = figure(len(panels))
  for ax, (title, rows) in zip(axes, panels.items()):
    for method, color in METHOD_COLORS.items():
      for silence in (False, True):
        pts = sorted((r[x], r[y], is_usable(r)) for r in rows
                     if r["method"] == method and r["silence"] == silence)
        if pts:
          xs, ys, _ = zip(*pts)
          ax.plot(xs, ys, "o-" if silence else "o--", color=color,
                  markerfacecolor=color if silence else "none",
                  label=method + (" + silence" if silence else ""))
          bad = [(px, py) for px, py, ok in pts if not ok]
          if bad:
            ax.plot(*zip(*bad), "x", color=color, markersize=11)
    if not all(is_usable(r) for r in rows):
      ax.plot([], [], "x", color="gray", label="a seed diverged or collapsed")
    ax.set(title=title, **axis)
    ax.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return fig


def plot_fronts(agg: list[dict], path: str):
  """Accuracy vs spikes per neuron per method (the fronts); returns the figure."""
  return _plot_methods(agg, path, "spikes_per_neuron_mean", "test_accuracy_mean",
                       dict(xlabel="hidden spikes per neuron per sample",
                            ylabel="test accuracy", xscale="symlog"))


def plot_silent(agg: list[dict], path: str):
  """Silent fraction vs lambda per penalised method; returns the figure."""
  penalised = [r for r in agg if r["method"] != "none"]
  return _plot_methods(penalised, path, "lam", "silent_fraction_mean",
                       dict(xlabel="lambda", ylabel="silent fraction (test set)",
                            xscale="log", ylim=(-0.02, 1.02)))


def write_table(results_dir: str, name: str, rows: list[dict], agg: list[dict], markdown: str,
                intro: str, **extra) -> None:
  """results/<name>.json (runs, aggregated rows and any ``extra`` fields) and
  results/<name>.md."""
  os.makedirs(results_dir, exist_ok=True)
  workdir.atomic_write(os.path.join(results_dir, f"{name}.json"),
                       json.dumps({"runs": rows, "aggregated": agg, **extra}, indent=1))
  workdir.atomic_write(os.path.join(results_dir, f"{name}.md"), f"{intro}\n\n{markdown}\n")


def merge_rows(earlier: list[dict], rows: list[dict], keys: tuple) -> tuple[list[dict], int]:
  """``earlier`` rows (a table's runs as saved) updated by this invocation's ``rows``: a row
  with the same ``keys`` replaces the earlier one in place, new ones follow. Returns the rows
  and how many of them are earlier runs this invocation did not touch."""
  fresh = {tuple(r[k] for k in keys): r for r in rows}
  merged = [fresh.pop(tuple(r[k] for k in keys), r) for r in earlier]
  kept = len(merged) - (len(rows) - len(fresh))
  return merged + list(fresh.values()), kept


def read_saved(results_dir: str, name: str, default):
  """``results_dir/<name>.json`` as written by an earlier invocation, else ``default``."""
  path = os.path.join(results_dir, f"{name}.json")
  if not os.path.exists(path):
    return default
  with open(path) as f:
    return json.load(f)


def update_doc(doc_path: str, suite_name: str, section: str) -> None:
  """Replaces (or appends) the generated section of ``suite_name`` in ``doc_path``, keeping
  everything else (the hand-written reading) as it is."""
  start, end = f"<!-- generated: {suite_name} -->", f"<!-- end generated: {suite_name} -->"
  text = open(doc_path).read() if os.path.exists(doc_path) else "# Results\n"
  block = f"{start}\n{section.strip()}\n{end}"
  if start in text and end in text:
    text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
  else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
  os.makedirs(os.path.dirname(doc_path) or ".", exist_ok=True)
  workdir.atomic_write(doc_path, text)


def captions(suite, depth: list[dict], penalties: list[dict]) -> dict:
  """Each table's caption: what its rows are and how they were picked (``depth`` and
  ``penalties``: the aggregated rows, whose seeds the captions name)."""
  def seeds(agg, where="its column seeds"):
    if seeds_vary(agg):
      return f"mean ± s.d. over the seeds in {where}"
    return f"mean ± s.d. over seeds {tuple(agg[0]['seeds']) if agg else tuple(suite.seeds)}"

  tolerance = suite.encodings_table.accuracy_tolerance
  return {
      "depth": f"Table 1: no-penalty MLPs of growing depth ({seeds(depth)}).",
      "penalties": (f"Table 2: penalties on deep nets; silence = the silence term "
                    f"(lambda_silence {suite.penalties.lambda_silence:g}) in phase 2; front = on "
                    f"the accuracy-vs-spikes Pareto front of its panel ({seeds(penalties)})."),
      "encodings": (f"Table 3: table 2 at each method's best lambda per encoding: the one "
                    f"with the fewest spikes per neuron among those within {tolerance:.1%} "
                    f"accuracy of no penalty (without silence term), else (marked †) the most "
                    f"accurate; runs that diverged or collapsed are passed over (‡: all did) "
                    f"({seeds(penalties, 'its row of table 2')})."),
  }


def machines_line(invocations: list) -> str:
  """The machine the invocations ran on, or each machine with how many of them ran there."""
  counts = collections.Counter(i["machine"] for i in invocations)
  if len(counts) == 1:
    return f"- machine: {invocations[0]['machine']}"
  return "- machines: " + "; ".join(f"{m} ({n} invocation{'s' * (n > 1)})"
                                    for m, n in counts.items())


def doc_section(suite, results_dir: str, doc_path: str, md: dict, invocations: list) -> str:
  """The suite's section of ``doc_path``: how and where it ran, then each table (``md``:
  name -> (caption, Markdown, rows, aggregated rows)) with its figures."""
  rel = os.path.relpath(results_dir, os.path.dirname(os.path.abspath(doc_path)) or ".")
  last = invocations[-1]
  wall = sum(i["wall_seconds"] for i in invocations)
  by = (f"generated by `{last['command']}`" if len(invocations) == 1 else
        f"generated by {len(invocations)} invocations, the last `{last['command']}`")
  lines = [f"## Suite `{suite.name}` ({by})", "",
           machines_line(invocations),
           f"- wall time: {wall / 60:.1f} min over {len(invocations)} invocation(s) "
           f"(the last: {last['wall_seconds'] / 60:.1f} min from {last['started']}, "
           f"{last['runs_trained']} runs trained, {last['runs_reused']} read back"
           + (f", {last['runs_kept']} kept from earlier invocations' tables"
              if last.get("runs_kept") else "") + ")",
           f"- run config: {suite.run.data.train_size or 'all'} training / "
           f"{suite.run.data.test_size or 'all'} test examples, {suite.run.train.epochs} epochs "
           f"(two-phase: {suite.run.train.phase1_epochs} without penalty), T = "
           f"{suite.run.encoding.num_steps}, batch {suite.run.train.batch_size}; the last "
           f"invocation's seeds {tuple(suite.seeds)}; files in `{rel}/`"]
  lines += [f"- skipped: {s}" for s in last["skipped"]]
  empty = [intro.split(":")[0] for intro, _, rows, _ in md.values() if not rows]
  if empty:
    lines.append(f"- not in this invocation's grid (no runs): {', '.join(empty)}")
  for name, (intro, markdown, rows, _) in md.items():
    if not rows:
      continue
    lines += ["", f"### {intro}", "", markdown]
    if name == "depth":
      lines += ["", f"![spikes per layer vs depth]({rel}/depth.png)"]
    if name == "penalties":
      lines += ["", f"![accuracy vs spikes]({rel}/penalties_front.png)",
                f"![silent fraction vs lambda]({rel}/penalties_silent.png)"]
  return "\n".join(lines)

"""Accuracy-vs-spikes fronts of training recipes, one panel per dataset, seeds as error bars.

A front config (``configs/front_full.py``) maps each panel to its recipes; a recipe is a run
config (``run``) and the sweep that traces its curve (``sweep``: the axes of
:func:`snn_jax.study.sweep.default_sweep`, seeds included). Each recipe is an ordinary
penalty sweep in ``<workdir>/<panel>/<recipe>``, so finished members are read back and
unfinished ones resume. Its members are labelled with a method (the recipe's name, plus
``_1phase`` or ``_2phase`` where the sweep varies the phase-1 length) and a ``lam``: the
value of the recipe's swept penalty weight (0 for a recipe without one).
"""
import os

import ml_collections

from snn_jax import losses
from snn_jax import reporting
from snn_jax.study import sweep as sweep_lib
from snn_jax.study import tables

KEYS = ("panel", "method", "lam")


def check_front(front) -> None:
  """Clear errors for a front config that cannot draw its panels."""
  if not front.panels:
    raise ValueError("front.panels is empty: name at least one panel with one recipe")
  for panel, recipes in front.panels.items():
    if not recipes:
      raise ValueError(f"front.panels.{panel} has no recipes")
    for name, recipe in recipes.items():
      missing = {"run", "sweep"} - set(recipe)
      if missing:
        raise ValueError(f"front.panels.{panel}.{name} lacks {sorted(missing)}")
      unknown = set(recipe.sweep) - set(sweep_lib.default_sweep())
      if unknown:
        raise ValueError(f"front.panels.{panel}.{name}.sweep has no axis {sorted(unknown)}; "
                         f"choose from {sorted(sweep_lib.default_sweep())}")
      swept = [w for w in losses.LAMBDA_NAMES if len(recipe.sweep.get(w, ())) > 1]
      if len(swept) > 1:
        raise ValueError(f"front.panels.{panel}.{name} sweeps {swept}: a curve has one "
                         f"penalty weight")


def _sweep(recipe) -> ml_collections.ConfigDict:
  axes = sweep_lib.default_sweep()
  for axis, values in recipe.sweep.items():
    axes[axis] = values
  return axes


def label_rows(panel: str, name: str, recipe, rows: list[dict]) -> list[dict]:
  """``rows`` of one recipe's sweep with ``panel``, ``method`` and ``lam`` added."""
  swept = [w for w in losses.LAMBDA_NAMES if recipe.sweep.get(w)]
  by_phase = len(recipe.sweep.get("phase1_epochs", ())) > 1
  out = []
  for row in rows:
    method = name + (("_2phase" if row["phase1_epochs"] else "_1phase") if by_phase else "")
    out.append({**row, "panel": panel, "method": method,
                "lam": row[swept[0]] if swept else 0.0,
                "workdir": os.path.join(panel, name, row["workdir"])})
  return out


def run_front(front, workdir: str) -> list[dict]:
  """Trains (or reads back) every recipe's sweep; returns every member's labelled row."""
  check_front(front)
  rows = []
  for panel, recipes in front.panels.items():
    for name, recipe in recipes.items():
      print(f"[{panel}/{name}]", flush=True)
      done = sweep_lib.run_sweep(recipe.run, _sweep(recipe), os.path.join(workdir, panel, name))
      rows += label_rows(panel, name, recipe, done)
  return rows


def aggregate(rows: list[dict]) -> list[dict]:
  """Mean and spread over seeds per panel, method and lambda, with each panel's Pareto front
  (over every method; diverged or collapsed points left out)."""
  agg = tables.aggregate(rows, KEYS)
  tables.mark_fronts(agg, keys=("panel",))
  return agg


def markdown(agg: list[dict]) -> str:
  header = ["panel", "method", "lambda", "seeds", "accuracy %", "spikes/neuron", "silent %",
            "energy uJ", "spikes/neuron by layer", "front"]
  lines = [[r["panel"], r["method"], f"{r['lam']:g}", len(r["seeds"]),
            tables.plus_minus(r, "test_accuracy", 100) + tables.unhealthy_note(r),
            tables.plus_minus(r, "spikes_per_neuron", 1, 3),
            tables.plus_minus(r, "silent_fraction", 100, 1),
            f"{1e-6 * r['energy_snn_pj_mean']:.2f}",
            " / ".join(f"{v:.2f}" for v in r["spikes_per_neuron_by_layer_mean"]),
            "*" if r["pareto"] else ""] for r in agg]
  return reporting.markdown_table(header, lines)


# x axes of the front plots: metric -> (scale to the plotted unit, axis label, file suffix)
X_AXES = {
    "spikes_per_neuron": (1.0, "hidden spikes per neuron per sample (test set)", ""),
    "energy_snn_pj": (1e-6, "energy per test sample, uJ (docs/METHOD.md section 8)", "_energy"),
}


def plot(agg: list[dict], panel: str, path: str, silent_limit: float = 0.01,
         x_metric: str = "spikes_per_neuron") -> None:
  """Accuracy vs ``x_metric`` (a key of X_AXES; log x) of ``panel``: a line per method through
  its lambdas, error bars = s.d. over seeds; hollow markers where ``silent_limit`` or more of
  the neurons are silent (the share written beside them). Diverged or collapsed points are
  left out."""
  scale, label, _ = X_AXES[x_metric]
  plt, fig, (ax,) = tables.figure(1, size=(7.0, 5.0))
  rows = [r for r in agg if r["panel"] == panel and tables.is_usable(r)
          and r["spikes_per_neuron_mean"] > 0]
  for method, points in tables.group_by(rows, ("method",)).items():
    points = sorted(points, key=lambda r: r[f"{x_metric}_mean"])
    x = [scale * r[f"{x_metric}_mean"] for r in points]
    y = [100 * r["test_accuracy_mean"] for r in points]
    line = ax.errorbar(x, y, xerr=[scale * r[f"{x_metric}_std"] for r in points],
                       yerr=[100 * r["test_accuracy_std"] for r in points], fmt="-",
                       capsize=3, label=method[0])
    color = line.lines[0].get_color()
    for r, xi, yi in zip(points, x, y):
      silent = r["silent_fraction_mean"]
      ax.plot(xi, yi, "o", color=color,
              markerfacecolor="none" if silent >= silent_limit else color)
      if silent >= silent_limit:
        ax.annotate(f"{100 * silent:.0f}%", (xi, yi), textcoords="offset points",
                    xytext=(4, -10), fontsize=7, color=color)
  ax.set_xscale("log")
  low, high = ax.get_xlim()
  ticks = [t for t in (0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10, 20) if low <= t <= high]
  ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
  ax.xaxis.set_minor_formatter(plt.NullFormatter())
  ax.set(xlabel=label, ylabel="test accuracy %",
         title=f"{panel}: hollow = {100 * silent_limit:g}% or more neurons silent (share shown)")
  if rows:
    ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def write(rows: list[dict], results_dir: str) -> list[dict]:
  """front.json (every member and the aggregated points), front.md and per panel one plot per
  X_AXES entry: front_<panel>.png (spikes per neuron) and front_<panel>_energy.png."""
  agg = aggregate(rows)
  panels = list(dict.fromkeys(r["panel"] for r in rows))
  intro = ("Accuracy, spikes per neuron and energy per test sample per method and lambda, mean "
           "± s.d. over seeds; front = on its panel's accuracy-vs-spikes Pareto front.")
  files = {(panel, metric): f"front_{panel}{suffix}.png"
           for panel in panels for metric, (_, _, suffix) in X_AXES.items()}
  figures = "\n".join(f"![{panel}]({name})" for (panel, _), name in files.items())
  tables.write_table(results_dir, "front", rows, agg, markdown(agg) + "\n\n" + figures, intro)
  for (panel, metric), name in files.items():
    plot(agg, panel, os.path.join(results_dir, name), x_metric=metric)
  return agg


"""Accuracy-vs-spikes fronts of training recipes, one panel per dataset, seeds as error bars.

A front config (``configs/front_full.py``) maps each panel to its recipes; a recipe is a run
config (``run``) and the sweep that traces its curve (``sweep``: the axes of
:func:`snn_jax.study.sweep.default_sweep`, seeds included). Each recipe is an ordinary
penalty sweep in ``<workdir>/<panel>/<recipe>``, so finished members are read back and
unfinished ones resume. Its members are labelled with a method (the recipe's name, plus
``_1phase`` or ``_2phase`` where the sweep varies the phase-1 length) and a ``lam``: the
value of the recipe's swept penalty weight (0 for a recipe without one).

A front may be drawn in pieces (recipes trained on different machines or days): ``only``
picks the panels or recipes one invocation trains, and :func:`run` merges their members
with those saved in the results directory's front.json by earlier invocations, provided each
recipe was defined alike there (its run config and swept weight; the swept values and seeds
may differ).
"""
import json
import os

import ml_collections

from snn_jax import losses
from snn_jax import reporting
from snn_jax import workdir as workdir_lib
from snn_jax.study import sweep as sweep_lib
from snn_jax.study import tables

KEYS = ("panel", "method", "lam")
MEMBER_KEYS = KEYS + ("seed",)


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
  if front.get("chunk", 0) < 0:
    raise ValueError(f"front.chunk must be >= 0 (0 = each recipe's members together), got "
                     f"{front.chunk}")
  selected(front)


def selected(front) -> list[tuple[str, str, ml_collections.ConfigDict]]:
  """``(panel, recipe name, recipe)`` of every recipe that ``front.only`` picks: entries
  ``"<panel>"`` or ``"<panel>/<recipe>"``; all recipes where it is empty or absent."""
  only = tuple(front.get("only", ()))
  for entry in only:
    panel, _, name = entry.partition("/")
    if panel not in front.panels:
      raise ValueError(f"front.only entry {entry!r}: no panel {panel!r}; choose from "
                       f"{sorted(front.panels)}")
    if name and name not in front.panels[panel]:
      raise ValueError(f"front.only entry {entry!r}: panel {panel} has no recipe {name!r}; "
                       f"choose from {sorted(front.panels[panel])}")
  return [(panel, name, recipe) for panel, recipes in front.panels.items()
          for name, recipe in recipes.items()
          if not only or panel in only or f"{panel}/{name}" in only]


def swept_weight(recipe) -> str:
  """The penalty weight whose values a recipe's ``lam`` gives ("" if it sweeps none)."""
  return next((w for w in losses.LAMBDA_NAMES if recipe.sweep.get(w)), "")


def definition(recipe) -> dict:
  """What a recipe's members are, as JSON: its run config and which weight ``lam`` is (the
  sweep's values only pick the members)."""
  return {"run": json.loads(recipe.run.to_json_best_effort()), "lam": swept_weight(recipe)}


def check_same_recipes(front, saved: dict, results_dir: str) -> None:
  """Raises unless every recipe ``front`` trains was defined alike in ``saved`` (the recipes
  of an earlier invocation's front.json, by ``"<panel>/<recipe>"``) or is not there."""
  for panel, name, recipe in selected(front):
    earlier = saved.get(f"{panel}/{name}")
    if earlier is None:
      continue
    differ = [f"run.{k}" for k in workdir_lib.config_differences(earlier["run"], recipe.run)]
    if earlier["lam"] != swept_weight(recipe):
      differ.append(f"swept weight ({earlier['lam'] or 'none'})")
    if differ:
      raise ValueError(
          f"{os.path.join(results_dir, 'front.json')}: recipe {panel}/{name} ran there with "
          f"other {', '.join(differ[:8])} than now; its members cannot be merged: use another "
          f"--results, or move {results_dir} away")


def _sweep(recipe, chunk: int) -> ml_collections.ConfigDict:
  axes = sweep_lib.default_sweep()
  for axis, values in recipe.sweep.items():
    axes[axis] = values
  axes.chunk = chunk or axes.chunk
  return axes


def label_rows(panel: str, name: str, recipe, rows: list[dict]) -> list[dict]:
  """``rows`` of one recipe's sweep with ``panel``, ``method`` and ``lam`` added."""
  swept = swept_weight(recipe)
  by_phase = len(recipe.sweep.get("phase1_epochs", ())) > 1
  out = []
  for row in rows:
    method = name + (("_2phase" if row["phase1_epochs"] else "_1phase") if by_phase else "")
    out.append({**row, "panel": panel, "method": method,
                "lam": row[swept] if swept else 0.0,
                "workdir": os.path.join(panel, name, row["workdir"])})
  return out


def run_front(front, workdir: str) -> list[dict]:
  """Trains (or reads back) the sweep of every recipe ``front.only`` picks (``front.chunk``
  members per program where > 0); returns every member's labelled row."""
  check_front(front)
  rows = []
  for panel, name, recipe in selected(front):
    print(f"[{panel}/{name}]", flush=True)
    done = sweep_lib.run_sweep(recipe.run, _sweep(recipe, front.get("chunk", 0)),
                               os.path.join(workdir, panel, name))
    rows += label_rows(panel, name, recipe, done)
  return rows


def run(front, workdir: str, results_dir: str, write_files: bool = True) -> list[dict]:
  """Trains the recipes ``front.only`` picks (see :func:`run_front`), adds the members saved in
  ``results_dir/front.json`` by earlier invocations (same panel, method, lambda and seed: the
  new one replaces the saved) and, if ``write_files``, writes the front (:func:`write`).
  Refuses, before training, a recipe defined otherwise than where it was saved. Returns the
  aggregated points of all members."""
  check_front(front)
  saved = tables.read_saved(results_dir, "front", {"runs": []})
  recipes = saved.get("recipes", {})  # none in a front.json older than pieces
  check_same_recipes(front, recipes, results_dir)
  rows, kept = tables.merge_rows(saved["runs"], run_front(front, workdir), MEMBER_KEYS)
  print(f"{kept} members kept from {os.path.join(results_dir, 'front.json')}", flush=True)
  recipes.update({f"{panel}/{name}": definition(recipe)
                  for panel, name, recipe in selected(front)})
  return write(rows, results_dir, recipes) if write_files else aggregate(rows)


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


def write(rows: list[dict], results_dir: str, recipes: dict | None = None) -> list[dict]:
  """front.json (every member, the aggregated points and the ``recipes``' definitions),
  front.md and per panel one plot per X_AXES entry: front_<panel>.png (spikes per neuron) and
  front_<panel>_energy.png."""
  agg = aggregate(rows)
  panels = list(dict.fromkeys(r["panel"] for r in rows))
  intro = ("Accuracy, spikes per neuron and energy per test sample per method and lambda, mean "
           "± s.d. over seeds; front = on its panel's accuracy-vs-spikes Pareto front.")
  files = {(panel, metric): f"front_{panel}{suffix}.png"
           for panel in panels for metric, (_, _, suffix) in X_AXES.items()}
  figures = "\n".join(f"![{panel}]({name})" for (panel, _), name in files.items())
  tables.write_table(results_dir, "front", rows, agg, markdown(agg) + "\n\n" + figures, intro,
                     recipes=recipes or {})
  for (panel, metric), name in files.items():
    plot(agg, panel, os.path.join(results_dir, name), x_metric=metric)
  return agg


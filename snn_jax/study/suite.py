"""The experiment suite behind the paper's claims: which runs each table needs, and running them.

A suite config (``configs/tables_quick.py``, ``configs/tables_full.py``) holds ``run``, the
run config every experiment starts from, ``run_by_encoding`` (keys of ``run`` set for one
encoding only, e.g. ``{"latency": {"model": {"init_spikes": 2.0}}}``), plus each table's grid:

  depth:     no-penalty MLPs with ``depth.hidden_layers`` hidden layers of ``depth.width``;
  penalties: on each ``penalties.benchmarks`` entry ("<dataset>/<network>"), every METHOD
             over its lambda grid, each without and with the silence term;
  encodings: no runs of its own; it picks table 2's best lambda per method and encoding.

Every table runs for each of ``encodings`` and ``seeds``. Each run is an ordinary run
directory under the workdir. Runs that differ only in seed, penalty weights or phase-1
length train together as one vmapped program (:func:`snn_jax.members.train_in_chunks`). A
run whose directory already holds a summary.json of the same config is read back instead of
retrained, and an unfinished one resumes from its checkpoints, so an interrupted suite
resumes where it stopped; a run of a changed config is archived and retrained.

A suite may also be completed in pieces, each an invocation with a narrower grid (fewer
datasets, encodings, seeds...), on other machines: each table holds the runs of this
invocation plus those saved in the results directory by earlier ones
(:func:`tables.merge_rows`), provided every piece defines its runs alike
(:func:`check_same_runs`).
"""
import json
import os
import platform
import time
from typing import NamedTuple

import jax
import ml_collections

from snn_jax import data as data_lib
from snn_jax import losses
from snn_jax import members as members_lib
from snn_jax import validation
from snn_jax import workdir as workdir_lib
from snn_jax.study import tables

# method -> (which phase-2 weight lambda sets, whether phase 1 (no penalty) comes first); the
# suite's lambda grid of a method is penalties.<that weight's name>
METHODS = {
    "none": (None, False),
    "all_spike": (losses.LAMBDAS["all_spike"], False),
    "excess_1phase": (losses.LAMBDAS["excess"], False),
    "excess_2phase": (losses.LAMBDAS["excess"], True),
}


# Suite keys that pick which runs to make, not what a run is: invocations that differ only in
# these may add their runs up in one results directory (a suite completed in pieces).
GRID_KEYS = ("name", "seeds", "encodings", "depth.datasets", "depth.hidden_layers",
             "penalties.benchmarks", "penalties.lambda_excess", "penalties.lambda_all",
             "penalties.chunk", "encodings_table.accuracy_tolerance")
# table -> the labels that name one of its runs
RUN_KEYS = {"depth": tables.DEPTH_KEYS + ("seed",), "penalties": tables.PENALTY_KEYS + ("seed",)}


class Run(NamedTuple):
  labels: dict     # what the tables show: dataset, network, encoding, depth or method/lambda, seed
  config: ml_collections.ConfigDict
  workdir: str


def run_config(suite, dataset: str, encoding: str, network: str = "") -> ml_collections.ConfigDict:
  """``suite.run`` without penalties on ``dataset`` with ``encoding``, its keys of
  ``suite.run_by_encoding`` and, if named, the model keys of ``suite.networks[network]``."""
  c = ml_collections.ConfigDict(suite.run.to_dict())
  c.data.name, c.encoding.name = dataset, encoding
  overrides = workdir_lib.flatten(suite.run_by_encoding.to_dict().get(encoding, {}))
  unknown = sorted(overrides.keys() - workdir_lib.flatten(c.to_dict()).keys())
  if unknown:
    raise ValueError(f"suite.run_by_encoding.{encoding}.{unknown[0]} is not a run config key")
  c.update_from_flattened_dict(overrides)
  for phase in (c.phase1, c.phase2):
    for name in losses.LAMBDA_NAMES:
      phase[name] = 0.0
  if not network:
    return c
  if network not in suite.networks:
    raise ValueError(f"network {network!r} is not in suite.networks {sorted(suite.networks)}")
  for key, value in suite.networks[network].items():
    if key not in c.model:
      raise ValueError(f"suite.networks.{network}.{key} is not a model key ({sorted(c.model)})")
    c.model[key] = value
  return c


def with_seed(config, seed: int) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict(config.to_dict())
  c.seed = seed
  return c


def depth_groups(suite, workdir: str) -> list[list[Run]]:
  """Table 1: one group (the seeds) per dataset, encoding and depth; no penalty."""
  groups = []
  for dataset in suite.depth.datasets:
    for encoding in suite.encodings:
      for depth in suite.depth.hidden_layers:
        base = run_config(suite, dataset, encoding)
        base.model.name, base.model.hidden = "mlp", (suite.depth.width,) * depth
        where = os.path.join(workdir, "depth", f"{dataset}_{encoding}", f"L{depth}")
        labels = dict(dataset=dataset, network=f"mlp{suite.depth.width}", encoding=encoding,
                      depth=depth)
        groups.append([Run({**labels, "seed": s}, with_seed(base, s),
                           os.path.join(where, f"seed{s}")) for s in suite.seeds])
  return groups


def penalty_variants(penalties) -> list[tuple[str, float, float]]:
  """``(method, lambda, lambda_silence)`` for every METHOD and lambda, without and with silence."""
  grids = {method: tuple(penalties[weight]) if weight else (0.0,)
           for method, (weight, _) in METHODS.items()}
  return [(method, lam, silence) for silence in (0.0, penalties.lambda_silence)
          for method in METHODS for lam in grids[method]]


def apply_method(config, method: str, lam: float, silence: float) -> ml_collections.ConfigDict:
  """``config`` trained by ``method``: its weight ``lam`` (and the silence term) in phase 2;
  phase 1 (``config.train.phase1_epochs``, no penalty) only for the two-phase method."""
  weight, two_phase = METHODS[method]
  c = ml_collections.ConfigDict(config.to_dict())
  if weight:
    c.phase2[weight] = lam
  c.phase2.lambda_silence = silence
  if not two_phase:
    c.train.phase1_epochs = 0
  return c


def penalty_groups(suite, workdir: str) -> list[list[Run]]:
  """Table 2: one group (every method, lambda, silence setting and seed) per benchmark and
  encoding."""
  groups = []
  for benchmark in suite.penalties.benchmarks:
    dataset, network = parse_benchmark(benchmark)
    for encoding in suite.encodings:
      base = run_config(suite, dataset, encoding, network)
      where = os.path.join(workdir, "penalties", f"{dataset}_{network}_{encoding}")
      group = []
      for method, lam, silence in penalty_variants(suite.penalties):
        for s in suite.seeds:
          labels = dict(dataset=dataset, network=network, encoding=encoding, method=method,
                        silence=silence > 0, lam=lam, seed=s)
          name = f"{method}_lam{lam:g}_sil{silence:g}_seed{s}"
          group.append(Run(labels, with_seed(apply_method(base, method, lam, silence), s),
                           os.path.join(where, name)))
      groups.append(group)
  return groups


def parse_benchmark(benchmark: str) -> tuple[str, str]:
  dataset, sep, network = benchmark.partition("/")
  if not sep:
    raise ValueError(f"benchmark {benchmark!r} must read '<dataset>/<network>'")
  return dataset, network


def run_groups(groups: list[list[Run]], chunk: int = 0) -> tuple[list[dict], list[str], int]:
  """Trains (or reads back) every run. Returns one row per run (labels + summary), the
  reasons of groups skipped because their dataset is unavailable (TFDS-only data offline)
  and how many runs were trained now."""
  rows, skipped, trained = [], [], 0
  for i, group in enumerate(groups):
    first = group[0]
    done = sum(workdir_lib.is_done(r.config, r.workdir) for r in group)
    shared = {k: v for k, v in first.labels.items() if all(r.labels[k] == v for r in group)}
    print(f"[{i + 1}/{len(groups)}] {shared}: {len(group)} runs ({done} already done)", flush=True)
    try:
      summaries = members_lib.train_in_chunks([r.config for r in group],
                                              [r.workdir for r in group], chunk,
                                              replace_changed=True)
    except data_lib.DataError as e:
      if first.config.data.name not in data_lib.TFDS_ONLY:
        raise
      if str(e) not in skipped:
        skipped.append(str(e))
      print(f"skipped: {e}", flush=True)
      continue
    rows += [{**r.labels, "workdir": r.workdir, **s} for r, s in zip(group, summaries)]
    trained += len(group) - done
  return rows, skipped, trained


def check_suite(suite) -> None:
  """Clear errors for grids that cannot make their table."""
  if not suite.seeds or not suite.encodings:
    raise ValueError("suite.seeds and suite.encodings must be non-empty")
  if not suite.depth.datasets and not suite.penalties.benchmarks:
    raise ValueError("nothing to run: depth.datasets and penalties.benchmarks are both empty")
  if min(suite.depth.hidden_layers, default=1) < 1:
    raise ValueError(f"depth.hidden_layers must be >= 1, got {tuple(suite.depth.hidden_layers)}")
  if suite.penalties.lambda_silence <= 0:
    raise ValueError("penalties.lambda_silence must be > 0: table 2 compares without and with it")
  networks = [parse_benchmark(b) for b in suite.penalties.benchmarks]
  networks += [(dataset, "") for dataset in suite.depth.datasets]
  for dataset, network in networks:
    for encoding in suite.encodings:
      validation.check_config(run_config(suite, dataset, encoding, network))


def run_definition(suite) -> dict:
  """The suite's keys that define what each run is (all but GRID_KEYS), flattened."""
  flat = workdir_lib.flatten(json.loads(suite.to_json_best_effort()))
  return {k: v for k, v in flat.items() if k not in GRID_KEYS and not k.startswith("run.")}


def check_same_runs(suite, invocations: list, results_dir: str) -> None:
  """Raises unless every earlier invocation logged in ``results_dir`` defined its runs as
  ``suite`` does (invocations from before the log held the suite pass unchecked)."""
  definition = run_definition(suite)
  for earlier in invocations:
    if "suite" not in earlier:
      continue
    saved = earlier["suite"]["definition"]
    differ = [f"run.{k}" for k in workdir_lib.config_differences(earlier["suite"]["run"],
                                                                 suite.run)]
    differ += sorted(k for k in saved.keys() | definition.keys()
                     if saved.get(k) != definition.get(k))
    if differ:
      raise ValueError(
          f"{os.path.join(results_dir, 'suite.json')}: the invocation of {earlier['started']} "
          f"ran a suite whose runs differ from this one's ({', '.join(differ[:8])}); their "
          f"tables cannot be merged: use another --results, or move {results_dir} away")


def saved_runs(results_dir: str, name: str) -> list[dict]:
  """The runs of table ``name`` saved in ``results_dir`` (none if it has no such table)."""
  return tables.read_saved(results_dir, name, {"runs": []})["runs"]


def machine() -> str:
  """The device and host a suite ran on, in words."""
  cpu = platform.processor() or platform.machine()
  try:
    with open("/proc/cpuinfo") as f:
      cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
  except (OSError, StopIteration):
    pass
  device = jax.devices()[0]
  return (f"{device.device_kind} ({jax.default_backend()}); host {cpu}, {os.cpu_count()} cores; "
          f"jax {jax.__version__}")


def read_invocations(results_dir: str) -> list[dict]:
  """The invocations logged in results_dir/suite.json (none before the first)."""
  return tables.read_saved(results_dir, "suite", [])


def log_invocation(results_dir: str, record: dict) -> list[dict]:
  """Appends ``record`` to results_dir/suite.json; returns every invocation so far."""
  runs = read_invocations(results_dir) + [record]
  os.makedirs(results_dir, exist_ok=True)
  workdir_lib.atomic_write(os.path.join(results_dir, "suite.json"), json.dumps(runs, indent=1))
  return runs


def run(suite, workdir: str, results_dir: str, doc_path: str, command: str) -> dict:
  """Runs (or resumes) the whole suite, then writes every table, plot and the suite's section
  of ``doc_path``. Returns ``{table: aggregated rows}``."""
  check_suite(suite)
  check_same_runs(suite, read_invocations(results_dir), results_dir)
  tic = time.time()
  with workdir_lib.lock(workdir):
    depth_rows, skipped, trained = run_groups(depth_groups(suite, workdir))
    penalty_rows, skipped_p, trained_p = run_groups(penalty_groups(suite, workdir),
                                                    suite.penalties.chunk)
  ran_now = len(depth_rows + penalty_rows)
  depth_rows, kept = tables.merge_rows(saved_runs(results_dir, "depth"), depth_rows,
                                       RUN_KEYS["depth"])
  penalty_rows, kept_p = tables.merge_rows(saved_runs(results_dir, "penalties"), penalty_rows,
                                           RUN_KEYS["penalties"])

  depth = tables.aggregate(depth_rows, tables.DEPTH_KEYS)
  penalties = tables.aggregate(penalty_rows, tables.PENALTY_KEYS)
  tables.mark_fronts(penalties)
  best = tables.best_lambdas(penalties, suite.encodings_table.accuracy_tolerance)
  picked = {tuple(b[k] for k in tables.PENALTY_KEYS) for b in best}
  best_rows = [r for r in penalty_rows if tuple(r[k] for k in tables.PENALTY_KEYS) in picked]
  captions = tables.captions(suite, depth, penalties)
  encodings = tuple(dict.fromkeys(r["encoding"] for r in penalties))  # this and earlier grids
  md = {
      "depth": (captions["depth"], tables.depth_markdown(depth), depth_rows, depth),
      "penalties": (captions["penalties"], tables.penalty_markdown(penalties), penalty_rows,
                    penalties),
      "encodings": (captions["encodings"], tables.encodings_markdown(best, encodings), best_rows,
                    best),
  }
  for name, (intro, markdown, rows, agg) in md.items():
    if rows:  # a grid without this table's runs (a suite run in pieces) leaves its files be
      tables.write_table(results_dir, name, rows, agg, markdown, intro)
  tables.plot_depth(depth, os.path.join(results_dir, "depth.png"))
  tables.plot_fronts(penalties, os.path.join(results_dir, "penalties_front.png"))
  tables.plot_silent(penalties, os.path.join(results_dir, "penalties_silent.png"))

  invocations = log_invocation(results_dir, {
      "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(tic)),
      "wall_seconds": round(time.time() - tic, 1), "command": command, "machine": machine(),
      "runs_trained": trained + trained_p, "runs_reused": ran_now - trained - trained_p,
      "runs_kept": kept + kept_p, "skipped": skipped + skipped_p,
      "suite": {"run": json.loads(suite.run.to_json_best_effort()),
                "definition": run_definition(suite)}})
  section = tables.doc_section(suite, results_dir, doc_path, md, invocations)
  tables.update_doc(doc_path, suite.name, section)
  return {"depth": depth, "penalties": penalties, "encodings": best}


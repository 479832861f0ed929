"""The experiment suite: the runs each table needs, resuming, tables, plots and the docs section."""
import json
import os
import re
import shutil

import numpy as np
import pytest

from configs import tables_full
from configs import tables_quick
from snn_jax import data
from snn_jax import members as members_lib
from snn_jax import validation
from snn_jax.study import suite
from snn_jax.study import tables


def tiny_suite():
  """tables_quick shrunk to digits: 128 images, 1 + 1 epochs, T = 6, 16-wide nets."""
  s = tables_quick.get_config()
  s.name = "tiny"
  s.run.data.name = "digits"
  s.run.data.train_size, s.run.data.test_size = 128, 100
  s.run.train.batch_size, s.run.train.eval_batch_size = 32, 100
  s.run.encoding.num_steps = 6
  s.networks.fc.hidden = (16, 16)
  s.depth.datasets, s.depth.hidden_layers, s.depth.width = ("digits",), (1, 2), 16
  s.penalties.benchmarks = ("digits/fc",)
  s.penalties.lambda_excess = s.penalties.lambda_all = (0.3,)
  return s


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
  root = tmp_path_factory.mktemp("suite")
  doc = root / "RESULTS.md"
  doc.write_text("# Results\n\nA hand-written reading.\n")
  out = suite.run(tiny_suite(), str(root / "runs"), str(root / "results"), str(doc), "cmd")
  return root, out


@pytest.mark.slow
def test_every_table_plot_and_the_doc_section(finished):
  root, out = finished
  results = root / "results"
  for name, lines in (("depth", 4), ("penalties", 16), ("encodings", 8)):
    saved = json.loads((results / f"{name}.json").read_text())
    assert saved["aggregated"] == json.loads(json.dumps(out[name]))
    assert (results / f"{name}.md").read_text().count("\n| digits |") == lines
  for png in ("depth", "penalties_front", "penalties_silent"):
    assert (results / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
  text = (root / "RESULTS.md").read_text()
  assert text.startswith("# Results\n\nA hand-written reading.\n")
  assert "<!-- generated: tiny -->" in text and "Table 3" in text


def test_the_doc_section_names_every_machine_the_suite_ran_on():
  runs = [{"machine": m} for m in ("cpu A", "cpu A", "gpu B")]
  assert tables.machines_line(runs[:2]) == "- machine: cpu A"
  assert tables.machines_line(runs) == "- machines: cpu A (2 invocations); gpu B (1 invocation)"


@pytest.mark.slow
def test_table_rows_cover_the_grid(finished):
  _, out = finished
  # depth: 1 dataset x 2 encodings x 2 depths; penalties: (none + 3 methods x 1 lambda) x 2
  # silence settings x 2 encodings; encodings: one pick per method, silence and encoding.
  assert len(out["depth"]) == 4 and len(out["penalties"]) == 16 and len(out["encodings"]) == 16
  assert all(r["seeds"] == [0, 1] for r in out["depth"] + out["penalties"])
  assert [len(r["spikes_per_neuron_by_layer_mean"]) for r in out["depth"][:2]] == [1, 2]


@pytest.mark.slow
def test_encodings_table_keeps_only_the_picked_runs(finished):
  root, out = finished
  runs = json.loads((root / "results" / "encodings.json").read_text())["runs"]
  assert len(runs) == 2 * len(out["encodings"])  # the two seeds of each pick
  picked = {(b["encoding"], b["method"], b["silence"], b["lam"]) for b in out["encodings"]}
  assert {(r["encoding"], r["method"], r["silence"], r["lam"]) for r in runs} == picked


@pytest.mark.slow
def test_means_are_over_the_seed_runs(finished):
  root, out = finished
  runs = json.loads((root / "results" / "penalties.json").read_text())["runs"]
  row = next(r for r in out["penalties"] if r["method"] == "excess_2phase" and r["silence"]
             and r["encoding"] == "latency")
  members = [r for r in runs if r["method"] == "excess_2phase" and r["silence"]
             and r["encoding"] == "latency"]
  assert len(members) == 2
  acc = [m["test_accuracy"] for m in members]
  assert row["test_accuracy_mean"] == pytest.approx(np.mean(acc))
  assert row["test_accuracy_std"] == pytest.approx(np.std(acc))
  config = json.loads(open(os.path.join(members[0]["workdir"], "config.json")).read())
  assert config["phase2"]["lambda_excess"] == 0.3 and config["phase2"]["lambda_silence"] == 1.0
  assert config["train"]["phase1_epochs"] == 1 and config["encoding"]["name"] == "latency"


@pytest.mark.slow
def test_rerun_reads_finished_runs_back_and_redoes_missing_ones(finished):
  root, out = finished
  args = (tiny_suite(), str(root / "runs"), str(root / "results"), str(root / "RESULTS.md"), "cmd")
  again = suite.run(*args)
  assert again["penalties"] == out["penalties"]
  log = json.loads((root / "results" / "suite.json").read_text())
  assert [i["runs_trained"] for i in log] == [40, 0] and log[1]["runs_reused"] == 40
  victim = json.loads((root / "results" / "depth.json").read_text())["runs"][0]["workdir"]
  os.remove(os.path.join(victim, "summary.json"))
  suite.run(*args)
  log = json.loads((root / "results" / "suite.json").read_text())
  assert log[2]["runs_trained"] == 1
  assert os.path.exists(os.path.join(victim, "summary.json"))
  text = (root / "RESULTS.md").read_text()
  assert text.count("<!-- generated: tiny -->") == 1 and "over 3 invocation(s)" in text
  assert "(generated by 3 invocations, the last `cmd`)" in text


@pytest.mark.slow
def test_a_grid_without_penalties_writes_only_its_tables(finished, tmp_path):
  """A suite run in pieces: a depth-only invocation (runs read back) writes Table 1 and says
  the others have no runs, without empty tables or links to plots that do not exist."""
  root, _ = finished
  s = tiny_suite()
  s.penalties.benchmarks = ()
  doc = tmp_path / "RESULTS.md"
  out = suite.run(s, str(root / "runs"), str(tmp_path / "results"), str(doc), "cmd")
  assert len(out["depth"]) == 4 and out["penalties"] == out["encodings"] == []
  assert sorted(os.listdir(tmp_path / "results")) == ["depth.json", "depth.md", "depth.png",
                                                      "suite.json"]
  text = doc.read_text()
  assert "### Table 1" in text and "### Table 2" not in text and "penalties_" not in text
  assert "not in this invocation's grid (no runs): Table 2, Table 3" in text


@pytest.mark.slow
def test_pieces_add_up_in_one_results_dir(finished, tmp_path):
  """A suite completed in pieces (e.g. over several GPU loans, each with its own runs dir):
  each invocation's tables hold its runs and the earlier ones' saved rows."""
  root, out = finished
  results, doc = tmp_path / "results", tmp_path / "RESULTS.md"
  pieces = [dict(benchmarks=("digits/fc",), datasets=(), encodings=("rate",), seeds=(0, 1)),
            dict(benchmarks=(), datasets=("digits",), encodings=("rate", "latency"), seeds=(0, 1)),
            dict(benchmarks=("digits/fc",), datasets=(), encodings=("latency",), seeds=(0,))]
  for i, piece in enumerate(pieces):
    s = tiny_suite()
    s.penalties.benchmarks, s.depth.datasets = piece["benchmarks"], piece["datasets"]
    s.encodings, s.seeds = piece["encodings"], piece["seeds"]
    runs = tmp_path / f"runs{i}"  # a fresh checkout: the earlier pieces' run dirs are gone
    shutil.copytree(root / "runs", runs)
    got = suite.run(s, str(runs), str(results), str(doc), f"piece {i}")
  untimed = lambda agg: [{k: v for k, v in r.items() if "seconds" not in k} for r in agg]
  assert untimed(got["depth"]) == untimed(out["depth"])  # from the second piece, kept
  latency = [r for r in got["penalties"] if r["encoding"] == "latency"]
  assert {tuple(r["seeds"]) for r in latency} == {(0,)}
  rate = [r for r in got["penalties"] if r["encoding"] == "rate"]
  assert untimed(rate) == untimed([r for r in out["penalties"] if r["encoding"] == "rate"])
  log = json.loads((results / "suite.json").read_text())
  assert [i["runs_kept"] for i in log] == [0, 16, 24]
  table2 = (results / "penalties.md").read_text()
  assert "over the seeds in its column seeds" in table2 and "| 0, 1 |" in table2
  text = doc.read_text()
  assert "### Table 1" in text and "### Table 2" in text and "24 kept from earlier" in text

  s = tiny_suite()
  s.run.train.epochs = 3
  before = {f.name: f.read_bytes() for f in results.iterdir()}
  with pytest.raises(ValueError, match=r"suite\.json: the invocation of .* differ from this "
                     r"one's \(run\.train\.epochs\)"):
    suite.run(s, str(tmp_path / "runs0"), str(results), str(doc), "changed")
  assert {f.name: f.read_bytes() for f in results.iterdir()} == before


def test_merge_rows_replaces_in_place_and_counts_the_untouched():
  keys = ("depth", "seed")
  earlier = [{"depth": 1, "seed": 0, "v": "old"}, {"depth": 2, "seed": 0, "v": "old"}]
  rows = [{"depth": 2, "seed": 0, "v": "new"}, {"depth": 2, "seed": 1, "v": "new"}]
  merged, kept = tables.merge_rows(earlier, rows, keys)
  assert [(r["depth"], r["seed"], r["v"]) for r in merged] == [(1, 0, "old"), (2, 0, "new"),
                                                               (2, 1, "new")]
  assert kept == 1 and tables.merge_rows([], rows, keys) == (rows, 0)


@pytest.mark.slow
def test_changed_config_is_retrained_not_reused(tmp_path):
  s = tiny_suite()
  group = suite.depth_groups(s, str(tmp_path))[0]
  rows, _, trained = suite.run_groups([group])
  assert trained == 2
  s.run.train.epochs = 1
  s.run.train.phase1_epochs = 0
  changed = suite.depth_groups(s, str(tmp_path))[0]
  assert [r.workdir for r in changed] == [r.workdir for r in group]
  _, _, trained = suite.run_groups([changed])
  assert trained == 2  # same directories, different config: trained again (old files archived)
  assert os.path.isdir(os.path.join(group[0].workdir, "archive"))


def test_methods_set_the_right_weights_and_phases():
  base = suite.run_config(tiny_suite(), "digits", "rate", "fc")
  two = suite.apply_method(base, "excess_2phase", 0.5, 1.0)
  one = suite.apply_method(base, "excess_1phase", 0.5, 0.0)
  spikes = suite.apply_method(base, "all_spike", 0.5, 0.0)
  assert (two.phase2.lambda_excess, two.train.phase1_epochs, two.phase2.lambda_silence) == (
      0.5, 1, 1.0)
  assert (one.phase2.lambda_excess, one.train.phase1_epochs) == (0.5, 0)
  assert (spikes.phase2.lambda_all, spikes.phase2.lambda_excess, spikes.train.phase1_epochs) == (
      0.5, 0.0, 0)
  assert base.model.hidden == (16, 16) and base.phase1.lambda_excess == 0.0


def test_run_by_encoding_sets_keys_for_its_encoding_only():
  s = tiny_suite()
  s.run_by_encoding = {"latency": {"model": {"init_spikes": 2.0}, "neuron": {"beta": 0.8}}}
  latency = suite.run_config(s, "digits", "latency", "fc")
  rate = suite.run_config(s, "digits", "rate", "fc")
  assert (latency.model.init_spikes, latency.neuron.beta) == (2.0, 0.8)
  assert (rate.model.init_spikes, rate.neuron.beta) == (0.0, s.run.neuron.beta)
  assert latency.model.hidden == (16, 16)  # the network's keys still apply
  s.run_by_encoding = {"latency": {"model": {"init_gain": 2.0}}}
  with pytest.raises(ValueError, match=r"run_by_encoding.latency.model.init_gain"):
    suite.run_config(s, "digits", "latency")


def test_bad_suites_are_refused():
  s = tiny_suite()
  s.penalties.benchmarks = ("digits",)
  with pytest.raises(ValueError, match="<dataset>/<network>"):
    suite.check_suite(s)
  s.penalties.benchmarks = ("digits/resnet",)
  with pytest.raises(ValueError, match="resnet"):
    suite.check_suite(s)
  s.penalties.benchmarks, s.depth.datasets = (), ()
  with pytest.raises(ValueError, match="nothing to run"):
    suite.check_suite(s)
  s = tiny_suite()
  s.run.neuron.beta = 1.5  # every run config is checked before the first run trains
  with pytest.raises(validation.ConfigError, match="neuron.beta=1.5"):
    suite.check_suite(s)
  members = [suite.run_config(tiny_suite(), "digits", "rate", "fc") for _ in range(2)]
  members[1].encoding.num_steps = 9
  with pytest.raises(ValueError, match="encoding.num_steps"):
    members_lib.check_vmappable(members)


def test_unavailable_tfds_dataset_is_skipped_not_fatal(tmp_path):
  s = tiny_suite()
  s.networks.conv = {"name": "conv", "channels": (4,), "strides": (2,), "hidden": ()}
  s.penalties.benchmarks = ("cifar10/conv",)
  try:
    import tensorflow_datasets  # pylint: disable=import-outside-toplevel,unused-import
    pytest.skip("tensorflow-datasets is installed: cifar10 may load")
  except ImportError:
    pass
  rows, skipped, trained = suite.run_groups(suite.penalty_groups(s, str(tmp_path))[:1])
  assert rows == [] and trained == 0 and "cifar10" in skipped[0]
  s.penalties.benchmarks = ("mnist/fc",)
  s.run.data.data_dir = str(tmp_path / "nowhere")
  s.run.data.source = "idx"
  # missing MNIST is an error naming where it looked, not a skip
  with pytest.raises(data.DataError, match=re.escape(str(tmp_path / "nowhere"))):
    suite.run_groups(suite.penalty_groups(s, str(tmp_path))[:1])


def test_best_lambda_is_the_sparsest_within_tolerance():
  def row(method, lam, acc, spikes, silence=False):
    return dict(dataset="d", network="n", encoding="rate", method=method, silence=silence,
                lam=lam, test_accuracy_mean=acc, spikes_per_neuron_mean=spikes)
  agg = [row("none", 0, 0.95, 5.0), row("excess_2phase", 0.1, 0.948, 1.0),
         row("excess_2phase", 1.0, 0.90, 0.1), row("all_spike", 0.1, 0.80, 0.5),
         row("all_spike", 1.0, 0.10, 0.0)]
  best = {r["method"]: r for r in tables.best_lambdas(agg, 0.01)}
  assert best["excess_2phase"]["lam"] == 0.1
  assert best["all_spike"]["lam"] == 0.1 and best["all_spike"]["selected_by"].startswith("most")
  assert best["none"]["lam"] == 0


def test_unhealthy_rows_stay_off_fronts_and_best_lambda_picks(tmp_path):
  def row(method, lam, acc, spikes, diverged=0, collapsed=0):
    return dict(dataset="d", network="n", encoding="rate", method=method, silence=False,
                lam=lam, test_accuracy_mean=acc, spikes_per_neuron_mean=spikes,
                diverged=diverged, collapsed=collapsed, test_accuracy_std=0.0,
                spikes_per_neuron_std=0.0, silent_fraction_mean=0.0, silent_fraction_std=0.0)
  agg = [row("none", 0, 0.95, 5.0), row("excess_2phase", 0.1, 0.948, 1.0),
         row("excess_2phase", 1.0, 0.95, 0.0, collapsed=1),
         row("all_spike", 0.1, 0.96, 0.5, diverged=1),
         row("all_spike", 1.0, 0.10, 0.0, collapsed=2)]
  tables.mark_fronts(agg)
  assert [r["pareto"] for r in agg] == [True, True, False, False, False]
  best = {r["method"]: r for r in tables.best_lambdas(agg, 0.01)}
  assert best["excess_2phase"]["lam"] == 0.1  # the collapsed lambda 1 would have fewer spikes
  assert best["all_spike"]["selected_by"] == tables.UNUSABLE_PICK
  table = tables.encodings_markdown(list(best.values()), ("rate",))
  assert "| 0.1 ‡ | 96.00 ± 0.00 (1 diverged) |" in table
  assert "| 0.1 | 94.80 ± 0.00 |" in table  # the excess pick, within tolerance, unmarked
  # the plot crosses exactly the unhealthy means
  ax = tables.plot_fronts(agg, str(tmp_path / "front.png")).axes[0]
  crosses = {(float(x), float(y)) for line in ax.lines if line.get_marker() == "x"
             for x, y in zip(line.get_xdata(), line.get_ydata())}
  assert crosses == {(0.0, 0.95), (0.5, 0.96), (0.0, 0.10)}


def test_full_suite_is_well_formed():
  full = tables_full.get_config()
  suite.check_suite(full)
  groups = suite.penalty_groups(full, "/nowhere")
  assert len(groups) == 5 * 2 and {len(g) for g in groups} == {(1 + 3 * 7) * 2 * 3}
  conv = next(g for g in groups if g[0].labels["network"] == "conv")
  assert conv[0].config.model.name == "conv" and conv[0].config.data.train_size == 0
  assert len(suite.depth_groups(full, "/nowhere")) == 2 * 2 * 5

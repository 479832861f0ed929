"""Fronts: recipes trained as sweeps, labelled by method and lambda, read back, drawn."""
import json
import os

import ml_collections
import pytest

from conftest import small_config
from configs import front_full
from configs import fmnist_fc_sparse_latency_shift
from configs import fmnist_fc_sparse_latency_wide
from configs import mnist_fc_sparse_latency
from configs import mnist_fc_sparse_latency_shift
from configs import mnist_fc_sparse_latency_wide
from snn_jax import validation
from snn_jax.study import fronts
from snn_jax.study import tables


def tiny_run():
  """small_config with 64 training images (2 steps per epoch), a 2x16 net and T = 6."""
  return small_config(data__train_size=64, model__hidden=(16, 16), encoding__num_steps=6)


def tiny_front():
  return ml_collections.ConfigDict({"panels": {"digits": {
      "penalty": {"run": tiny_run(), "sweep": {"lambda_excess": (0.0, 0.1),
                                               "phase1_epochs": (0, 1), "seeds": (0, 1)}},
      "plain": {"run": tiny_run(), "sweep": {"seeds": (0,)}},
  }}})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("front"))
  return workdir, fronts.run_front(tiny_front(), workdir)


@pytest.mark.slow
def test_rows_are_labelled_by_method_and_swept_lambda(trained):
  workdir, rows = trained
  assert len(rows) == 2 * 2 * 2 + 1
  assert {r["method"] for r in rows} == {"penalty_1phase", "penalty_2phase", "plain"}
  for r in rows:
    assert r["lam"] == (r["lambda_excess"] if r["method"] != "plain" else 0.0)
    assert r["method"] == "plain" or r["method"].endswith("2phase" if r["phase1_epochs"]
                                                           else "1phase")
    assert os.path.exists(os.path.join(workdir, r["workdir"], "summary.json"))
  agg = fronts.aggregate(rows)
  assert len(agg) == 2 * 2 + 1
  assert all(len(a["seeds"]) == (1 if a["method"] == "plain" else 2) for a in agg)
  assert all(isinstance(a["pareto"], bool) for a in agg)
  assert not any(a["pareto"] and not tables.is_usable(a) for a in agg)


@pytest.mark.slow
def test_rerun_reads_every_member_back(trained):
  workdir, rows = trained
  summary = os.path.join(workdir, rows[0]["workdir"], "summary.json")
  before = os.stat(summary).st_mtime_ns
  again = fronts.run_front(tiny_front(), workdir)
  assert os.stat(summary).st_mtime_ns == before
  assert [r["test_accuracy"] for r in again] == [r["test_accuracy"] for r in rows]


@pytest.mark.slow
def test_write_makes_table_json_and_a_plot_per_panel(trained, tmp_path):
  _, rows = trained
  fronts.write(rows, str(tmp_path))
  with open(tmp_path / "front.json") as f:
    saved = json.load(f)
  assert len(saved["runs"]) == len(rows) and len(saved["aggregated"]) == 5
  table = (tmp_path / "front.md").read_text()
  assert "penalty_2phase" in table and "energy uJ" in table
  for name in ("front_digits.png", "front_digits_energy.png"):
    assert f"![digits]({name})" in table and (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
def test_pieces_add_up_in_one_results_dir(trained, tmp_path):
  workdir, rows = trained
  results = tmp_path / "results"
  first = tiny_front()
  first.only = ("digits/penalty",)  # read back from the trained workdir
  fronts.run(first, workdir, str(results))
  second = tiny_front()
  second.only = ("digits/plain",)  # trained afresh elsewhere: the runs of piece 1 are not there
  agg = fronts.run(second, str(tmp_path / "elsewhere"), str(results))
  with open(results / "front.json") as f:
    saved = json.load(f)
  key = lambda r: tuple(r[k] for k in fronts.MEMBER_KEYS)
  assert sorted((key(r), r["test_accuracy"]) for r in saved["runs"]) == sorted(
      (key(r), r["test_accuracy"]) for r in rows)
  assert len(agg) == 5 and set(saved["recipes"]) == {"digits/penalty", "digits/plain"}

  changed = tiny_front()
  changed.panels.digits.plain.run.train.learning_rate = 0.5
  changed.only = ("digits",)
  before = {f.name: f.read_bytes() for f in results.iterdir()}
  with pytest.raises(ValueError, match=r"front\.json: recipe digits/plain ran there with other "
                     r"run\.train\.learning_rate than now"):
    fronts.run(changed, str(tmp_path / "third"), str(results))
  assert {f.name: f.read_bytes() for f in results.iterdir()} == before
  assert not (tmp_path / "third").exists()


def test_only_names_panels_or_recipes():
  front = tiny_front()
  assert [name for _, name, _ in fronts.selected(front)] == ["penalty", "plain"]
  front.only = ("digits/plain",)
  assert [name for _, name, _ in fronts.selected(front)] == ["plain"]
  front.only = ("mnist",)
  with pytest.raises(ValueError, match=r"front\.only entry 'mnist': no panel 'mnist'; choose "
                     r"from \['digits'\]"):
    fronts.check_front(front)
  front.only = ("digits/sparse",)
  with pytest.raises(ValueError, match=r"panel digits has no recipe 'sparse'"):
    fronts.check_front(front)


def test_front_without_panels_or_with_two_swept_weights_is_refused():
  with pytest.raises(ValueError, match="front.panels is empty"):
    fronts.check_front(ml_collections.ConfigDict({"panels": {}}))
  two = tiny_front()
  two.panels.digits.penalty.sweep.lambda_all = (0.0, 0.01)
  with pytest.raises(ValueError, match=r"digits\.penalty sweeps .*one penalty weight"):
    fronts.check_front(two)
  typo = tiny_front()
  typo.panels.digits.plain.sweep.seed = (1,)
  with pytest.raises(ValueError, match=r"digits\.plain\.sweep has no axis \['seed'\]"):
    fronts.check_front(typo)


@pytest.mark.parametrize("encoding, panels", [
    ("rate", {"mnist", "fashion_mnist"}),
    ("latency", {"mnist_latency", "fashion_mnist_latency"})])
def test_full_front_config_is_valid(encoding, panels):
  front = front_full.get_config(encoding)
  fronts.check_front(front)
  assert set(front.panels) == panels
  for panel, recipes in front.panels.items():
    for name, recipe in recipes.items():
      validation.check_config(recipe.run)
      assert recipe.run.encoding.name == encoding
      assert recipe.run.data.train_size == 0
      if name in ("sparse_shift_fixed_neuron", "sparse_wide_fixed_neuron"):  # their own length
        assert recipe.run.train.epochs >= 20, panel
      else:
        assert recipe.run.train.epochs == 20, (panel, name)
    for latency_only in ("sparse_fixed_neuron", "sparse_shift_fixed_neuron",
                         "sparse_wide_fixed_neuron"):
      assert (latency_only in recipes) == (encoding == "latency")
  with pytest.raises(ValueError, match="'delta' is not one of rate, latency"):
    front_full.get_config("delta")


def test_latency_front_trains_the_shipped_latency_recipes():
  panels = front_full.get_config("latency").panels
  panel = panels.mnist_latency
  shipped = front_full.full_scale(mnist_fc_sparse_latency.get_config(), "latency")
  assert panel.sparse_fixed_neuron.run.to_json() == shipped.to_json()
  for name, wide_config, shift_config in (
      ("mnist_latency", mnist_fc_sparse_latency_wide, mnist_fc_sparse_latency_shift),
      ("fashion_mnist_latency", fmnist_fc_sparse_latency_wide, fmnist_fc_sparse_latency_shift)):
    for recipe, config in (("sparse_wide_fixed_neuron", wide_config.get_config()),
                           ("sparse_shift_fixed_neuron", shift_config.get_config())):
      shipped = front_full.full_scale(config, "latency", epochs=config.train.epochs)
      assert panels[name][recipe].run.to_json() == shipped.to_json(), (name, recipe)
      assert config.phase2.lambda_excess in panels[name][recipe].sweep.lambda_excess
  assert panel.sparse.run.neuron.learn_beta and panel.sparse.run.neuron.learn_threshold

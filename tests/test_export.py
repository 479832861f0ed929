"""NIR export: a trained net, written and read back, simulated by a numpy NIR interpreter
written here from NIR's node equations, gives snn-jax's spike counts and predictions."""
import pathlib
import subprocess
import sys

import jax
import nir
import numpy as np
import pytest

from conftest import small_config
from snn_jax import checkpoint
from snn_jax import export
from snn_jax import models
from snn_jax import train

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def _back_edges(graph) -> set:
  """Edges that close a cycle (depth-first from the input): they carry the previous step."""
  children = {name: [d for s, d in graph.edges if s == name] for name in graph.nodes}
  state, back = {}, set()

  def visit(name):
    state[name] = "open"
    for child in children[name]:
      if state.get(child) == "open":
        back.add((name, child))
      elif child not in state:
        visit(child)
    state[name] = "done"

  for name in graph.inputs:
    visit(name)
  return back


def _order(graph, back: set) -> list:
  """Nodes in an order where every same-step input comes first."""
  forward = [e for e in graph.edges if e not in back]
  order, remaining = [], list(graph.nodes)
  while remaining:
    ready = [n for n in remaining if all(s in order for s, d in forward if d == n)]
    order += ready
    remaining = [n for n in remaining if n not in ready]
  return order


def simulate(graph, x: np.ndarray) -> dict:
  """Forward-Euler simulation of ``graph`` (dt from its metadata) on ``x [T, B, D]``;
  returns every node's output ``[T, B, ...]``."""
  dt = float(graph.metadata["dt"])
  back = _back_edges(graph)
  order = _order(graph, back)
  batch = x.shape[1]
  size = {n: int(np.prod(node.output_type["output"])) for n, node in graph.nodes.items()}
  previous = {n: np.zeros((batch, size[n])) for n in graph.nodes}
  v = {n: np.zeros((batch, size[n])) for n in graph.nodes}
  history = {n: [] for n in graph.nodes}
  for t in range(x.shape[0]):
    out = {}
    for name in order:
      node = graph.nodes[name]
      if isinstance(node, nir.Input):
        out[name] = x[t].reshape(batch, -1).astype(np.float64)
        history[name].append(out[name])
        continue
      total = sum((previous if (s, d) in back else out)[s] for s, d in graph.edges if d == name)
      if isinstance(node, nir.Affine):
        y = total @ node.weight.T + node.bias
      elif isinstance(node, nir.Linear):
        y = total @ node.weight.T
      elif isinstance(node, (nir.LI, nir.LIF)):
        v[name] = v[name] + dt / node.tau * (node.v_leak - v[name] + node.r * total)
        y = v[name]
      elif isinstance(node, (nir.I, nir.IF)):
        v[name] = v[name] + dt * node.r * total
        y = v[name]
      elif isinstance(node, nir.Threshold):
        y = (total > node.threshold).astype(np.float64)
      elif isinstance(node, nir.Output):
        y = total
      else:
        raise NotImplementedError(type(node).__name__)
      if isinstance(node, (nir.LIF, nir.IF)):
        y = (v[name] > node.v_threshold).astype(np.float64)
        v[name] = np.where(y > 0, node.v_reset, v[name])
      out[name] = y
      history[name].append(y)
    previous = out
  return {n: np.stack(h) for n, h in history.items()}


def _spiking_nodes(graph, order) -> list:
  return [n for n in order if isinstance(graph.nodes[n], (nir.LIF, nir.IF, nir.Threshold))]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """A 2x32 digits net trained for 16 steps with learned beta and threshold, and the encoded
  test images ``[T, B, 64]``."""
  c = small_config()
  c.model.readout = "spike_count"
  c.neuron.learn_beta = c.neuron.learn_threshold = True
  state, _ = train.train_and_evaluate(c, str(tmp_path_factory.mktemp("run")))
  exp = train.Experiment(c)
  x = exp.encode(exp.dataset.test_images, key=jax.random.PRNGKey(7))
  return state.params, x


# The trained parameters serve every variant: the export must match the model it describes
# for any parameters, so each reset and readout is checked on the same trained weights.
@pytest.mark.parametrize("reset, readout", [
    ("subtract", "mean_current"), ("zero", "spike_count"), ("subtract", "first_spike"),
    ("zero", "max_membrane")])
def test_exported_graph_reproduces_spike_counts_and_predictions(tmp_path, trained, reset,
                                                                readout):
  params, x = trained
  c = small_config()
  c.neuron.reset = reset
  c.model.readout = readout
  c.neuron.learn_beta = c.neuron.learn_threshold = True
  if readout in ("mean_current", "max_membrane"):  # no output neurons to parametrise
    params = {**params, "Readout_0": {"dense": params["Readout_0"]["dense"]}}
  path = str(tmp_path / "net.nir")
  export.write(path, c, params)
  graph = nir.read(path)
  assert graph.metadata["readout"] == readout

  model = models.create(c.model, c.neuron, 10, c.compute)
  logits, counts = jax.jit(model.apply)({"params": params}, x)
  outputs = simulate(graph, np.asarray(x))

  spiking = _spiking_nodes(graph, _order(graph, _back_edges(graph)))
  assert len(spiking) == len(c.model.hidden) + (readout in ("spike_count", "first_spike"))
  for node, n in zip(spiking, counts):
    nir_counts = outputs[node].sum(axis=0)
    assert nir_counts.sum() > 0  # the comparison is not between two silent nets
    # float64 here vs float32 in XLA: a potential within ~1e-6 of threshold may flip a spike
    assert np.mean(nir_counts == np.asarray(n)) >= 0.995
  nir_logits = export.logits_from_output(outputs["output"], readout)
  assert np.mean(nir_logits.argmax(-1) == np.asarray(logits).argmax(-1)) >= 0.98
  if readout in ("mean_current", "max_membrane"):
    np.testing.assert_allclose(nir_logits, np.asarray(logits), atol=1e-3)


def test_conv_net_is_refused_with_the_key_named():
  c = small_config()
  c.model.name = "conv"
  with pytest.raises(export.ExportError, match="model.name='conv'"):
    export.to_nir(c, {})


def test_export_cli_writes_a_runs_trained_net(small_run, tmp_path):
  """``python -m experiments.export`` on a finished run: the graph it writes predicts what
  the run's restored parameters predict."""
  workdir, out = small_run[0], tmp_path / "net.nir"
  subprocess.run([sys.executable, "-m", "experiments.export", "--workdir", str(workdir),
                  "--out", str(out)], cwd=REPO_ROOT, check=True, capture_output=True)
  config, params = checkpoint.load_run(str(workdir))
  exp = train.Experiment(config)
  x = exp.encode(exp.dataset.test_images, key=jax.random.PRNGKey(7))
  logits, _ = jax.jit(exp.model.apply)({"params": params}, x)
  outputs = simulate(nir.read(str(out)), np.asarray(x))
  nir_logits = export.logits_from_output(outputs["output"], config.model.readout)
  assert np.mean(nir_logits.argmax(-1) == np.asarray(logits).argmax(-1)) >= 0.98

"""Export a trained fully connected net to NIR (Neuromorphic Intermediate Representation).

NIR neurons are continuous-time; a simulator steps them with forward Euler at ``dt``. Ours
is the discrete-time LIF ``v[t] = beta v[t-1] + I[t]``. NIR's leaky neuron
``tau dv/dt = (v_leak - v) + r I`` stepped with Euler is

    v[t] = (1 - dt/tau) v[t-1] + (dt/tau) (v_leak + r I[t])

so with ``dt = 1`` (one network step), ``tau = dt / (1 - beta)``, ``r = tau / dt`` and
``v_leak = 0`` it is exactly our update. ``beta = 1`` (no leak) maps to NIR's ``IF`` / ``I``.
NIR fires on ``v > v_threshold``, we on ``v >= theta``: ``v_threshold`` is the float32
number just below ``theta``, so both agree for every float32 potential.

Resets. ``zero`` is NIR's ``LIF`` with ``v_reset = 0``. NIR has no subtract reset, so a
``subtract`` layer becomes three nodes: a leaky integrator ``LI`` (the potential before
reset), a ``Threshold`` and a self-connection ``Linear(-beta theta I)`` from the spikes back
into the integrator. Through that edge (one step of delay, as in any recurrent NIR graph)

    v[t] = beta v[t-1] + I[t] - beta theta s[t-1] = beta (v[t-1] - theta s[t-1]) + I[t],

our subtract reset. Learned ``beta`` / ``threshold`` are exported at their trained (clipped)
values.

Readouts. The graph's output is per step; the reduction over time that gives the logits is
in ``graph.metadata["readout"]``: ``mean_current`` -> ``Affine`` currents, logits = their
mean over t; ``spike_count`` / ``first_spike`` -> an output LIF layer, logits = its spike
count / minus its first-spike time; ``max_membrane`` -> an ``LI`` (our fixed
``neuron.beta``), logits = its maximum over t.

Refused with ``ExportError``: conv nets (flax's SAME padding with stride 2 pads one side
only, which NIR's symmetric ``Conv2d`` padding cannot express) and unknown model names.
"""
import numpy as np

from snn_jax import models

DT = 1.0  # one network time step


class ExportError(ValueError):
  """The config describes a network NIR cannot represent exactly."""


def _lif_nodes(nir, prefix: str, size: int, beta: float, threshold: float, reset: str) -> tuple:
  """``(nodes, edges, entry, exit)`` of one layer of our LIF neurons."""
  ones = np.ones(size, np.float32)
  v_threshold = np.nextafter(np.float32(threshold), np.float32(-np.inf)) * ones
  if beta == 1.0:
    leaky = {}
  else:
    tau = DT / (1.0 - beta)
    leaky = dict(tau=tau * ones, r=(tau / DT) * ones, v_leak=0 * ones)
  if reset == "zero":
    neuron = (nir.LIF(v_threshold=v_threshold, v_reset=0 * ones, **leaky) if leaky
              else nir.IF(r=ones, v_threshold=v_threshold, v_reset=0 * ones))
    return {prefix: neuron}, [], prefix, prefix
  integrator, spikes, feedback = f"{prefix}_v", f"{prefix}_spikes", f"{prefix}_reset"
  nodes = {
      integrator: nir.LI(**leaky) if leaky else nir.I(r=ones),
      spikes: nir.Threshold(v_threshold),
      feedback: nir.Linear(np.diag(-beta * threshold * ones).astype(np.float32)),
  }
  edges = [(integrator, spikes), (spikes, feedback), (feedback, integrator)]
  return nodes, edges, integrator, spikes


def _layer_value(params: dict, name: str, default: float) -> float:
  """A layer's learned neuron scalar, or the config default where it is not learned."""
  return float(params[name]) if name in params else float(default)


def to_nir(config, params):
  """The NIR graph of a trained ``model.name = "mlp"`` net for ``(config, params)``.

  Input: the encoded input at one step, flattened (``[D]``). Output ``"output"``: per step,
  see the module docstring for how the logits follow from it.
  """
  import nir  # pylint: disable=import-outside-toplevel  # only export needs it

  if config.model.name != "mlp":
    raise ExportError(f"model.name={config.model.name!r}: NIR export supports 'mlp' only "
                      "(SAME-padded strided convs pad asymmetrically; NIR Conv2d cannot)")
  if config.model.readout not in models.READOUTS:
    raise ExportError(f"model.readout={config.model.readout!r}; choose one of {models.READOUTS}")
  neuron = config.neuron
  if neuron.reset not in ("subtract", "zero"):
    raise ExportError(f"neuron.reset={neuron.reset!r}; export supports 'subtract' and 'zero'")
  params = _as_numpy(params)
  num_inputs = params["Dense_0"]["kernel"].shape[0]
  nodes = {"input": nir.Input(input_type={"input": np.array([num_inputs])})}
  edges, previous = [], "input"

  def add(new_nodes, new_edges, entry, exit_):
    nonlocal previous
    nodes.update(new_nodes)
    edges.extend(new_edges)
    edges.append((previous, entry))
    previous = exit_

  def affine(name, dense):
    return {name: nir.Affine(weight=dense["kernel"].T.copy(), bias=dense["bias"].copy())}

  def lif(prefix, size, layer_params):
    # the model clips a learned beta to [0, 1] where it uses it
    beta = min(max(_layer_value(layer_params, "beta", neuron.beta), 0.0), 1.0)
    threshold = _layer_value(layer_params, "threshold", neuron.threshold)
    return _lif_nodes(nir, prefix, size, beta, threshold, neuron.reset)

  for l, width in enumerate(config.model.hidden):
    add(affine(f"fc{l}", params[f"Dense_{l}"]), [], f"fc{l}", f"fc{l}")
    add(*lif(f"lif{l}", width, params.get(f"LIF_{l}", {})))
  readout = params["Readout_0"]
  num_classes = readout["dense"]["bias"].shape[0]
  add(affine("fc_out", readout["dense"]), [], "fc_out", "fc_out")
  kind = config.model.readout
  if kind in ("spike_count", "first_spike"):
    add(*lif("lif_out", num_classes, readout.get("lif", {})))
  elif kind == "max_membrane":
    # the model integrates with the fixed config beta here, also when beta is learned
    tau = DT / (1.0 - neuron.beta)
    ones = np.ones(num_classes, np.float32)
    add({"li_out": nir.LI(tau=tau * ones, r=(tau / DT) * ones, v_leak=0 * ones)}, [],
        "li_out", "li_out")
  add({"output": nir.Output(output_type={"output": np.array([num_classes])})}, [],
      "output", "output")
  metadata = {"producer": "snn-jax", "dt": DT, "num_steps": config.encoding.num_steps,
              "encoding": config.encoding.name, "readout": kind}
  return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)


def write(path: str, config, params) -> None:
  """Writes :func:`to_nir` of ``(config, params)`` to the ``.nir`` (HDF5) file ``path``."""
  import nir  # pylint: disable=import-outside-toplevel
  nir.write(path, to_nir(config, params))


def logits_from_output(outputs: np.ndarray, readout: str) -> np.ndarray:
  """Logits ``[B, classes]`` from the graph's per-step output ``[T, B, classes]``."""
  if readout == "mean_current":
    return outputs.mean(axis=0)
  if readout == "spike_count":
    return outputs.sum(axis=0)
  if readout == "max_membrane":
    return outputs.max(axis=0)
  if readout == "first_spike":
    return -np.cumprod(1.0 - outputs, axis=0).sum(axis=0)
  raise ExportError(f"readout {readout!r}; choose one of {models.READOUTS}")


def _as_numpy(tree):
  """A (nested) mapping of arrays as float32 numpy arrays."""
  if hasattr(tree, "items"):
    return {k: _as_numpy(v) for k, v in tree.items()}
  return np.asarray(tree, np.float32)

"""Spike statistics, synaptic operations and energy estimates on a test set; the
accuracy-vs-spikes Pareto front of runs.

:func:`batch_sums` runs on device inside the jitted eval step; its sums are added
over batches and turned into figures by :func:`summarize` on the host. All
figures are per test sample; hidden layers unless stated.

    spikes/neuron (layer l) = sum_{b,i} n[l,b,i] / (B N_l)
    excess/neuron           = sum_{l,b,i} max(0, n[l,b,i] - 1) / (B sum_l N_l)
    silent fraction         = share of neurons with n[l,b,i] = 0 for every test sample b
    SOPs/sample             = sum_{l,i} (sum_b n[l,b,i]) fanout[l,i] / B
    energy ratio            = E_SNN / E_ANN,  E_ANN = MACs E_MAC (one MAC per synapse),
                              E_SNN = (input ops + SOPs) E_AC, where input ops are input
                              spikes x fan-out for spiking encodings and T dense MACs
                              (at E_MAC) for the direct (current) encoding.
"""
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

E_AC_PJ = 0.9   # 45 nm, 32-bit float add (Horowitz, ISSCC 2014)
E_MAC_PJ = 4.6  # 45 nm, 32-bit float multiply-add


def batch_sums(logits, labels, counts: Sequence[jax.Array], inputs: jax.Array,
               mask: jax.Array) -> dict:
  """Masked per-batch sums: correct predictions, per-neuron spike totals, excess spikes
  ``max(0, n - 1)`` (always after the first spike, whatever ``loss.free_spikes``) and input spikes.

  ``inputs`` is the encoded input ``[T, B, ...]``; ``mask`` ``[B]`` is 0 for padding rows.
  """
  maskf = mask.astype(jnp.float32)
  return {
      "num": maskf.sum(),
      "correct": ((logits.argmax(-1) == labels) * maskf).sum(),
      "neuron_spikes": [(n * maskf[:, None]).sum(0) for n in counts],
      "excess": [(jnp.maximum(0.0, n - 1.0) * maskf[:, None]).sum() for n in counts],
      "input_spikes": (inputs.reshape(inputs.shape[0], inputs.shape[1], -1).sum(0)
                       * maskf[:, None]).sum(0),
  }


def summarize(sums: dict, fanouts: Sequence[np.ndarray], *, num_steps: int, spiking_input: bool,
              e_ac_pj: float = E_AC_PJ, e_mac_pj: float = E_MAC_PJ) -> dict:
  """Host-side figures from summed :func:`batch_sums` (``fanouts[0]`` is the input layer's)."""
  sums = jax.tree.map(np.asarray, sums)
  num = float(sums["num"])
  totals = [t.astype(np.float64) for t in sums["neuron_spikes"]]
  widths = np.array([t.size for t in totals], np.float64)
  if len(fanouts) != len(totals) + 1:
    raise ValueError(f"{len(fanouts)} fan-out arrays for {len(totals)} hidden layers (+ input)")
  spikes = np.array([t.sum() for t in totals])
  silent = np.array([(t == 0).sum() for t in totals], np.float64)
  excess = np.array([float(e) for e in sums["excess"]])
  sops = float(sum((t * f).sum() for t, f in zip(totals, fanouts[1:]))) / num
  ann_macs = float(sum(f.sum() for f in fanouts))
  if spiking_input:
    input_ops = float((sums["input_spikes"] * fanouts[0]).sum()) / num
    energy_input = input_ops * e_ac_pj
  else:
    input_ops = num_steps * float(fanouts[0].sum())
    energy_input = input_ops * e_mac_pj
  energy_snn = energy_input + sops * e_ac_pj
  energy_ann = ann_macs * e_mac_pj
  return {
      "test_accuracy": float(sums["correct"]) / num,
      "num_test_samples": int(num),
      "spikes_per_neuron": float(spikes.sum() / (widths.sum() * num)),
      "spikes_per_neuron_by_layer": (spikes / (widths * num)).tolist(),
      "spikes_per_sample": float(spikes.sum() / num),
      "excess_spikes_per_neuron": float(excess.sum() / (widths.sum() * num)),
      "excess_spikes_per_neuron_by_layer": (excess / (widths * num)).tolist(),
      "silent_fraction": float(silent.sum() / widths.sum()),
      "silent_fraction_by_layer": (silent / widths).tolist(),
      "sops_per_sample": sops,
      "input_ops_per_sample": input_ops,
      "ann_macs_per_sample": ann_macs,
      "energy_snn_pj": energy_snn,
      "energy_ann_pj": energy_ann,
      "energy_ratio_vs_ann": energy_snn / energy_ann,
  }


def pareto_front(accuracy, spikes, usable=None) -> np.ndarray:
  """Mask of members no other member beats: higher-or-equal accuracy with fewer-or-equal
  spikes, strictly better in one. Non-finite members and those with ``usable`` False
  (diverged or collapsed runs) are never on the front and beat no one."""
  acc, spk = np.asarray(accuracy, float), np.asarray(spikes, float)
  ok = np.isfinite(acc) & np.isfinite(spk)
  if usable is not None:
    ok &= np.asarray(usable, bool)
  front = ok.copy()
  for i in np.flatnonzero(ok):
    better = ok & (acc >= acc[i]) & (spk <= spk[i]) & ((acc > acc[i]) | (spk < spk[i]))
    front[i] = not better.any()
  return front

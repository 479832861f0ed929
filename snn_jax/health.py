"""Run health: whether a run diverged (its loss blew up) or collapsed (it learned nothing).

A run **diverges** at the first step where its total loss is non-finite, or where its
cross-entropy exceeds ``train.divergence_factor`` x its first step's cross-entropy. Healthy
training only lowers the cross-entropy from about ln(classes); the penalty terms are left out
of the rule because a large lambda makes the total legitimately large.

A run has **collapsed** when every hidden neuron is silent on the test set, or when its test
accuracy is within ``train.collapse_margin`` of the majority-class rate (what a constant
answer scores). Diverged and collapsed runs are kept and marked, never put on fronts.
"""
from typing import NamedTuple

import numpy as np

from snn_jax import reporting


class Divergence(NamedTuple):
  step: int       # the first bad step (1-based, like the logged steps)
  exploded: bool  # True: finite but far above its start; False: non-finite
  reason: str     # one line


class DivergenceMonitor:
  """Finds each member's first diverged step in the per-step metrics of a log interval."""

  def __init__(self, factor: float):
    self.factor = factor
    self.ce_start = None  # [K] cross-entropy of each member's first step

  def check(self, history: dict, first_step: int) -> dict[int, Divergence]:
    """Members that diverged within ``history`` ({name: [steps, K]}, step ``first_step``
    first), each with its first bad step."""
    total, ce = history["total"], history["ce"]
    if self.ce_start is None:
      self.ce_start = ce[0]
    non_finite = ~np.isfinite(total)
    exploded = (ce > self.factor * self.ce_start) if self.factor > 0 else np.zeros_like(non_finite)
    bad = non_finite | exploded
    events = {}
    for k in np.flatnonzero(bad.any(axis=0)):
      i = int(np.argmax(bad[:, k]))
      row = {name: float(v[i, k]) for name, v in history.items()}
      step = first_step + i
      terms = ", ".join(f"{t}={row[t]:.4g}" for t in ("ce", "excess", "all_spike", "silence"))
      if non_finite[i, k]:
        what = f"training loss is {row['total']}"
      else:
        what = (f"cross-entropy {row['ce']:.4g} exceeds train.divergence_factor={self.factor:g}"
                f" x its first-step value {self.ce_start[k]:.4g}")
      events[int(k)] = Divergence(step, not bool(non_finite[i, k]),
                                  f"{what} at step {step} (phase {row['phase']:.0f}; {terms})")
    return events


def divergence_error(event: Divergence, metrics_path: str) -> reporting.DivergenceError:
  """The error that stops a single run: what happened, where the metrics are, what to try."""
  kind = reporting.LossExplodedError if event.exploded else reporting.NonFiniteLossError
  return kind(f"{event.reason}. Metrics so far are in {metrics_path}. Try a lower learning rate "
              "or penalty weights, or optim.grad_clip > 0.")


def majority_rate(labels: np.ndarray) -> float:
  """Accuracy of always answering the most frequent class."""
  return float(np.bincount(labels).max() / len(labels))


def collapse_reason(summary: dict, chance: float, margin: float) -> str | None:
  """Why the run counts as collapsed (see the module docstring), else None."""
  if summary["silent_fraction"] >= 1.0:
    return "every hidden neuron is silent"
  if not summary["test_accuracy"] > chance + margin:
    return (f"test accuracy {summary['test_accuracy']:.4f} is within {margin:g} of the "
            f"majority-class rate {chance:.4f}")
  return None


def is_usable(summary: dict) -> bool:
  """Whether a run may enter fronts and best-lambda picks: neither diverged nor collapsed."""
  return summary.get("diverged_at_step") is None and not summary.get("collapsed", False)

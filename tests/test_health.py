"""Run health: the first diverged step inside a log interval, explosion, collapse, usability."""
import numpy as np
import pytest

from snn_jax import health
from snn_jax import reporting


def _history(total, ce):
  """Per-step metrics ``[steps, K]`` as the training loop stacks them."""
  total, ce = np.array(total, np.float32), np.array(ce, np.float32)
  zeros = np.zeros_like(ce)
  return {"total": total, "ce": ce, "excess": zeros, "all_spike": zeros, "silence": zeros,
          "phase": zeros + 2}


def test_first_non_finite_step_inside_an_interval():
  monitor = health.DivergenceMonitor(factor=100.0)
  nan = float("nan")
  # member 0 healthy; member 1 NaN from its 3rd step on; member 2 inf at its 2nd step only
  history = _history(total=[[2.3, 2.3, 2.3], [2.2, 2.2, float("inf")], [2.1, nan, 2.0],
                            [2.0, nan, 2.0]],
                     ce=[[2.3, 2.3, 2.3], [2.2, 2.2, 2.2], [2.1, nan, 2.0], [2.0, nan, 2.0]])
  events = monitor.check(history, first_step=11)
  assert sorted(events) == [1, 2]
  assert events[1].step == 13 and not events[1].exploded
  assert events[2].step == 12 and "training loss is inf at step 12" in events[2].reason
  error = health.divergence_error(events[1], "m.jsonl")
  assert isinstance(error, reporting.NonFiniteLossError) and "\n" not in str(error)


def test_explosion_is_measured_against_the_first_step():
  monitor = health.DivergenceMonitor(factor=100.0)
  assert monitor.check(_history([[2.3, 2.3]], [[2.3, 2.3]]), first_step=1) == {}
  # later intervals: member 0 climbs to 99x its start (kept), member 1 passes 100x at step 3
  events = monitor.check(_history([[50.0, 50.0], [227.0, 231.0]], [[50.0, 50.0], [227.0, 231.0]]),
                         first_step=2)
  assert list(events) == [1] and events[1].step == 3 and events[1].exploded
  assert "train.divergence_factor=100" in events[1].reason
  assert isinstance(health.divergence_error(events[1], "m.jsonl"), reporting.LossExplodedError)
  off = health.DivergenceMonitor(factor=0.0)
  assert off.check(_history([[2.3], [1e30]], [[2.3], [1e30]]), first_step=1) == {}


@pytest.mark.parametrize("accuracy, silent, collapsed", [
    (0.11, 0.5, True),    # at the majority-class rate
    (0.13, 0.5, True),    # within the margin above it
    (0.30, 0.5, False),
    (0.90, 1.0, True),    # every hidden neuron silent
])
def test_collapse(accuracy, silent, collapsed):
  chance = health.majority_rate(np.array([k for k in range(9) for _ in range(11)] + [9]))
  assert chance == pytest.approx(0.11)
  reason = health.collapse_reason({"test_accuracy": accuracy, "silent_fraction": silent},
                                  chance, margin=0.02)
  assert (reason is not None) == collapsed


def test_usable():
  assert health.is_usable({"diverged_at_step": None, "collapsed": False})
  assert health.is_usable({})  # summaries written before these keys existed
  assert not health.is_usable({"diverged_at_step": 7, "collapsed": False})
  assert not health.is_usable({"diverged_at_step": None, "collapsed": True})

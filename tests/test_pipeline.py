"""The input pipeline: chunked steps equal today's one-step-per-dispatch loop, the host
batching fallback, and where chunks end."""
import re

import jax
import numpy as np
import pytest

from conftest import small_config
from snn_jax import pipeline
from snn_jax import train


def per_step_reference(exp, configs, order):
  """Today's path: one jitted step per batch, batches gathered with numpy on the host."""
  state = train.stack([exp.init_state(c) for c in configs])
  step_fn, rows = exp.members_train_step(), []
  for batch in order:
    state, metrics = step_fn(state, exp.dataset.train_images[batch],
                             exp.dataset.train_labels[batch])
    rows.append(jax.device_get(metrics))
  return state, {k: np.stack([r[k] for r in rows]) for k in rows[0]}


def through_pipeline(exp, configs, order):
  """The same epoch in chunks, one dispatch each."""
  feed = pipeline.Pipeline(exp, configs, exp.mesh)
  state = feed.place_state(train.stack([exp.init_state(c) for c in configs]))
  feed.compile(state)
  feed.start_epoch(order)
  step, chunks = 0, []
  while step < exp.steps_per_epoch:
    end = feed.chunk_end(step)
    state, chunk = feed.run(state, step, end)
    chunks.append(chunk)
    step = end
  return feed, chunks, state, pipeline.fetch(chunks)


def two_members(device_data, steps_per_dispatch=0):
  """small_config logging every 3 steps, and a second member with another seed and penalty."""
  c = small_config(train__log_every_steps=3, train__device_data=device_data,
                   train__steps_per_dispatch=steps_per_dispatch)
  members = [c, c.copy_and_resolve_references()]
  members[1].seed, members[1].phase2.lambda_excess = 1, 1.0
  return members


@pytest.fixture(scope="module")
def per_step_epoch():
  """The two members' first epoch on today's path: the reference of both data placements
  (it gathers batches on the host whatever ``train.device_data`` says)."""
  members = two_members("false")
  exp = train.Experiment(members[0])
  order = next(exp.epochs())[1]
  return order, *per_step_reference(exp, members, order)


@pytest.mark.parametrize("device_data", ["true", "false"])
def test_chunks_equal_the_per_step_loop_bitwise(device_data, per_step_epoch):
  """Two members, 8 steps in chunks of 3, 3, 2: every per-step metric and every parameter
  is bit-identical to 8 single-step dispatches (same compiled step inside the loop)."""
  order, ref_state, ref_metrics = per_step_epoch
  members = two_members(device_data)
  exp = train.Experiment(members[0])
  np.testing.assert_array_equal(next(exp.epochs())[1], order)
  feed, chunks, state, metrics = through_pipeline(exp, members, order)
  assert feed.device_data == (device_data == "true")
  assert [(ch.first_step, ch.num_steps) for ch in chunks] == [(0, 3), (3, 3), (6, 2)]
  assert set(metrics) == set(ref_metrics)
  for k, v in ref_metrics.items():
    assert metrics[k].shape == v.shape == (8, 2)
    np.testing.assert_array_equal(metrics[k], v, err_msg=k)
  for got, want in zip(jax.tree.leaves(state), jax.tree.leaves(ref_state)):
    np.testing.assert_array_equal(jax.device_get(got), jax.device_get(want))
  assert not np.array_equal(metrics["total"][:, 0], metrics["total"][:, 1])  # members differ


def test_one_step_per_dispatch_runs_the_step_alone_and_equals_the_loop(per_step_epoch):
  """train.steps_per_dispatch = 1: 8 chunks of one step, without the loop, bit-identical to
  the per-step reference."""
  order, ref_state, ref_metrics = per_step_epoch
  members = two_members("true", steps_per_dispatch=1)
  feed, chunks, state, metrics = through_pipeline(train.Experiment(members[0]), members, order)
  assert feed.max_steps == 1 and [ch.num_steps for ch in chunks] == [1] * 8
  for k, v in ref_metrics.items():
    np.testing.assert_array_equal(metrics[k], v, err_msg=k)
  for got, want in zip(jax.tree.leaves(state), jax.tree.leaves(ref_state)):
    np.testing.assert_array_equal(jax.device_get(got), jax.device_get(want))


def test_steps_per_dispatch_is_capped_by_the_log_interval():
  t = small_config(train__log_every_steps=6).train
  assert pipeline.steps_per_dispatch(t) == 6  # auto
  t.steps_per_dispatch = 4
  assert pipeline.steps_per_dispatch(t) == 4
  t.steps_per_dispatch = 50
  assert pipeline.steps_per_dispatch(t) == 6


def test_auto_falls_back_to_host_batching_beyond_the_budget():
  c = small_config()
  exp = train.Experiment(c)
  ds = exp.dataset
  set_mb = (ds.train_images.nbytes + ds.train_labels.nbytes) / 2**20
  c.train.device_data_max_mb = 2 * set_mb
  assert pipeline.use_device_data(c.train, ds)
  c.train.device_data_max_mb = set_mb / 2
  assert not pipeline.use_device_data(c.train, ds)
  c.train.device_data = "true"  # forced, whatever the budget
  assert pipeline.use_device_data(c.train, ds)
  c.train.device_data = "false"
  c.train.device_data_max_mb = 2 * set_mb
  assert not pipeline.use_device_data(c.train, ds)


def test_host_chunks_stay_within_the_budget():
  """Host batching: a chunk's batches never exceed device_data_max_mb (here 3 batches)."""
  c = small_config(train__device_data="false")
  exp = train.Experiment(c)
  batch_mb = c.train.batch_size * exp.dataset.train_images[0].nbytes / 2**20
  c.train.device_data_max_mb = 3.5 * batch_mb
  feed = pipeline.Pipeline(train.Experiment(c), [c], exp.mesh)
  assert feed.max_steps == 3
  ends, step = [], 0
  while step < 2 * exp.steps_per_epoch:
    step = feed.chunk_end(step)
    ends.append(step)
  # every 3rd step, log steps (every 4) and epoch ends (8, 16)
  assert ends == [3, 4, 6, 8, 9, 12, 15, 16]


def test_chunk_ends_are_a_function_of_the_step():
  c = small_config(train__log_every_steps=5, train__epochs=3)
  ends = [s for s in range(1, 25) if pipeline.is_chunk_end(s, c.train, 8, frozenset({8, 16}), 5)]
  assert ends == [5, 8, 10, 15, 16, 20, 24]
  sweep_member = small_config(train__phase1_epochs=0)
  feed = pipeline.Pipeline(train.Experiment(c), [c, sweep_member], train.Experiment(c).mesh)
  assert feed.phase_ends == frozenset({0, 8})


def test_bad_device_data_value_names_the_key():
  c = small_config(train__device_data="yes")
  with pytest.raises(ValueError, match=re.escape(
      "train.device_data='yes': choose one of 'auto', 'true', 'false'")):
    train.Experiment(c)

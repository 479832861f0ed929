"""Input pipeline: chunks of training steps, each one dispatch, with their batches gathered on
the device.

The data order is the host's: ``Experiment.epochs`` draws each epoch's permutation with
numpy (``data.shuffle_seed``). Two ways to feed a chunk of n steps:

  device data (``train.device_data``): the uint8 training set is copied to every device
    once; per epoch only the int32 order ``[steps, batch]`` moves, and step i of a chunk
    gathers ``images[order[row + i]]`` inside the compiled program;
  host batching (the set exceeds ``train.device_data_max_mb``, or ``false``): the host
    gathers the chunk's n batches and copies them in one transfer.

Either way the chunk is one ``lax.fori_loop`` over the members' vmapped train step,
writing each step's metrics into a ``[max_steps, K]`` buffer that stays on the device
until the loop fetches it at a log step. The loop count n is a traced scalar, so chunks
of any length up to ``max_steps`` share one compiled program. With ``max_steps = 1``
(``train.steps_per_dispatch``) a chunk is the step alone.
"""
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from snn_jax import parallel

DEVICE_DATA = ("auto", "true", "false")


def use_device_data(train_config, dataset) -> bool:
  """Whether the training set lives on the device: ``true``, ``false``, or ``auto`` = when
  its images and labels fit ``train.device_data_max_mb``."""
  setting = train_config.device_data  # one of DEVICE_DATA (validation.check_config)
  if setting == "auto":
    size = dataset.train_images.nbytes + dataset.train_labels.nbytes
    return size <= train_config.device_data_max_mb * 2**20
  return setting == "true"


def steps_per_dispatch(train_config) -> int:
  """The most steps a chunk runs, before the data budget: ``train.steps_per_dispatch``
  (0 = auto: ``log_every_steps``), at most ``log_every_steps``."""
  t = train_config
  return min(t.steps_per_dispatch or t.log_every_steps, t.log_every_steps)


def is_log_step(step: int, train_config, steps_per_epoch: int) -> bool:
  """Whether a train row is logged after absolute ``step`` (steps done): every
  ``log_every_steps`` and at every epoch end."""
  return step % train_config.log_every_steps == 0 or step % steps_per_epoch == 0


def is_chunk_end(step: int, train_config, steps_per_epoch: int, phase_ends: frozenset,
                 max_steps: int) -> bool:
  """Whether a dispatched chunk must stop after absolute ``step``: the host needs the
  state or the metrics there (log step, epoch end with its evaluation and new order, a
  member's phase boundary), or the chunk reached the pipeline's ``max_steps``."""
  return (is_log_step(step, train_config, steps_per_epoch) or step in phase_ends
          or step % max_steps == 0)


class Chunk(NamedTuple):
  """Per-step metrics of steps ``first_step + 1 .. first_step + num_steps`` (absolute), as a
  device buffer whose first ``num_steps`` rows are filled (leaves ``[max_steps, K]``)."""
  first_step: int
  num_steps: int
  buffer: dict


def fetch(chunks: list[Chunk]) -> dict:
  """The chunks' per-step metrics on the host, each ``[steps, K]`` in step order (one sync)."""
  buffers = jax.device_get([c.buffer for c in chunks])
  return {k: np.concatenate([b[k][:c.num_steps] for b, c in zip(buffers, chunks)])
          for k in buffers[0]}


class Pipeline:
  """Feeds ``exp``'s training set to K members trained together on ``mesh``.

  Usage: :meth:`place_state` and :meth:`compile` once; per epoch :meth:`start_epoch`; then
  ``state, chunk = run(state, step, chunk_end(step))`` until the epoch's last step.
  """

  def __init__(self, exp, configs: list, mesh,
               stop_at: Callable[[int], bool] = lambda step: False):
    t = exp.config.train
    self.train_config, self.steps_per_epoch, self.mesh = t, exp.steps_per_epoch, mesh
    self.phase_ends = frozenset(c.train.phase1_epochs * exp.steps_per_epoch for c in configs)
    self.stop_at = stop_at  # further steps the host needs, e.g. checkpoints
    self.device_data = use_device_data(t, exp.dataset)
    self.dataset = exp.dataset
    images = exp.dataset.train_images
    self.max_steps = min(steps_per_dispatch(exp.config.train), exp.steps_per_epoch)
    if self.device_data:
      self.images = parallel.put(images, parallel.replicated(mesh))
      self.labels = parallel.put(exp.dataset.train_labels, parallel.replicated(mesh))
    else:  # a chunk's batches must fit the same budget the whole set did not
      batch_bytes = t.batch_size * images[0].nbytes
      budget_steps = max(1, int(t.device_data_max_mb * 2**20) // batch_bytes)
      self.max_steps = min(self.max_steps, budget_steps)
    self._run = jax.jit(self._chunk_program(exp.members_step()), donate_argnums=0,
                        out_shardings=parallel.replicated(mesh))
    self._order = self._program = None

  def _chunk_program(self, members_step):
    """``(state, source, num_steps) -> (state, metrics buffer)`` for this feeding mode."""
    rows, max_steps = parallel.batch_sharded(self.mesh), self.max_steps
    shard = lambda x: jax.lax.with_sharding_constraint(x, rows)

    def batch(source, i):
      if self.device_data:
        images, labels, order, first_row = source
        index = shard(order[first_row + i])
        return shard(images[index]), shard(labels[index])
      images, labels = source
      return shard(images[i]), shard(labels[i])

    def program(state, source, num_steps):
      if max_steps == 1:  # the step alone, outside any loop
        state, metrics = members_step(state, *batch(source, 0))
        return state, jax.tree.map(lambda m: m[None], metrics)
      shapes = jax.eval_shape(members_step, state, *batch(source, 0))[1]
      buffer = jax.tree.map(lambda m: jnp.zeros((max_steps,) + m.shape, m.dtype), shapes)

      def body(i, carry):
        state, buffer = carry
        state, metrics = members_step(state, *batch(source, i))
        return state, jax.tree.map(lambda b, m: b.at[i].set(m), buffer, metrics)

      return jax.lax.fori_loop(0, num_steps, body, (state, buffer))

    return program

  def place_state(self, state):
    """The stacked members' state replicated over the mesh."""
    return parallel.put_tree(state, parallel.replicated(self.mesh))

  def start_epoch(self, order: np.ndarray) -> None:
    """Takes the epoch's batch indices ``[steps_per_epoch, batch]``; on the device if the
    data is there."""
    self._order = (parallel.put(order.astype(np.int32), parallel.replicated(self.mesh))
                   if self.device_data else order)

  def chunk_end(self, step: int) -> int:
    """The absolute step where the chunk starting after ``step`` ends."""
    end = step + 1
    while not (is_chunk_end(end, self.train_config, self.steps_per_epoch, self.phase_ends,
                            self.max_steps) or self.stop_at(end)):
      end += 1
    return end

  def _source(self, order, first_row: int, num_steps: int):
    """The chunk program's data argument: the device-resident set with the epoch's order
    and the chunk's first row, or the chunk's batches gathered on the host (padded to
    ``max_steps`` so every chunk has one shape)."""
    if self.device_data:
      return (self.images, self.labels, order, np.int32(first_row))
    index = order[first_row:first_row + num_steps]
    index = np.concatenate([index, np.repeat(index[:1], self.max_steps - num_steps, 0)])
    sharded = parallel.batch_sharded(self.mesh, batch_dim=1)
    return (parallel.put(self.dataset.train_images[index], sharded),
            parallel.put(self.dataset.train_labels[index], sharded))

  def compile(self, state) -> None:
    """Compiles the chunk program for ``state`` ahead of training, so that the training
    clock leaves compilation out."""
    self.start_epoch(np.zeros((self.steps_per_epoch, self.train_config.batch_size), np.int32))
    self._program = self._run.lower(state, self._source(self._order, 0, 1), np.int32(1)).compile()

  def run(self, state, step: int, end: int):
    """Trains absolute steps ``step + 1 .. end`` (within one epoch) in one dispatch;
    returns the new state and the :class:`Chunk` of their metrics (not yet fetched)."""
    source = self._source(self._order, step % self.steps_per_epoch, end - step)
    state, buffer = self._program(state, source, np.int32(end - step))
    return state, Chunk(step, end - step, buffer)

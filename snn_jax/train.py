"""Training: state, two-phase schedules, the jitted step, evaluation and the main loop.

Both phases run in one compiled step. Every phase-dependent value (the three
penalty weights and the learning rate) is a step-indexed Optax schedule
``join_schedules([phase1 schedule, phase2 schedule], [phase1_steps])`` built
from per-run scalars kept in the train state, so crossing the boundary neither
recompiles nor takes a Python branch, and a sweep can ``vmap`` over them.
Within a phase the learning rate may warm up linearly and decay along a cosine,
and phase 2's penalty weights may ramp up linearly from phase 1's (see
:func:`phase_values`); with the defaults every value is constant within a phase.
"""
import contextlib
import json
import os
import time
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax

from snn_jax import augment
from snn_jax import calibration
from snn_jax import checkpoint
from snn_jax import data as data_lib
from snn_jax import encoding as encoding_lib
from snn_jax import health
from snn_jax import losses
from snn_jax import metrics as metrics_lib
from snn_jax import models
from snn_jax import parallel
from snn_jax import pipeline
from snn_jax import reporting
from snn_jax import validation
from snn_jax import workdir as workdir_lib

PHASE_VALUES = losses.LAMBDA_NAMES + ("learning_rate",)
EVAL_SEED_OFFSET = 1_000_003  # eval encodings use their own fixed key stream


@flax.struct.dataclass
class TrainState:
  step: jax.Array
  params: Any
  opt_state: Any
  key: jax.Array      # PRNG key for the input encoding
  hparams: dict       # per-run scalars: phase1_steps and each phase's PHASE_VALUES


def phase_hparams(config, steps_per_epoch: int) -> dict:
  """The per-run schedule inputs of ``config`` as arrays (vmappable in sweeps); durations
  given in epochs become whole steps."""
  steps = lambda epochs: jnp.int32(round(epochs * steps_per_epoch))
  phases = {}
  for name in ("phase1", "phase2"):
    p = config[name]
    phases[name] = {**{k: jnp.float32(p[k]) for k in PHASE_VALUES},
                    "warmup_steps": steps(p.warmup_epochs),
                    "lr_end_fraction": jnp.float32(p.lr_end_fraction)}
  phases["phase2"]["ramp_steps"] = steps(config.phase2.ramp_epochs)
  return {"phase1_steps": steps(config.train.phase1_epochs),
          "total_steps": steps(config.train.epochs), **phases}


def ramp_fraction(count: jax.Array, ramp_steps: jax.Array) -> jax.Array:
  """``min(1, (count + 1) / ramp_steps)``: the share of a linear ramp reached after the
  ``count``-th step (0-based) of a ``ramp_steps``-step ramp; 1 for every step when it is 0."""
  return jnp.minimum(1.0, (count + 1) / jnp.maximum(ramp_steps, 1))


def phase_learning_rate(phase: dict, phase_steps: jax.Array) -> Callable:
  """The learning-rate schedule of one phase, indexed by the step count ``t`` since its start:

    lr(t) = learning_rate * min(1, (t + 1) / warmup_steps) * cosine(t / phase_steps)

  with Optax's cosine decay from 1 to ``lr_end_fraction`` (``lr_end_fraction = 1``: constant;
  ``warmup_steps = 0``: no warm-up). The schedules run on the fraction of the phase done, so
  their lengths may be traced per-run scalars.
  """
  cosine = optax.cosine_decay_schedule(init_value=1.0, decay_steps=1,
                                       alpha=phase["lr_end_fraction"])
  return lambda t: (phase["learning_rate"] * ramp_fraction(t, phase["warmup_steps"])
                    * cosine(t / jnp.maximum(phase_steps, 1)))


def phase_values(hparams: dict, step: jax.Array) -> dict:
  """Each of PHASE_VALUES at ``step`` plus ``phase`` (1 or 2), from step-indexed schedules.

  Penalty weights are constant in phase 1; in phase 2 each moves linearly from its phase-1
  value to its phase-2 value over the first ``ramp_steps`` steps, reaching it exactly (a
  switch when ``ramp_steps = 0``). Learning rates follow :func:`phase_learning_rate`.
  """
  boundary = hparams["phase1_steps"]
  p1, p2 = hparams["phase1"], hparams["phase2"]
  values = {}
  for k in losses.LAMBDA_NAMES:
    ramp = optax.linear_schedule(init_value=p1[k], end_value=p2[k], transition_steps=1)
    ramped = lambda t, ramp=ramp: ramp(ramp_fraction(t, p2["ramp_steps"]))
    values[k] = optax.join_schedules([optax.constant_schedule(p1[k]), ramped], [boundary])(step)
  values["learning_rate"] = optax.join_schedules(
      [phase_learning_rate(p1, boundary),
       phase_learning_rate(p2, hparams["total_steps"] - boundary)], [boundary])(step)
  values["phase"] = jnp.where(step < boundary, 1, 2)
  return values


NEURON_PARAMS = ("beta", "threshold")  # LIF.param names; every other leaf is a weight or bias


def param_labels(params) -> Any:
  """``"neuron"`` for learnable neuron parameters, ``"weights"`` for the rest (same tree)."""
  return jax.tree_util.tree_map_with_path(
      lambda path, _: "neuron" if path[-1].key in NEURON_PARAMS else "weights", params)


def train_in_phases(train_phase1: bool,
                    train_phase2: bool) -> optax.GradientTransformationExtraArgs:
  """Zeroes the updates in the phases where the group is frozen; the step passes ``phase``
  (1 or 2) to ``update``, so the gate follows the per-run phase boundary without recompiling."""

  def update(updates, state, params=None, *, phase, **extra_args):
    del params, extra_args
    trains = jnp.where(phase == 1, train_phase1, train_phase2)
    return jax.tree.map(lambda u: jnp.where(trains, u, jnp.zeros_like(u)), updates), state

  return optax.GradientTransformationExtraArgs(lambda params: optax.EmptyState(), update)


def kernels(params) -> Any:
  """True for synaptic weight matrices and conv kernels (the leaves named ``kernel``)."""
  return jax.tree_util.tree_map_with_path(lambda path, _: path[-1].key == "kernel", params)


def make_optimizer(optim_config) -> optax.GradientTransformationExtraArgs:
  """Per parameter group (``optax.multi_transform`` over :func:`param_labels`): clip, Adam's
  update direction, decoupled weight decay of the kernels (AdamW: ``+ weight_decay * w``),
  ``lr_scale``, phase gate. An optional global-norm clip over all gradients comes first. The
  step applies ``-learning_rate`` and passes ``phase=`` to ``update``."""

  def group(group_config, decay: float = 0.0):
    clip = group_config.grad_clip
    parts = [optax.clip_by_global_norm(clip)] if clip > 0 else []
    parts.append(optax.scale_by_adam(b1=optim_config.b1, b2=optim_config.b2,
                                     eps=optim_config.eps))
    if decay > 0:
      parts.append(optax.add_decayed_weights(decay, mask=kernels))
    return optax.chain(*parts,
                       optax.scale(group_config.lr_scale),
                       train_in_phases(group_config.train_phase1, group_config.train_phase2))

  groups = optax.multi_transform(
      {"weights": group(optim_config.weights, optim_config.weight_decay),
       "neuron": group(optim_config.neuron)}, param_labels)
  if optim_config.grad_clip > 0:
    return optax.chain(optax.clip_by_global_norm(optim_config.grad_clip), groups)
  return groups


def create_train_state(config, model, tx, example_images: np.ndarray, encode,
                       steps_per_epoch: int) -> TrainState:
  """Initial state: parameters from ``config.seed``, encoding key, schedule scalars. The
  parameters' shapes come from the first of ``example_images``; with ``model.init_spikes``
  they are calibrated on all of them (the first training batch)."""
  init_key, train_key = jax.random.split(jax.random.PRNGKey(config.seed))
  x = encode(jnp.asarray(example_images), key=train_key)
  params = model.init(init_key, x[:, :1])["params"]
  if config.model.init_spikes:
    params = calibration.calibrate(model, params, x, config.model.init_spikes)
  return TrainState(step=jnp.int32(0), params=params, opt_state=tx.init(params), key=train_key,
                    hparams=phase_hparams(config, steps_per_epoch))


def make_train_step(model, tx, encode, options: dict, random_shift: int = 0) -> Callable:
  """``train_step(state, images, labels) -> (state, metrics)``, pure and unjitted; with
  ``random_shift > 0`` each image first moves by up to that many pixels (:mod:`augment`)."""

  def train_step(state: TrainState, images, labels):
    key, encode_key = jax.random.split(state.key)
    if random_shift:
      encode_key, shift_key = jax.random.split(encode_key)
      images = augment.random_shift(images, shift_key, random_shift)
    x = encode(images, key=encode_key)
    values = phase_values(state.hparams, state.step)

    def loss_fn(params):
      logits, counts = model.apply({"params": params}, x)
      terms = losses.loss_terms(logits, labels, counts, **options)
      return losses.total_loss(terms, values), (terms, logits, counts)

    (total, (terms, logits, counts)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params)
    updates, opt_state = tx.update(grads, state.opt_state, state.params,
                                   phase=values["phase"])
    updates = jax.tree.map(lambda u: -values["learning_rate"] * u, updates)
    params = optax.apply_updates(state.params, updates)
    num_neurons = sum(n.shape[1] for n in counts) * labels.shape[0]
    step_metrics = {
        **terms, "total": total, **values,
        "accuracy": jnp.mean(logits.argmax(-1) == labels),
        "spikes_per_neuron": sum(n.sum() for n in counts) / num_neurons,
    }
    new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state, key=key)
    return new_state, step_metrics

  return train_step


def make_eval_step(model, encode) -> Callable:
  """``eval_step(params, images, labels, mask, key) -> sums`` (see metrics.batch_sums)."""

  def eval_step(params, images, labels, mask, key):
    x = encode(images, key=key)
    logits, counts = model.apply({"params": params}, x)
    return metrics_lib.batch_sums(logits, labels, counts, x, mask)

  return eval_step


def eval_keys(seeds: jax.Array, batch_index: int) -> jax.Array:
  """Per-run encoding keys of one eval batch: fixed by seed, independent of training."""
  return jax.vmap(lambda s: jax.random.fold_in(jax.random.PRNGKey(s + EVAL_SEED_OFFSET),
                                               batch_index))(seeds)


def evaluate(eval_step, params, images, labels, batch_size: int, seeds: jax.Array,
             mesh) -> dict:
  """Sums of :func:`metrics.batch_sums` over the whole set for stacked ``params``, one sync;
  each batch is split over ``mesh``."""
  total, rows = None, parallel.batch_sharded(mesh)
  for i, batch in enumerate(data_lib.eval_batches(images, labels, batch_size)):
    x, y, mask = (parallel.put(a, rows) for a in batch)
    sums = eval_step(params, x, y, mask, eval_keys(seeds, i))
    total = sums if total is None else jax.tree.map(jnp.add, total, sums)
  return jax.device_get(total)


class Experiment:
  """Everything a run derives from its config: data, model, encoder, step functions and the
  device mesh."""

  def __init__(self, config):
    validation.check_config(config)
    self.config = config
    self.mesh = parallel.make_mesh()
    parallel.check_batch_sizes(config.train, self.mesh)
    full = data_lib.load_full(config.data)
    validation.check_data_sizes(config, len(full.train_labels), len(full.test_labels))
    self.dataset = data_lib.truncate(full, config.data.train_size, config.data.test_size)
    self.chance_accuracy = health.majority_rate(self.dataset.test_labels)
    self.model = models.create(config.model, config.neuron, self.dataset.num_classes,
                               config.compute)
    self.encode = encoding_lib.from_config(config.encoding)
    self.tx = make_optimizer(config.optim)
    self.steps_per_epoch = data_lib.steps_per_epoch(len(self.dataset.train_labels),
                                                    config.train.batch_size)
    self.train_step = make_train_step(self.model, self.tx, self.encode,
                                      losses.options_from_config(config.loss),
                                      config.data.random_shift)
    self.eval_step = make_eval_step(self.model, self.encode)
    self.fanouts = self.model.synapse_fanouts(self.dataset.train_images.shape[1:])

  def init_state(self, config=None) -> TrainState:
    """A fresh state for ``config`` (default: the experiment's own)."""
    config = config or self.config
    return create_train_state(config, self.model, self.tx,
                              self.dataset.train_images[:config.train.batch_size], self.encode,
                              self.steps_per_epoch)

  def members_step(self) -> Callable:
    """``train_step`` over a stacked state of K members sharing one batch (unjitted): vmapped,
    or for conv nets the members one after another inside the same program.

    Under vmap each member's convolution kernels turn into one grouped convolution, which
    ran 2.9x slower than the members one by one on the 2-core CPU (mnist_conv net, K = 3,
    docs/BENCHMARKS.md); on an H100 a K = 4 vmapped mnist_conv sweep was slower too.
    """
    if self.config.model.name == "conv":
      return members_one_by_one(self.train_step)
    return jax.vmap(self.train_step, in_axes=(0, None, None))

  def members_train_step(self) -> Callable:
    """:meth:`members_step` jitted, one step per call (the state's buffers are donated)."""
    return jax.jit(self.members_step(), donate_argnums=0)

  def members_evaluator(self) -> Callable:
    """``evaluate(stacked params, seeds) -> one summary per member`` on the test set, each
    batch split over the mesh."""
    eval_step = jax.jit(jax.vmap(self.eval_step, in_axes=(0, None, None, None, 0)),
                        out_shardings=parallel.replicated(self.mesh))
    t, ds = self.config.train, self.dataset

    def evaluate_members(params, seeds):
      sums = evaluate(eval_step, params, ds.test_images, ds.test_labels, t.eval_batch_size, seeds,
                      self.mesh)
      return [self.summarize(unstack(sums, k)) for k in range(len(seeds))]

    return evaluate_members

  def epochs(self):
    """Yields ``(epoch, batch index array [steps, batch])``; the order comes from
    ``data.shuffle_seed``."""
    rng = np.random.default_rng(self.config.data.shuffle_seed)
    for epoch in range(self.config.train.epochs):
      yield epoch, data_lib.epoch_order(len(self.dataset.train_labels),
                                        self.config.train.batch_size, rng)

  def summarize(self, sums: dict) -> dict:
    c = self.config
    return metrics_lib.summarize(sums, self.fanouts, num_steps=c.encoding.num_steps,
                                 spiking_input=encoding_lib.IS_SPIKING[c.encoding.name],
                                 e_ac_pj=c.energy.e_ac_pj, e_mac_pj=c.energy.e_mac_pj)


def stack(trees: list) -> Any:
  """Stacks pytrees along a new leading member axis."""
  return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def unstack(tree: Any, index: int) -> Any:
  """Member ``index`` of a stacked pytree."""
  return jax.tree.map(lambda x: x[index], tree)


def _prepare_workdirs(exp, configs, workdirs, fresh: bool, templates: list):
  """Resumes the group from its checkpoints (unless ``fresh``) or archives earlier runs;
  returns ``(checkpoints, start step, stacked state, loop extras per run, run files)``."""
  t = exp.config.train
  milestones = {int(c.train.phase1_epochs) * exp.steps_per_epoch for c in configs}
  checkpoints = checkpoint.GroupCheckpoints(
      workdirs, t.checkpoint_every_steps, t.checkpoints_to_keep,
      milestones | {t.epochs * exp.steps_per_epoch})
  found = [workdir_lib.inspect(c, w, quiet=True) for c, w in zip(configs, workdirs)]
  for w, f in zip(workdirs, found):
    if f.kind == "different" and not fresh:
      raise workdir_lib.mismatch_error(w, f.differences)
  # Checkpoints count only next to the config.json of the same config.
  same_config = all(f.kind in ("unfinished", "finished") for f in found)
  resumed = checkpoints.resume(templates) if same_config and not fresh else None
  if resumed is None:
    for w in workdirs:  # only now that the model, data and initial states exist
      workdir_lib.archive(w, reporting.run_file_names(w) + (checkpoint.CHECKPOINT_DIR,))
    step, states, extras = 0, templates, None
  else:
    step, states, extras = resumed
    print(f"resuming from the checkpoint of step {step}", flush=True)
  runs = [reporting.RunFiles(w, c, resume_step=step) for c, w in zip(configs, workdirs)]
  return checkpoints, step, stack(states), extras, runs


class _LoopRecord:
  """What the loop carries between log steps besides the train state: the per-step metrics
  not yet logged, each run's divergence and the divergence monitor. Checkpoints save it as
  JSON, so a resumed run logs exactly the rows of an uninterrupted one."""

  def __init__(self, num_runs: int, divergence_factor: float, extras: list | None = None):
    self.monitor = health.DivergenceMonitor(divergence_factor)
    self.pending, self.diverged = [], [None] * num_runs
    if extras:
      history = checkpoint.history_from_json([e["pending"] for e in extras])
      self.pending = [(history, len(history["total"]))] if history else []
      self.diverged = [health.Divergence(**e["diverged"]) if e["diverged"] else None
                       for e in extras]
      if extras[0]["ce_start"] is not None:
        self.monitor.ce_start = np.array([e["ce_start"] for e in extras], np.float32)

  def history(self) -> dict:
    """The pending steps' metrics ``{name: [steps, K]}`` on the host (one sync)."""
    return reporting.stack_histories(self.pending)

  def extras(self) -> list[dict]:
    """Per run, the JSON a checkpoint keeps (see :meth:`__init__`)."""
    history = self.history() if self.pending else {}
    ce_start = self.monitor.ce_start
    return [{"pending": checkpoint.history_to_json(history, k),
             "diverged": d._asdict() if d else None,
             "ce_start": None if ce_start is None else float(ce_start[k])}
            for k, d in enumerate(self.diverged)]


def members_one_by_one(train_step: Callable) -> Callable:
  """A stacked-state step, ``(state [K, ...], images, labels) -> (state, metrics [K])``, that
  applies ``train_step`` to each member in turn (K copies of the step, no vmap)."""

  def step(state: TrainState, images, labels):
    outputs = [train_step(unstack(state, k), images, labels) for k in range(len(state.step))]
    return stack([s for s, _ in outputs]), stack([m for _, m in outputs])

  return step


def train_members(exp: Experiment, configs: list, workdirs: list[str], *,
                  stop_on_nan: bool = True, fresh: bool = False) -> tuple[TrainState, list[dict]]:
  """Trains K runs that differ only in per-run state (seed, penalty weights, phase length)
  as one ``vmap``-ed program sharing ``exp``'s data stream; K = 1 is a single run.

  Steps run in chunks, one dispatch each (:mod:`snn_jax.pipeline`), ending where the host needs
  the state or the metrics (log steps, epoch ends, phase boundaries, checkpoints). Each run
  gets the files of :func:`train_and_evaluate` in its workdir, locked while training.
  Runs resume from their latest common checkpoint (see :mod:`snn_jax.checkpoint`); with
  ``fresh``, or without checkpoints, earlier files are archived and training starts over.
  A workdir holding another config's run raises ConfigMismatchError unless ``fresh``.
  With ``stop_on_nan`` a diverged run (:mod:`snn_jax.health`) raises a
  :class:`reporting.DivergenceError`; otherwise that member's summary gets
  ``diverged_at_step`` and ``diverged_reason`` and the others go on undisturbed. Every
  summary says whether the run ``collapsed`` (and why: ``collapse_reason``). SIGTERM /
  SIGINT save a checkpoint at the next chunk end and raise
  :class:`snn_jax.checkpoint.Interrupted`. Returns the stacked final state and one summary
  per run.
  """
  with contextlib.ExitStack() as held:
    for w in workdirs:
      held.enter_context(workdir_lib.lock(w))
    templates = [jax.device_get(exp.init_state(c)) for c in configs]
    checkpoints, first_step, state, extras, runs = _prepare_workdirs(
        exp, configs, workdirs, fresh, templates)
    held.callback(checkpoints.close)
    stop = held.enter_context(checkpoint.StopOnSignals())
    record = _LoopRecord(len(configs), exp.config.train.divergence_factor, extras)
    return _train_loop(exp, configs, runs, checkpoints, stop, first_step, state, record,
                       stop_on_nan=stop_on_nan)


def _log_train_rows(runs, record: _LoopRecord, step: int, epoch: int, stop_on_nan: bool) -> dict:
  """Logs each run's mean over the pending steps and marks runs that diverged among them
  (raising for a lone run with ``stop_on_nan``); returns the rows ``{name: [K]}``."""
  history = record.history()
  rows = reporting.mean_over_steps(history)
  events = record.monitor.check(history, first_step=step - len(history["total"]) + 1)
  record.pending = []
  for k, run in enumerate(runs):
    row = {name: float(v[k]) for name, v in rows.items()}
    run.log({"kind": "train", "step": step, "epoch": epoch + 1, **row})
    if record.diverged[k] is None and k in events:
      if stop_on_nan:
        raise health.divergence_error(events[k], run.metrics_path)
      record.diverged[k] = events[k]
  return rows


def _save_if_due(checkpoints, stop, step: int, state, record: _LoopRecord) -> None:
  """A checkpoint when one is due or a signal asked to stop; then stops on that signal."""
  if checkpoints.is_due(step) or stop.signum:
    checkpoints.save(step, state, record.extras())
  if stop.signum:
    raise checkpoints.interrupted(step, stop.signum)


def _train_loop(exp, configs, runs, checkpoints, stop, first_step, state, record, *,
                stop_on_nan):
  """The steps of :func:`train_members` from ``first_step`` on (its files, checkpoints and
  signal handling already set up)."""
  t = exp.config.train
  seeds = jnp.array([c.seed for c in configs])
  feed = pipeline.Pipeline(exp, configs, exp.mesh, stop_at=checkpoints.is_due)
  state = feed.place_state(state)
  feed.compile(state)
  evaluate_members = exp.members_evaluator()
  progress = reporting.Progress(t.epochs * exp.steps_per_epoch, first_step=first_step)
  summaries, eval_seconds, start = None, 0.0, time.perf_counter()
  step = first_step
  for epoch, order in exp.epochs():
    epoch_end = (epoch + 1) * exp.steps_per_epoch
    if epoch_end <= first_step:
      continue  # finished before the checkpoint (the order is still drawn, keeping the stream)
    feed.start_epoch(order)
    while step < epoch_end:
      end = feed.chunk_end(step)
      state, chunk = feed.run(state, step, end)
      record.pending.append((chunk.buffer, chunk.num_steps))
      step = end
      if pipeline.is_log_step(step, t, exp.steps_per_epoch):
        rows = _log_train_rows(runs, record, step, epoch, stop_on_nan)  # the host waits here
        progress.advance(step - progress.step)
        progress.show(epoch + 1, {name: float(np.nanmean(v)) for name, v in rows.items()})
      if step < epoch_end:  # an epoch's last step is saved after its evaluation
        _save_if_due(checkpoints, stop, step, state, record)
    tic = time.perf_counter()
    summaries = evaluate_members(state.params, seeds)
    for run, summary in zip(runs, summaries):
      run.log({"kind": "eval", "step": step, "epoch": epoch + 1, **summary})
    eval_seconds += time.perf_counter() - tic
    _save_if_due(checkpoints, stop, step, state, record)
    progress.pause()
  progress.close()
  if summaries is None:  # resumed from the last step's checkpoint: evaluation is deterministic
    summaries = evaluate_members(state.params, seeds)
  member_rate = progress.samples_per_second(t.batch_size)
  timing = dict(train_seconds=time.perf_counter() - start - eval_seconds,
                train_samples_per_second=member_rate, steps=progress.step,
                members_trained_together=len(runs),
                aggregate_train_samples_per_second=member_rate * len(runs),
                device_data=feed.device_data, steps_per_dispatch=feed.max_steps,
                devices=exp.mesh.size)
  for run, summary, divergence in zip(runs, summaries, record.diverged):
    collapse = health.collapse_reason(summary, exp.chance_accuracy, t.collapse_margin)
    summary.update(timing, diverged_at_step=divergence.step if divergence else None,
                   diverged_reason=divergence.reason if divergence else None,
                   collapsed=collapse is not None, collapse_reason=collapse)
    run.finish(summary)
  return state, summaries


def train_and_evaluate(config, workdir: str, *, fresh: bool = False
                       ) -> tuple[TrainState | None, dict]:
  """Trains ``config``, evaluating after every epoch; writes config.json, metrics.jsonl
  (one row per log step and per eval), summary.json, results.md, TensorBoard events and
  checkpoints/ to ``workdir``, which stays locked meanwhile
  (:class:`snn_jax.workdir.WorkdirBusyError`).

  Rerunning on the same workdir resumes from the latest checkpoint; if the run had finished,
  nothing is trained and the state is None (:func:`snn_jax.checkpoint.load_run` loads it).
  A workdir holding another config's run raises :class:`snn_jax.workdir.ConfigMismatchError`;
  ``fresh`` archives it (to ``archive/<time>/``, once the new model and data are built) and
  starts over. Returns ``(final state, summary)``. A non-finite loss stops the run with
  :class:`snn_jax.reporting.NonFiniteLossError` naming its first non-finite step, an
  exploding one with :class:`snn_jax.reporting.LossExplodedError` (see :mod:`snn_jax.health`);
  SIGTERM / SIGINT with :class:`snn_jax.checkpoint.Interrupted` after saving a checkpoint.
  """
  exp = Experiment(config)  # bad values and missing data are named before the workdir is touched
  with workdir_lib.lock(workdir):
    found = workdir_lib.inspect(config, workdir)
    if not fresh and found.kind == "different":
      raise workdir_lib.mismatch_error(workdir, found.differences)
    if not fresh and found.kind == "finished":
      print(f"{workdir} already holds the finished run of this config (summary.json); nothing "
            "to train (use --fresh to train it again)")
      return None, found.summary
    state, (summary,) = train_members(exp, [config], [workdir], fresh=fresh)
  return unstack(state, 0), summary


def evaluate_run(workdir: str) -> dict:
  """Test-set metrics (the test figures of summary.json) of the latest checkpoint in
  ``workdir``; written to ``workdir/evaluation.json`` and printed as a table."""
  config, params = checkpoint.load_run(workdir)
  exp = Experiment(config)
  (summary,) = exp.members_evaluator()(stack([params]), jnp.array([config.seed]))
  workdir_lib.atomic_write(os.path.join(workdir, "evaluation.json"),
                           json.dumps(summary, indent=2, sort_keys=True))
  print(reporting.format_table(summary))
  return summary

"""Training: state, two-phase schedules, the jitted step, evaluation and the main loop.

Both phases run in one compiled step. Every phase-dependent value (the three
penalty weights and the learning rate) is a step-indexed Optax schedule
``join_schedules([constant(phase1), constant(phase2)], [phase1_steps])`` built
from per-run scalars kept in the train state, so crossing the boundary neither
recompiles nor takes a Python branch, and a sweep can ``vmap`` over them.
"""
import time
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax

from snn_jax import data as data_lib
from snn_jax import encoding as encoding_lib
from snn_jax import losses
from snn_jax import metrics as metrics_lib
from snn_jax import models
from snn_jax import reporting

PHASE_VALUES = ("lambda_excess", "lambda_all", "lambda_silence", "learning_rate")
EVAL_SEED_OFFSET = 1_000_003  # eval encodings use their own fixed key stream


@flax.struct.dataclass
class TrainState:
  step: jax.Array
  params: Any
  opt_state: Any
  key: jax.Array      # PRNG key for the input encoding
  hparams: dict       # per-run scalars: phase1_steps and each phase's PHASE_VALUES


def phase_hparams(config, steps_per_epoch: int) -> dict:
  """The per-run schedule inputs of ``config`` as arrays (vmappable in sweeps)."""
  return {
      "phase1_steps": jnp.int32(config.train.phase1_epochs * steps_per_epoch),
      "phase1": {k: jnp.float32(config.phase1[k]) for k in PHASE_VALUES},
      "phase2": {k: jnp.float32(config.phase2[k]) for k in PHASE_VALUES},
  }


def phase_values(hparams: dict, step: jax.Array) -> dict:
  """Each of PHASE_VALUES at ``step`` plus ``phase`` (1 or 2), from step-indexed schedules."""
  boundary = hparams["phase1_steps"]
  values = {
      k: optax.join_schedules([optax.constant_schedule(hparams["phase1"][k]),
                               optax.constant_schedule(hparams["phase2"][k])], [boundary])(step)
      for k in PHASE_VALUES
  }
  values["phase"] = jnp.where(step < boundary, 1, 2)
  return values


def make_optimizer(optim_config) -> optax.GradientTransformation:
  """Adam's update direction (optionally after global-norm clipping); the step applies -lr."""
  adam = optax.scale_by_adam(b1=optim_config.b1, b2=optim_config.b2, eps=optim_config.eps)
  if optim_config.grad_clip > 0:
    return optax.chain(optax.clip_by_global_norm(optim_config.grad_clip), adam)
  return adam


def create_train_state(config, model, tx, example_images: np.ndarray, encode,
                       steps_per_epoch: int) -> TrainState:
  """Initial state: parameters from ``config.seed``, encoding key, schedule scalars."""
  init_key, train_key = jax.random.split(jax.random.PRNGKey(config.seed))
  x = encode(jnp.asarray(example_images), key=train_key)
  params = model.init(init_key, x)["params"]
  return TrainState(step=jnp.int32(0), params=params, opt_state=tx.init(params), key=train_key,
                    hparams=phase_hparams(config, steps_per_epoch))


def penalty_options(loss_config) -> dict:
  """Keyword options of :func:`snn_jax.losses.spike_penalties` from ``config.loss``."""
  return dict(free_spikes=loss_config.free_spikes, layer_weights=tuple(loss_config.layer_weights),
              r_min=loss_config.r_min, squared_excess=loss_config.squared_excess)


def make_train_step(model, tx, encode, options: dict) -> Callable:
  """``train_step(state, images, labels) -> (state, metrics)``, pure and unjitted."""

  def train_step(state: TrainState, images, labels):
    key, encode_key = jax.random.split(state.key)
    x = encode(images, key=encode_key)
    values = phase_values(state.hparams, state.step)

    def loss_fn(params):
      logits, counts = model.apply({"params": params}, x)
      terms = losses.loss_terms(logits, labels, counts, **options)
      return losses.total_loss(terms, values), (terms, logits, counts)

    (total, (terms, logits, counts)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
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


def evaluate(eval_step, params, images, labels, batch_size: int, seeds: jax.Array) -> dict:
  """Sums of :func:`metrics.batch_sums` over the whole set for stacked ``params``, one sync."""
  total = None
  for i, (x, y, mask) in enumerate(data_lib.eval_batches(images, labels, batch_size)):
    sums = eval_step(params, x, y, mask, eval_keys(seeds, i))
    total = sums if total is None else jax.tree.map(jnp.add, total, sums)
  return jax.device_get(total)


def encoder_from_config(encoding_config):
  """The configured encoder with its own options bound."""
  options = {"rate": {"max_rate": encoding_config.max_rate, "bits": encoding_config.rate_bits},
             "latency": {"p_min": encoding_config.p_min}}.get(encoding_config.name, {})
  return encoding_lib.get(encoding_config.name, encoding_config.num_steps, **options)


def check_config(config) -> None:
  """Clear errors for values that types alone do not rule out."""
  t = config.train
  if not 0 <= t.phase1_epochs <= t.epochs:
    raise ValueError(f"train.phase1_epochs={t.phase1_epochs} must lie in [0, train.epochs={t.epochs}]")
  for name in ("batch_size", "eval_batch_size", "log_every_steps", "epochs"):
    if t[name] < 1:
      raise ValueError(f"train.{name} must be >= 1, got {t[name]}")


class Experiment:
  """Everything a run derives from its config: data, model, encoder and step functions."""

  def __init__(self, config):
    check_config(config)
    self.config = config
    self.dataset = data_lib.load(config.data)
    self.model = models.create(config.model, config.neuron, self.dataset.num_classes,
                               config.compute)
    self.encode = encoder_from_config(config.encoding)
    self.tx = make_optimizer(config.optim)
    self.steps_per_epoch = data_lib.steps_per_epoch(len(self.dataset.train_labels),
                                                    config.train.batch_size)
    self.train_step = make_train_step(self.model, self.tx, self.encode,
                                      penalty_options(config.loss))
    self.eval_step = make_eval_step(self.model, self.encode)
    self.fanouts = self.model.synapse_fanouts(self.dataset.train_images.shape[1:])

  def init_state(self, config=None) -> TrainState:
    """A fresh state for ``config`` (default: the experiment's own)."""
    return create_train_state(config or self.config, self.model, self.tx,
                              self.dataset.train_images[:1], self.encode, self.steps_per_epoch)

  def members_train_step(self) -> Callable:
    """``train_step`` over a stacked state of K members sharing one batch: jitted and vmapped
    (the state's buffers donated); for conv nets the members one after another.

    Under vmap each member's convolution kernels turn into one grouped convolution, which
    ran 2.9x slower than the members one by one on the 2-core CPU (mnist_conv net, K = 3,
    docs/BENCHMARKS.md); on an H100 a K = 4 vmapped mnist_conv sweep was slower too.
    """
    if self.config.model.name == "conv":
      return members_one_by_one(jax.jit(self.train_step, donate_argnums=0))
    return jax.jit(jax.vmap(self.train_step, in_axes=(0, None, None)), donate_argnums=0)

  def epochs(self):
    """Yields ``(epoch, batch index array [steps, batch])``; the order comes from data.shuffle_seed."""
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


def members_one_by_one(train_step: Callable) -> Callable:
  """A stacked-state step, ``(state [K, ...], images, labels) -> (state, metrics [K])``, that
  runs ``train_step`` on each member in turn."""

  def step(state: TrainState, images, labels):
    outputs = [train_step(unstack(state, k), images, labels) for k in range(len(state.step))]
    return stack([s for s, _ in outputs]), stack([m for _, m in outputs])

  return step


def train_members(exp: Experiment, configs: list, workdirs: list[str], *,
                  stop_on_nan: bool = True) -> tuple[TrainState, list[dict]]:
  """Trains K runs that differ only in per-run state (seed, penalty weights, phase length)
  as one ``vmap``-ed program sharing ``exp``'s data stream; K = 1 is a single run.

  Each run gets the files of :func:`train_and_evaluate` in its workdir. With
  ``stop_on_nan`` a non-finite loss raises; otherwise that member's summary gets
  ``diverged_at_step`` and the others go on undisturbed.
  Returns the stacked final state and one summary per run.
  """
  t = exp.config.train
  runs = [reporting.RunFiles(w, c) for c, w in zip(configs, workdirs)]
  state = stack([exp.init_state(c) for c in configs])
  seeds = jnp.array([c.seed for c in configs])
  train_step = exp.members_train_step()
  eval_step = jax.jit(jax.vmap(exp.eval_step, in_axes=(0, None, None, None, 0)))
  progress = reporting.Progress(t.epochs * exp.steps_per_epoch)
  diverged = [None] * len(runs)
  pending, eval_seconds, start = [], 0.0, time.perf_counter()
  ds = exp.dataset
  for epoch, order in exp.epochs():
    for batch in order:
      state, step_metrics = train_step(state, ds.train_images[batch], ds.train_labels[batch])
      pending.append(step_metrics)
      step = progress.advance()
      if step % t.log_every_steps == 0 or step % exp.steps_per_epoch == 0:
        rows = reporting.mean_of(pending)
        pending = []
        for k, run in enumerate(runs):
          row = {name: float(v[k]) for name, v in rows.items()}
          run.log({"kind": "train", "step": step, "epoch": epoch + 1, **row})
          if diverged[k] is None and not reporting.is_finite(row):
            if stop_on_nan:
              raise reporting.NonFiniteLossError(reporting.nan_message(row, step, run.metrics_path))
            diverged[k] = step
        progress.show(epoch + 1, {name: float(np.nanmean(v)) for name, v in rows.items()})
    tic = time.perf_counter()
    sums = evaluate(eval_step, state.params, ds.test_images, ds.test_labels, t.eval_batch_size,
                    seeds)
    summaries = [exp.summarize(unstack(sums, k)) for k in range(len(runs))]
    for run, summary in zip(runs, summaries):
      run.log({"kind": "eval", "step": step, "epoch": epoch + 1, **summary})
    eval_seconds += time.perf_counter() - tic
  progress.close()
  member_rate = progress.samples_per_second(t.batch_size)
  timing = dict(train_seconds=time.perf_counter() - start - eval_seconds,
                train_samples_per_second=member_rate, steps=progress.step,
                members_trained_together=len(runs),
                aggregate_train_samples_per_second=member_rate * len(runs))
  for run, summary, step in zip(runs, summaries, diverged):
    summary.update(timing, diverged_at_step=step)
    run.finish(summary)
  return state, summaries


def train_and_evaluate(config, workdir: str) -> tuple[TrainState, dict]:
  """Trains ``config``, evaluating after every epoch; writes config.json, metrics.jsonl
  (one row per log step and per eval), summary.json and results.md to ``workdir``.

  Returns ``(final state, summary)``. A non-finite loss stops the run with
  :class:`snn_jax.reporting.NonFiniteLossError`.
  """
  state, (summary,) = train_members(Experiment(config), [config], [workdir])
  return unstack(state, 0), summary

"""Config checks that run before anything is built or written.

Every failure is a :class:`ConfigError` with one line naming the key, its value and what is
allowed, e.g. ``neuron.beta=1.5: must lie in [0, 1]``. :func:`check_config` needs only the
config; :func:`check_data_sizes` runs once the dataset's sizes are known; :func:`check_sweep`
checks the axes of a penalty sweep.
"""
import numbers

import jax

from snn_jax import data as data_lib
from snn_jax import encoding as encoding_lib
from snn_jax import losses
from snn_jax import models
from snn_jax import neurons
from snn_jax import pipeline
from snn_jax import surrogate as surrogate_lib

DATASETS = ("digits",) + tuple(data_lib.IDX_FOLDERS) + data_lib.TFDS_ONLY
SOURCES = ("auto", "idx", "tfds")
MODELS = ("mlp", "conv")


class ConfigError(ValueError):
  """A config value outside what the code accepts."""


def _fail(key: str, value, allowed: str):
  raise ConfigError(f"{key}={value!r}: {allowed}")


def _choice(config, key: str, choices) -> None:
  value = _get(config, key)
  if value not in choices:
    _fail(key, value, f"choose one of {', '.join(map(repr, choices))}")


def _at_least(config, key: str, low, *, strict: bool = False) -> None:
  value = _get(config, key)
  ok = value > low if strict else value >= low
  if not ok:
    _fail(key, value, f"must be {'>' if strict else '>='} {low}")


def _in_range(config, key: str, low, high) -> None:
  value = _get(config, key)
  if not low <= value <= high:
    _fail(key, value, f"must lie in [{low}, {high}]")


def _get(config, dotted: str):
  node = config
  for part in dotted.split("."):
    node = node[part]
  return node


def check_config(config) -> None:
  """Raises :class:`ConfigError` for the first value of ``config`` that cannot train."""
  _choice(config, "data.name", DATASETS)
  _choice(config, "data.source", SOURCES)
  for key in ("data.train_size", "data.test_size", "data.random_shift"):
    _at_least(config, key, 0)
  _choice(config, "encoding.name", tuple(encoding_lib.ENCODERS))
  _at_least(config, "encoding.num_steps", 1)
  _in_range(config, "encoding.max_rate", 0, 1)
  _in_range(config, "encoding.p_min", 0, 1)
  _choice(config, "encoding.rate_bits", encoding_lib.RATE_BITS)
  _in_range(config, "neuron.beta", 0, 1)
  _at_least(config, "neuron.threshold", 0, strict=True)
  _choice(config, "neuron.reset", neurons.RESETS)
  _choice(config, "neuron.surrogate", tuple(surrogate_lib.SURROGATES))
  _at_least(config, "neuron.surrogate_scale", 0, strict=True)
  _check_model(config)
  _at_least(config, "loss.free_spikes", 0)
  _at_least(config, "loss.r_min", 0)
  if not all(w >= 0 for w in config.loss.layer_weights):
    _fail("loss.layer_weights", tuple(config.loss.layer_weights), "every weight must be >= 0")
  for phase in ("phase1", "phase2"):
    for key in losses.LAMBDA_NAMES:
      _at_least(config, f"{phase}.{key}", 0)
    _at_least(config, f"{phase}.learning_rate", 0, strict=True)
  for key in ("optim.b1", "optim.b2"):
    _in_range(config, key, 0, 1)
  _at_least(config, "optim.eps", 0)
  _at_least(config, "optim.grad_clip", 0)
  _at_least(config, "optim.weight_decay", 0)
  for key in ("train.epochs", "train.batch_size", "train.eval_batch_size",
              "train.log_every_steps"):
    _at_least(config, key, 1)
  _in_range(config, "train.phase1_epochs", 0, config.train.epochs)
  _check_schedules(config)
  if config.train.divergence_factor != 0:
    _at_least(config, "train.divergence_factor", 1, strict=True)
  _in_range(config, "train.collapse_margin", 0, 1)
  _choice(config, "train.device_data", pipeline.DEVICE_DATA)
  _at_least(config, "compute.unroll", 0)
  _choice(config, "compute.lif_backward", neurons.BACKWARDS)
  _choice(config, "compute.lif_loops", neurons.LOOPS)
  if config.compute.lif_loops == "pallas" and (jax.default_backend() != "gpu"
                                               or jax.device_count() > 1):
    _fail("compute.lif_loops", "pallas", f"runs Triton kernels on one GPU; this run has "
          f"{jax.device_count()} {jax.default_backend()} device(s): use 'xla'")
  _choice(config, "compute.dtype", tuple(models.COMPUTE_DTYPES))
  _at_least(config, "compute.remat_chunk", 0)
  if config.compute.remat_chunk and config.encoding.num_steps % config.compute.remat_chunk:
    _fail("compute.remat_chunk", config.compute.remat_chunk,
          f"must divide encoding.num_steps={config.encoding.num_steps} (0 = off)")
  _at_least(config, "train.device_data_max_mb", 0)
  _at_least(config, "train.steps_per_dispatch", 0)


def _check_schedules(config) -> None:
  """Warm-up and ramp fit their phase; the cosine ends between 0 and the peak rate."""
  t = config.train
  phase_epochs = {"phase1": t.phase1_epochs, "phase2": t.epochs - t.phase1_epochs}
  for phase, epochs in phase_epochs.items():
    _in_range(config, f"{phase}.warmup_epochs", 0, epochs)
    _in_range(config, f"{phase}.lr_end_fraction", 0, 1)
  _in_range(config, "phase2.ramp_epochs", 0, phase_epochs["phase2"])


def _check_model(config) -> None:
  m = config.model
  _choice(config, "model.name", MODELS)
  _choice(config, "model.readout", models.READOUTS)
  if m.name == "mlp" and not m.hidden:
    _fail("model.hidden", tuple(m.hidden), "an mlp needs at least one hidden layer")
  if m.name == "conv" and not (m.channels or m.hidden):
    _fail("model.channels", tuple(m.channels), "a conv net needs a conv or hidden layer")
  for key in ("hidden", "channels", "strides"):
    if not all(n >= 1 for n in m[key]):
      _fail(f"model.{key}", tuple(m[key]), "every entry must be >= 1")
  if m.name == "conv":
    if len(m.channels) != len(m.strides):
      _fail("model.strides", tuple(m.strides),
            f"needs one stride per conv layer (model.channels has {len(m.channels)})")
    _at_least(config, "model.kernel_size", 1)
  _in_range(config, "model.init_spikes", 0, config.encoding.num_steps)


def check_data_sizes(config, num_train: int, num_test: int) -> None:
  """Raises unless the configured sizes fit a dataset of ``num_train`` / ``num_test`` examples."""
  name = config.data.name
  for key, available in (("data.train_size", num_train), ("data.test_size", num_test)):
    if _get(config, key) > available:
      _fail(key, _get(config, key), f"{name} has only {available} examples (0 = all)")
  used = config.data.train_size or num_train
  if config.train.batch_size > used:
    _fail("train.batch_size", config.train.batch_size,
          f"must be <= the {used} training examples used")


def check_sweep(sweep) -> None:
  """Raises for sweep axes no member could train with: negative penalty weights, non-integer
  values on the other axes (phase lengths, seeds), a value twice on one axis, a negative
  chunk."""
  for key in (k for k in sweep if k != "chunk"):
    repeated = [v for i, v in enumerate(sweep[key]) if v in tuple(sweep[key])[:i]]
    if repeated:
      _fail(f"sweep.{key}", repeated[0], "is given twice; each member is one point of the grid")
  for key in (k for k in sweep if k != "chunk" and k not in losses.LAMBDA_NAMES):
    for value in sweep[key]:
      if not _is_whole(value):
        _fail(f"sweep.{key}", value, "needs whole numbers")
  for key in losses.LAMBDA_NAMES:
    for value in sweep[key]:
      if not isinstance(value, numbers.Real) or not value >= 0:
        _fail(f"sweep.{key}", value, "needs numbers >= 0")
  if not _is_whole(sweep.chunk) or sweep.chunk < 0:
    _fail("sweep.chunk", sweep.chunk, "must be a whole number >= 0 (0 = all members at once)")


def _is_whole(value) -> bool:
  return (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and float(value).is_integer())

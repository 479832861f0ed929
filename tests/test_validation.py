"""Config checks: every bad value is refused before anything is built, in one line naming it."""
import importlib
import re

import jax
import pytest

from configs import digits
from snn_jax import train
from snn_jax import validation
from snn_jax.study import sweep

CONFIGS = ("digits", "mnist_fc", "mnist_fc_baseline", "fmnist_fc", "mnist_fc_sparse",
           "fmnist_fc_sparse", "mnist_fc_sparse_latency", "mnist_fc_sparse_latency_wide",
           "mnist_fc_sparse_latency_shift", "fmnist_fc_sparse_latency_wide",
           "fmnist_fc_sparse_latency_shift", "mnist_fc_sparse_wide", "fmnist_fc_sparse_wide",
           "mnist_conv", "fmnist_conv", "mnist_conv_baseline")

BAD_VALUES = [  # (key, value, words the message must hold besides key and value)
    ("data.name", "cifar", "digits"),
    ("data.source", "http", "idx"),
    ("encoding.name", "morse", "latency"),
    ("encoding.num_steps", 0, ">= 1"),
    ("neuron.beta", 1.5, "[0, 1]"),
    ("neuron.beta", -0.1, "[0, 1]"),
    ("neuron.threshold", 0.0, "> 0"),
    ("neuron.threshold", -1.0, "> 0"),
    ("neuron.reset", "halfway", "subtract"),
    ("neuron.surrogate", "sigmoid", "fast_sigmoid"),
    ("model.name", "resnet", "mlp"),
    ("model.readout", "vote", "mean_current"),
    ("model.hidden", (128, 0), ">= 1"),
    ("model.hidden", (), "hidden layer"),
    ("model.init_spikes", -1.0, "[0, 20]"),
    ("model.init_spikes", 21.0, "[0, 20]"),
    ("phase1.lambda_excess", -1.0, ">= 0"),
    ("phase2.lambda_excess", -1.0, ">= 0"),
    ("phase2.lambda_all", -0.5, ">= 0"),
    ("phase1.lambda_silence", -2.0, ">= 0"),
    ("phase1.learning_rate", 0.0, "> 0"),
    ("phase2.learning_rate", -1e-3, "> 0"),
    ("train.epochs", 0, ">= 1"),
    ("train.batch_size", 0, ">= 1"),
    ("train.eval_batch_size", 0, ">= 1"),
    ("train.log_every_steps", 0, ">= 1"),
    ("train.phase1_epochs", 21, "[0, 20]"),
    ("train.phase1_epochs", -1, "[0, 20]"),
    ("train.divergence_factor", 0.5, "> 1"),
    ("data.train_size", -1, ">= 0"),
    ("data.random_shift", -1, ">= 0"),
    ("optim.weight_decay", -0.1, ">= 0"),
    ("compute.remat_chunk", -1, ">= 0"),
    ("compute.lif_backward", "fast", "matmul"),
    ("compute.lif_loops", "triton", "pallas"),
    ("compute.remat_chunk", 7, "must divide encoding.num_steps"),
]


def _set(config, dotted, value):
  *parents, leaf = dotted.split(".")
  node = config
  for p in parents:
    node = node[p]
  node[leaf] = value


@pytest.mark.parametrize("key, value, allowed", BAD_VALUES)
def test_bad_value_is_one_line_naming_key_value_and_range(key, value, allowed):
  c = digits.get_config()
  _set(c, key, value)
  with pytest.raises(validation.ConfigError, match=f"^{re.escape(key)}") as err:
    validation.check_config(c)
  message = str(err.value)
  assert "\n" not in message
  assert repr(value)[:4] in message and allowed in message


@pytest.mark.skipif(jax.default_backend() == "gpu" and jax.device_count() == 1,
                    reason="one GPU runs the Pallas kernels")
def test_pallas_loops_are_refused_off_a_single_gpu():
  c = digits.get_config()
  c.compute.lif_loops = "pallas"
  with pytest.raises(validation.ConfigError, match="^compute.lif_loops='pallas': runs Triton "
                     "kernels on one GPU; this run has 1 cpu device"):
    validation.check_config(c)


def test_experiment_refuses_before_loading_data():
  c = digits.get_config()
  c.data.name, c.neuron.beta = "mnist", 2.0
  c.data.data_dir = "/nowhere"  # a data error would come first if the config were not checked
  with pytest.raises(validation.ConfigError, match="neuron.beta"):
    train.Experiment(c)


def test_conv_strides_must_match_channels():
  c = importlib.import_module("configs.mnist_conv").get_config()
  c.model.strides = (1, 2)
  with pytest.raises(validation.ConfigError, match="model.strides"):
    validation.check_config(c)


@pytest.mark.parametrize("name", CONFIGS)
def test_shipped_configs_pass(name):
  validation.check_config(importlib.import_module(f"configs.{name}").get_config())


@pytest.mark.parametrize("key, value, match", [
    ("data.train_size", 5000, "data.train_size=5000: digits has only 1438"),
    ("data.test_size", 400, "data.test_size=400: digits has only 359"),
    ("train.batch_size", 2000, "train.batch_size=2000: must be <= the 1438"),
])
def test_sizes_are_checked_against_the_loaded_data(key, value, match):
  c = digits.get_config()
  _set(c, key, value)
  with pytest.raises(validation.ConfigError, match=match):
    train.Experiment(c)


def test_batch_size_against_the_truncated_training_set():
  c = digits.get_config()
  c.data.train_size, c.train.batch_size = 100, 128
  with pytest.raises(validation.ConfigError, match="the 100 training examples used"):
    train.Experiment(c)


@pytest.mark.parametrize("axis, values, match", [
    ("phase1_epochs", (1, 0.7), "sweep.phase1_epochs=0.7: needs whole numbers"),
    ("seeds", (0, 1.5), "sweep.seeds=1.5"),
    ("lambda_excess", (0.1, -0.1), "sweep.lambda_excess=-0.1: needs numbers >= 0"),
    ("lambda_all", (-1.0,), "sweep.lambda_all"),
    ("lambda_silence", (-1.0,), "sweep.lambda_silence"),
    ("chunk", -1, "sweep.chunk=-1"),
])
def test_bad_sweep_axes(axis, values, match):
  g = sweep.default_sweep()
  g[axis] = values
  with pytest.raises(validation.ConfigError, match=match):
    sweep.member_configs(digits.get_config(), g)


def test_whole_float_phase_lengths_are_accepted():
  g = sweep.default_sweep()
  g.phase1_epochs = (0, 2.0)
  members = sweep.member_configs(digits.get_config(), g)
  assert [m.train.phase1_epochs for m in members] == [0, 2]

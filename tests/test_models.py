"""Model shapes, parameter counts, readouts, fan-outs and the factory."""
import itertools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import base
from snn_jax import calibration, models

KEY = jax.random.PRNGKey(0)


def _create(**model_overrides):
  c = base.base_config()
  c.model.update(model_overrides)
  return models.create(c.model, c.neuron, 10, c.compute)


def _init(model, x):
  return jax.jit(model.init)(KEY, x)["params"]


def _num_params(params):
  return sum(x.size for x in jax.tree.leaves(params))


def test_mlp_shapes_and_param_count():
  model = _create(hidden=(16, 12))
  x = jnp.ones((5, 3, 4, 6))  # T=5, B=3, 4x6 images
  params = _init(model, x)
  logits, counts = model.apply({"params": params}, x)
  assert logits.shape == (3, 10)
  assert [c.shape for c in counts] == [(3, 16), (3, 12)]
  expected = (24 * 16 + 16) + (16 * 12 + 12) + (12 * 10 + 10)
  assert _num_params(params) == expected


def test_learnable_beta_and_threshold_add_one_scalar_per_lif_layer():
  c = base.base_config()
  c.model.hidden = (8, 8)
  c.model.readout = "spike_count"  # the readout is a LIF layer too
  c.neuron.learn_beta = c.neuron.learn_threshold = True
  model = models.create(c.model, c.neuron, 10, c.compute)
  params = _init(model, jnp.ones((4, 2, 5)))
  expected = (5 * 8 + 8) + (8 * 8 + 8) + (8 * 10 + 10) + 3 * 2
  assert _num_params(params) == expected


def test_counts_are_spike_totals_in_range():
  model = _create(hidden=(32,))
  x = (jax.random.uniform(KEY, (7, 4, 10)) < 0.5).astype(jnp.float32)
  params = _init(model, x)
  _, (n,) = model.apply({"params": params}, x)
  n = np.asarray(n)
  assert np.all((n >= 0) & (n <= 7)) and np.all(n == np.round(n))


@pytest.mark.parametrize("readout", models.READOUTS)
def test_readouts_finite_with_gradient_to_first_layer(readout):
  model = _create(hidden=(16,), readout=readout)
  x = jax.random.uniform(KEY, (6, 4, 12)) * 2.0  # direct-style currents, plenty of spikes
  params = _init(model, x)
  labels = jnp.array([0, 1, 2, 3])

  def loss(p):
    logits, _ = model.apply({"params": p}, x)
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(4), labels]), logits

  (_, logits), grads = jax.jit(jax.value_and_grad(loss, has_aux=True))(params)
  assert logits.shape == (4, 10) and np.all(np.isfinite(logits))
  first_kernel = np.asarray(grads["Dense_0"]["kernel"])
  assert np.all(np.isfinite(first_kernel)) and np.abs(first_kernel).max() > 0


def test_conv_shapes_and_fanout_lengths():
  model = _create(name="conv", channels=(4, 6), strides=(1, 2), hidden=(20,))
  x = jnp.ones((3, 2, 9, 7))
  params = _init(model, x)
  logits, counts = model.apply({"params": params}, x)
  assert logits.shape == (2, 10)
  assert [c.shape for c in counts] == [(2, 9 * 7 * 4), (2, 5 * 4 * 6), (2, 20)]
  fanouts = model.synapse_fanouts((9, 7))
  assert [f.size for f in fanouts] == [9 * 7] + [c.shape[1] for c in counts]


def test_mlp_fanouts_are_next_layer_widths():
  model = _create(hidden=(16, 12))
  fanouts = model.synapse_fanouts((4, 6))
  assert [f.size for f in fanouts] == [24, 16, 12]
  for f, width in zip(fanouts, [16, 12, 10]):
    np.testing.assert_array_equal(f, width)


def _brute_force_uses(h, w, k, stride):
  """Per input pixel: how many (output position, kernel tap) pairs of a SAME conv read it."""
  out_h, out_w = -(-h // stride), -(-w // stride)
  pad_h = max((out_h - 1) * stride + k - h, 0) // 2  # XLA SAME: the smaller half before
  pad_w = max((out_w - 1) * stride + k - w, 0) // 2
  uses = np.zeros((h, w))
  for oy, ox, ky, kx in itertools.product(range(out_h), range(out_w), range(k), range(k)):
    y, x = oy * stride - pad_h + ky, ox * stride - pad_w + kx
    if 0 <= y < h and 0 <= x < w:
      uses[y, x] += 1
  return uses


@pytest.mark.parametrize("h, w, k, stride", [(8, 8, 3, 1), (7, 9, 3, 2), (6, 5, 4, 2),
                                             (10, 10, 5, 3)])
def test_conv_input_fanouts_match_brute_force(h, w, k, stride):
  features_out = 5
  model = _create(name="conv", channels=(features_out,), strides=(stride,), hidden=(),
                  kernel_size=k)
  fanout = model.synapse_fanouts((h, w))[0]
  expected = _brute_force_uses(h, w, k, stride) * features_out
  np.testing.assert_array_equal(fanout, expected.ravel())


def test_brute_force_matches_the_flax_conv():
  """The helper's padding convention is the one the model's nn.Conv really applies."""
  for h, w, k, stride in [(7, 9, 3, 2), (6, 5, 4, 2)]:
    conv = nn.Conv(1, (k, k), strides=stride, padding="SAME")
    params = {"kernel": jnp.ones((k, k, 1, 1)), "bias": jnp.zeros(1)}
    reads = jax.grad(lambda img: conv.apply({"params": params}, img).sum())(jnp.zeros((1, h, w, 1)))
    np.testing.assert_array_equal(reads[0, ..., 0], _brute_force_uses(h, w, k, stride))


def test_conv_fanouts_multichannel_input():
  model = _create(name="conv", channels=(3,), strides=(1,), hidden=(), kernel_size=3)
  fanout = model.synapse_fanouts((5, 5, 2))[0]
  expected = np.repeat(_brute_force_uses(5, 5, 3, 1)[..., None] * 3, 2, axis=-1)
  np.testing.assert_array_equal(fanout, expected.ravel())


def test_create_rejects_bad_names():
  with pytest.raises(ValueError, match="transformer"):
    _create(name="transformer")
  with pytest.raises(ValueError, match="softmax"):
    _create(readout="softmax")
  c = base.base_config()
  c.neuron.reset = "none"
  with pytest.raises(ValueError, match="none"):
    models.create(c.model, c.neuron, 10, c.compute)
  c = base.base_config()
  c.neuron.surrogate = "relu"
  with pytest.raises(ValueError, match="relu"):
    models.create(c.model, c.neuron, 10, c.compute)


def test_conv_mismatched_strides_raise():
  model = _create(name="conv", channels=(4, 4), strides=(1,), hidden=())
  with pytest.raises(ValueError, match="strides"):
    model.init(KEY, jnp.ones((2, 1, 6, 6)))


def _loss_and_grads(model, params, x):
  def loss(p):
    logits, counts = model.apply({"params": p}, x)
    return logits.sum() + sum(n.sum() for n in counts)
  return jax.jit(jax.value_and_grad(loss))(params)


@pytest.mark.parametrize("overrides", [
    dict(name="mlp", hidden=(16, 12)),
    pytest.param(dict(name="conv", channels=(3, 4), strides=(2, 1), hidden=(8,),
                      readout="spike_count"), marks=pytest.mark.slow),
])
def test_remat_spans_and_unroll_keep_parameters_and_values(overrides):
  """Remat spans of 2 steps (a scan over 3 spans) and of all 6 (one span), a scan unroll, the
  matmul LIF backward pass (alone and in spans) and the Pallas LIF loops give the same
  parameter tree, loss and gradients, learnable neuron parameters included."""
  def config(**compute):
    c = base.base_config()
    c.model.update(overrides)
    c.neuron.learn_beta = c.neuron.learn_threshold = True
    c.compute.update(compute)
    return c
  c = config()
  x = (jax.random.uniform(KEY, (6, 2, 6, 6)) < 0.4).astype(jnp.float32)
  plain = models.create(c.model, c.neuron, 10, c.compute)
  params = _init(plain, x)
  loss, grads = _loss_and_grads(plain, params, x)
  assert sum(float(n.sum()) for n in plain.apply({"params": params}, x)[1]) > 0  # it fires
  for compute in (dict(remat_chunk=2), dict(remat_chunk=6), dict(unroll=3),
                  dict(lif_backward="matmul"), dict(lif_backward="matmul", remat_chunk=2),
                  dict(lif_loops="pallas")):
    c2 = config(**compute)
    variant = models.create(c2.model, c2.neuron, 10, c2.compute)
    variant_params = _init(variant, x)
    assert jax.tree.structure(variant_params) == jax.tree.structure(params)  # same names
    for a, b in zip(jax.tree.leaves(variant_params), jax.tree.leaves(params)):
      np.testing.assert_array_equal(a, b)  # and the same initial values
    loss2, grads2 = _loss_and_grads(variant, params, x)
    np.testing.assert_allclose(loss2, loss, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(grads2), jax.tree.leaves(grads)):
      np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("remat_chunk", [0, pytest.param(2, marks=pytest.mark.slow)])
def test_bool_spikes_give_what_their_float32_values_give(remat_chunk):
  """The spike encoders' bool trains (cast by the first synapse) give the logits, counts and
  gradients of the same spikes as float32, bit for bit, also in remat spans."""
  c = base.base_config()
  c.model.hidden, c.compute.remat_chunk = (16, 12), remat_chunk
  model = models.create(c.model, c.neuron, 10, c.compute)
  spikes = jax.random.uniform(KEY, (6, 3, 20)) < 0.4
  params = _init(model, spikes)
  for a, b in zip(jax.tree.leaves(model.apply({"params": params}, spikes)),
                  jax.tree.leaves(model.apply({"params": params}, spikes.astype(jnp.float32)))):
    np.testing.assert_array_equal(a, b)
  for a, b in zip(jax.tree.leaves(_loss_and_grads(model, params, spikes)),
                  jax.tree.leaves(_loss_and_grads(model, params, spikes.astype(jnp.float32)))):
    np.testing.assert_array_equal(a, b)


def test_remat_chunk_must_divide_the_time_steps():
  c = base.base_config()
  c.compute.remat_chunk = 4
  model = models.create(c.model, c.neuron, 10, c.compute)
  with pytest.raises(ValueError, match="remat_chunk=4 must divide the 6 time steps"):
    model.init(KEY, jnp.zeros((6, 2, 5)))


def test_bfloat16_compute_keeps_float32_parameters_logits_and_counts():
  c = base.base_config()
  c.model.hidden = (32,)
  c.compute.dtype = "bfloat16"
  model = models.create(c.model, c.neuron, 10, c.compute)
  x = (jax.random.uniform(KEY, (30, 4, 20)) < 0.5).astype(jnp.float32)
  params = _init(model, x)
  assert {p.dtype for p in jax.tree.leaves(params)} == {jnp.dtype(jnp.float32)}
  logits, (n,) = model.apply({"params": params}, x)
  assert logits.dtype == jnp.float32 and n.dtype == jnp.float32
  assert np.all(np.asarray(n) == np.round(np.asarray(n))) and float(n.max()) <= 30
  jaxpr = str(jax.make_jaxpr(lambda p: model.apply({"params": p}, x))(params))
  assert "bf16[30,4,32]" in jaxpr  # the hidden layer's matmul and spikes run in bfloat16


def test_scan_unroll_auto_and_errors():
  assert models.scan_unroll(0, "gpu") == models.AUTO_UNROLL["gpu"]
  assert models.scan_unroll(0, "cpu") == models.AUTO_UNROLL["cpu"]
  assert models.scan_unroll(0, "some_new_backend") == 1
  assert models.scan_unroll(7, "gpu") == 7
  with pytest.raises(ValueError, match="compute.unroll=-1"):
    models.scan_unroll(-1)
  with pytest.raises(ValueError, match="compute.dtype='float16'"):
    models.compute_dtype("float16")


def test_halving_the_threshold_fires_as_doubling_the_hidden_gains():
  """docs/METHOD.md section 4: threshold theta = threshold 1 with hidden kernels and biases
  divided by theta (theta = 0.5 makes every value exact, so the nets agree bit for bit)."""
  x = (jax.random.uniform(KEY, (8, 4, 30)) < 0.3).astype(jnp.float32)
  c = base.base_config()
  c.model.hidden = (16, 16, 16)
  one = models.create(c.model, c.neuron, 10, c.compute)
  c.neuron.threshold = 0.5
  half = models.create(c.model, c.neuron, 10, c.compute)
  params = _init(half, x)
  hidden = calibration.hidden_synapse_names(params)
  doubled = {name: jax.tree.map(lambda w: 2 * w, p) if name in hidden else p
             for name, p in params.items()}
  logits_half, counts_half = half.apply({"params": params}, x)
  logits_one, counts_one = one.apply({"params": doubled}, x)
  assert float(counts_one[0].mean()) > 0.5  # the layers fire: the comparison means something
  for a, b in zip(counts_half, counts_one):
    np.testing.assert_array_equal(a, b)
  np.testing.assert_array_equal(logits_half, logits_one)

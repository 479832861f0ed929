"""The Pallas LIF kernels lower to Triton for a GPU; their values are tested with the neurons
(tests/test_neurons.py, in Pallas' interpreter off a GPU)."""
import re

import jax
import jax.numpy as jnp
import pytest

from snn_jax import lif_kernels


@pytest.mark.parametrize("members", [0, 3])
def test_kernels_lower_to_triton_calls(monkeypatch, members):
  """Each loop becomes one Triton kernel with a program per block of neurons (and per member
  under vmap): the kernels hold only what Triton lowers, and nothing runs. Lowering for a
  GPU needs none here."""
  # the compiled path, not the interpreter
  monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
  currents = jnp.zeros((members or 1, 25, 128, 300))  # 38,400 neurons -> 300 blocks of 128

  def both_loops(currents):
    v = lif_kernels.membranes(currents, jnp.float32(0.9), jnp.float32(1.0), currents[0])
    return lif_kernels.discounted_future_sums(v, jnp.float32(0.9))

  fn = jax.vmap(both_loops) if members else lambda c: both_loops(c[0])
  text = jax.jit(fn).trace(currents).lower(lowering_platforms=("cuda",)).as_text()
  grids = re.findall(r"custom_call @\S*triton.*?grid_x = (\d+) : i32, grid_y = (\d+)", text)
  assert grids == [("300", str(members or 1))] * 2

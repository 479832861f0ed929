"""Surrogate-gradient spike functions.

Each factory returns a Heaviside step ``H(x)`` (``x = v - theta``) built on one
``jax.custom_vjp`` core: the forward pass is exactly 0/1 (``H(0) = 1``, a neuron
that reaches threshold fires) and the backward pass replaces ``dH/dx`` by a smooth
pseudo-derivative. Hyperparameters live in the closure, so they are static
under ``jit``.

Example:
  >>> spike = fast_sigmoid(k=10.0)
  >>> jax.grad(lambda x: spike(x).sum())(jnp.zeros(3))  # = 1 at x = 0
"""
from typing import Callable

import jax
import jax.numpy as jnp

SpikeFn = Callable[[jax.Array], jax.Array]


def heaviside(x: jax.Array) -> jax.Array:
  """``H(x)``: 1 where ``x >= 0``, else 0, in ``x``'s dtype; the forward pass of every spike
  function here."""
  return (x >= 0).astype(x.dtype)


def heaviside_with_surrogate(pseudo_derivative: Callable[[jax.Array], jax.Array]) -> SpikeFn:
  """Heaviside forward, ``g * pseudo_derivative(x)`` backward."""

  @jax.custom_vjp
  def spike(x):
    return heaviside(x)

  def forward(x):
    return spike(x), x

  def backward(x, g):
    return (g * pseudo_derivative(x),)

  spike.defvjp(forward, backward)
  return spike


def fast_sigmoid(k: float = 10.0) -> SpikeFn:
  """SuperSpike (Zenke & Ganguli 2018): ``dH/dx ~= 1 / (1 + k|x|)^2``."""
  return heaviside_with_surrogate(lambda x: 1.0 / (1.0 + k * jnp.abs(x)) ** 2)


def arctan(a: float = 2.0) -> SpikeFn:
  """Arctan (Fang et al. 2021): ``dH/dx ~= (a/2) / (1 + (pi a x / 2)^2)``."""
  return heaviside_with_surrogate(lambda x: (a / 2) / (1.0 + (jnp.pi * a * x / 2) ** 2))


def triangle(w: float = 1.0) -> SpikeFn:
  """Triangle (Esser et al. 2016): ``dH/dx ~= max(0, 1 - |x|/w) / w``."""
  return heaviside_with_surrogate(lambda x: jnp.maximum(0.0, 1.0 - jnp.abs(x) / w) / w)


def boxcar(w: float = 1.0) -> SpikeFn:
  """Straight-through boxcar: ``dH/dx ~= 1{|x| < w/2} / w``."""
  return heaviside_with_surrogate(lambda x: (jnp.abs(x) < w / 2).astype(x.dtype) / w)


SURROGATES = {
    "fast_sigmoid": fast_sigmoid,
    "arctan": arctan,
    "triangle": triangle,
    "boxcar": boxcar,
}


def get(name: str, scale: float) -> SpikeFn:
  """The surrogate called ``name`` with its one hyperparameter set to ``scale``."""
  if name not in SURROGATES:
    raise ValueError(f"unknown surrogate {name!r}; choose one of {sorted(SURROGATES)}")
  return SURROGATES[name](scale)

"""A 2-D convolution whose weight gradient XLA:CPU runs fast inside loops.

Inside a ``while`` loop (several training steps per dispatch, remat spans run as a scan)
XLA:CPU gives the weight gradient of ``lax.conv_general_dilated`` a layout its fast kernels
do not take, and runs it 15-30x slower than outside (jax-ml/jax#12868). :func:`conv`
computes the same gradient as a convolution in the layout those kernels take (NHWC input,
HWIO kernel) by swapping roles: with stride ``s`` and the input padded as the forward pass
pads it,

    dW[i, j, c, f] = sum_{n, p, q} x_pad[n, s p + i, s q + j, c] g[n, p, q, f]

is the convolution of ``x`` seen as ``[C, H, W, N]`` (batch ``c``, features ``n``) with the
output gradient ``g`` seen as an ``[Ho, Wo, N, F]`` kernel dilated by ``s``. The forward
pass and the input gradient are JAX's own.
"""
import functools

import jax
from jax import lax

NHWC = ("NHWC", "HWIO", "NHWC")


def conv(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
         dimension_numbers=None, feature_group_count=1, precision=None):
  """``lax.conv_general_dilated`` (flax's ``nn.Conv(conv_general_dilated=...)``). Undilated,
  ungrouped 2-D convolutions of NHWC inputs with HWIO kernels take the gradient above;
  others are passed on unchanged."""
  undilated = all(d == 1 for d in (lhs_dilation or ()) + (rhs_dilation or ()))
  if (lhs.ndim == 4 and undilated and feature_group_count == 1
      and lax.conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
      == lax.conv_dimension_numbers(lhs.shape, rhs.shape, NHWC)):
    if isinstance(padding, str):
      padding = lax.padtype_to_pads(lhs.shape[1:3], rhs.shape[:2], window_strides, padding)
    return _conv(tuple(window_strides), tuple(map(tuple, padding)), precision, lhs, rhs)
  return lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation,
                                  rhs_dilation, dimension_numbers, feature_group_count,
                                  precision=precision)


def _forward(strides, padding, precision, x, w):
  return lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=NHWC,
                                  precision=precision)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _conv(strides, padding, precision, x, w):
  return _forward(strides, padding, precision, x, w)


def _conv_fwd(strides, padding, precision, x, w):
  return _forward(strides, padding, precision, x, w), (x, w)


def _conv_bwd(strides, padding, precision, residuals, g):
  x, w = residuals
  _, input_vjp = jax.vjp(lambda x: _forward(strides, padding, precision, x, w), x)
  d_x, = input_vjp(g)
  d_w = lax.conv_general_dilated(x.transpose(3, 1, 2, 0), g.transpose(1, 2, 0, 3), (1, 1),
                                 padding, rhs_dilation=strides, dimension_numbers=NHWC,
                                 precision=precision)  # [C, >= kh, >= kw, F]
  kh, kw = w.shape[:2]
  return d_x, d_w[:, :kh, :kw].transpose(1, 2, 0, 3).astype(w.dtype)


_conv.defvjp(_conv_fwd, _conv_bwd)

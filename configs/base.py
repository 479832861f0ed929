"""Defaults shared by every config: the library's :func:`snn_jax.defaults.default_config`.

Not a config to run on its own: see digits.py, mnist_fc.py, fmnist_fc.py,
mnist_conv.py and fmnist_conv.py.
"""
from snn_jax.defaults import default_config as base_config  # pylint: disable=unused-import

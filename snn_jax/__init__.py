"""snn-jax: deep spiking networks in JAX/Flax trained to fire few spikes.

Modules: surrogate, neurons, encoding, models, losses, metrics, data, train, checkpoint,
workdir, reporting, sweep, suite, tables. ``load_run(workdir) -> (config, params)`` loads a
trained run.
"""
__version__ = "0.1.0"

from snn_jax.checkpoint import load_run  # pylint: disable=wrong-import-position

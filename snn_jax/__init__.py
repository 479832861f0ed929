"""snn-jax: deep spiking networks in JAX/Flax trained to fire few spikes.

    import snn_jax
    config = snn_jax.default_config()   # every key, see docs/METHOD.md
    config.data.name = "digits"         # embedded data, no download
    state, summary = snn_jax.train_and_evaluate(config, "runs/digits")
    config, params = snn_jax.load_run("runs/digits")   # a trained run, later

Modules: surrogate, neurons, encoding, models, losses, metrics, data, defaults, validation,
health, parallel, pipeline, train, checkpoint, workdir, members, reporting, events, export
(NIR); the paper study on top of them in snn_jax.study: sweep, suite, tables, fronts.
"""
__version__ = "0.1.0"

from snn_jax.checkpoint import load_run  # pylint: disable=wrong-import-position
from snn_jax.defaults import default_config  # pylint: disable=wrong-import-position
from snn_jax.train import train_and_evaluate  # pylint: disable=wrong-import-position

__all__ = ["default_config", "load_run", "train_and_evaluate"]

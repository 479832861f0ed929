"""snn-jax: deep spiking networks in JAX/Flax trained to fire few spikes.

Modules: surrogate, neurons, encoding, models, losses, metrics, data, train, reporting.
"""
__version__ = "0.1.0"

"""seminar_utils: the helper package of the latent-variable generative models seminars.

The notebooks import the few names they use from here; the modules hold the rest:
``runtime`` (device, seeding, fast mode), ``gmm`` (EM for Gaussian mixtures), ``losses``
(log-likelihoods, KL, ELBO, IWAE), ``data``, ``models``, ``training``, ``plotting``, ``widgets``.
"""
from .runtime import available_devices, by_mode, get_device, is_fast_mode, seed_everything

__all__ = ["available_devices", "by_mode", "get_device", "is_fast_mode", "seed_everything"]
__version__ = "0.1.0"

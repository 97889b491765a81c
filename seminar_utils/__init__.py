"""seminar_utils: the helper package of the latent-variable generative models seminars.

A generic core, then one place per seminar. The notebooks import the few names they use from these
modules (every one of them is listed here):

Core
    ``runtime``            the one device resolver (``get_device``), seeding, fast mode (``by_mode``),
                           storage folders
    ``_checks``            the one set of argument checks (``as_tensor``, ``check_int``, …)
    ``formulas``           log 2π and the full-covariance Gaussian log-density (``log_gaussian_pdf``)
    ``losses``             formulas only: log-likelihoods, KL terms, reparameterization, ELBO, IWAE,
                           bits per dimension — per example, in nats
    ``training``           ``fit`` for any model with ``loss_terms(x) -> dict`` and its ``History``
    ``checkpoints``        ``fit_cached``: a checkpoint cache keyed by everything that decides a run
    ``evaluation``         −ELBO, IWAE NLL and bits/dim over a data set, with standard errors
    ``recipes``            every notebook's sizes and settings (full and fast mode)
    ``figures_training``   training curves of any ``fit`` run
    ``display``            ``sharp_figures``: every figure a notebook shows as a PNG at 2× its size
    ``widgets``            the EM-iteration slider (01) and the latent explorer (04)
    ``exercises``          the exercises' checks, one ``run`` half (the student's code, plain data out)
                           and one ``judge`` half (the reference) each: ``core`` (``Verdict``,
                           ``Check``, ``close``, ``plain``), ``definitions`` (the namespace a check
                           runs on), one module per notebook — ``s01``, ``s02`` and ``s02_elbo``,
                           ``s03`` with ``s03_parts``, ``s03_train``, ``s03_information``,
                           ``s03_linear``, ``s03_bounds`` and ``s03_units``, ``s04``, ``s05`` and
                           ``s05_gaps``, ``s06``

Seminar 01, EM for Gaussian mixtures
    ``gmm``                subpackage: ``formulas``, ``checks``, ``steps``, ``estimator`` (the
                           scikit-learn-shaped ``GaussianMixtureEM``), ``fast``, and ``figures``
                           (responsibilities, covariance ellipses, EM iterations, model selection)

Seminar 02, the VAE questions
    ``linear_gaussian``    a linear-Gaussian model with exact log p(x) and p(z | x): the reference
                           the ELBO and IWAE code is checked against

Seminar 03, a VAE on 2D data
    ``toy2d``              seeded 2-D data sets with their true densities (``load_2d``)
    ``vae``                MLP encoder and decoder, the ``VAE`` module, ``mlp_vae`` (also used by 04)
    ``figures_2d``         scatter plots, point sets side by side, densities on a grid

Seminar 04, a VAE on images
    ``mnist``              offline MNIST (5,000 real digits), full MNIST on request, shifted copies
    ``conv``               convolutional encoder and decoder, ``conv_vae``
    ``figures_images``     image grids, reconstructions, interpolations, the 2-D latent space

Seminar 06, closing the gaps
    ``flows``              planar flow layers with their log-determinants
    ``posteriors``         posterior families by parameter vector: diagonal, full-covariance, planar flow
    ``priors``             the standard normal and a learned mixture prior (log p(z) by log-sum-exp)
    ``variants``           ``VariantVAE``: any family and prior, trained on the ELBO or the IWAE bound
    ``gaps``               per-digit q (amortization and approximation gaps), active units, q_agg
    ``recipe_gaps``        seminar 06's sizes (re-exported by ``recipes``)
"""

from .runtime import available_devices, by_mode, get_device, is_fast_mode, seed_everything

__all__ = ["available_devices", "by_mode", "get_device", "is_fast_mode", "seed_everything"]
__version__ = "0.3.0"  # the one version number: pyproject.toml reads it

"""EM for Gaussian mixtures with full covariances (seminar 01), one file per concern:

* ``formulas``  — the E-step, the M-step and k-means++ as the seminar writes them (read these; the
  Gaussian log-density they use is the core :mod:`seminar_utils.formulas`);
* ``checks``    — the input checks every public function runs;
* ``steps``     — the checked public functions ``e_step``, ``m_step``, ``component_log_pdf``,
  ``log_likelihood``, ``kmeans_plus_plus``: the reference the notebook checks its code against;
* ``estimator`` — :class:`GaussianMixtureEM`, shaped like scikit-learn's ``GaussianMixture``;
* ``fast``      — the estimator's fast, exact iteration (see its docstring for why it exists);
* ``figures``   — the seminar's figures: responsibilities, covariance ellipses, EM iterations, model
  selection (``from seminar_utils.gmm.figures import GMMPlot``; not imported here: it needs matplotlib).

Inputs may be NumPy arrays or torch tensors; results are float64 (on the CPU for Apple MPS, which
has no float64).
"""

from .estimator import GaussianMixtureEM
from .steps import component_log_pdf, e_step, kmeans_plus_plus, log_likelihood, m_step

__all__ = ["GaussianMixtureEM", "component_log_pdf", "e_step", "kmeans_plus_plus", "log_likelihood", "m_step"]

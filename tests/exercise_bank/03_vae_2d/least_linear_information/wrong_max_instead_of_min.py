# wrong: the largest information on a grid along the family instead of the least (it has no maximum:
# ψ → 0 on one coordinate stores ever more)
import math

import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    return 0.5 * (torch.logdet(cov) - torch.logdet(psi))


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    a, c, s = cov[0, 0].item(), cov[1, 1].item(), cov[0, 1].item()
    lo = max(s * s / c, 1e-9 * a)
    best = -math.inf
    for k in range(1, 1000):
        u = lo + (a - lo) * k / 1000
        psi = torch.diag(torch.tensor([a - u, c - s * s / u], dtype=cov.dtype))
        best = max(best, float(linear_information(cov, psi)))
    return best

# right: ½ ln(det Σ / det Ψ) with logdet; the least over the family in closed form, artanh |ρ|
import math

import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    return 0.5 * (torch.logdet(cov) - torch.logdet(psi))


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    rho = cov[0, 1] / torch.sqrt(cov[0, 0] * cov[1, 1])
    return math.atanh(abs(rho.item()))

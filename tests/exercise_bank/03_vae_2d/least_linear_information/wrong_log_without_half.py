# wrong: ln(det Σ / det Ψ), the ½ forgotten (twice the information, everywhere)
import math

import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    return torch.logdet(cov) - torch.logdet(psi)


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    rho = abs(cov[0, 1].item()) / math.sqrt(cov[0, 0].item() * cov[1, 1].item())
    return math.log((1 + rho) / (1 - rho))

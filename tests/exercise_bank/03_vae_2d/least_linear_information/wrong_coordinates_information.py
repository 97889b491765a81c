# wrong: the information between the two coordinates, −½ ln(1 − ρ²), not what z stores about x
import math

import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    return 0.5 * (torch.logdet(cov) - torch.logdet(psi))


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    rho = cov[0, 1].item() / math.sqrt(cov[0, 0].item() * cov[1, 1].item())
    return -0.5 * math.log(1 - rho**2)

# wrong: Ψ = I taken for granted (true for (a), not for other covariances): ½ ln det Σ
import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    return 0.5 * (torch.logdet(cov) - torch.logdet(psi))


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    return 0.5 * torch.logdet(cov)

# right: the Ψ of the least information written out, ψ₁ = Σ₁₁ − |Σ₁₂|√(Σ₁₁/Σ₂₂), ψ₂ = Σ₂₂ − |Σ₁₂|√(Σ₂₂/Σ₁₁),
# and the information of that solution
import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    return 0.5 * torch.log(torch.det(cov) / torch.det(psi))


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    a, c, s = cov[0, 0], cov[1, 1], cov[0, 1].abs()
    psi = torch.diag(torch.stack([a - s * torch.sqrt(a / c), c - s * torch.sqrt(c / a)]))
    return linear_information(cov, psi)

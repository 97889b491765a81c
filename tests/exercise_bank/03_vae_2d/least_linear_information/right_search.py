# right: the information as ½ ln(1 + wᵀΨ⁻¹w) summed over the eigen-directions of Ψ^-½ Σ Ψ^-½; the least by a
# golden-section search for the largest det Ψ along the family (Σ₁₁ − ψ₁)(Σ₂₂ − ψ₂) = Σ₁₂²
import math

import torch


def linear_information(cov, psi):
    """I(x; z) in nats of the exact linear Gaussian model with Σ = W Wᵀ + Ψ: cov Σ (d, d), psi Ψ (d, d) diagonal."""
    scale = torch.diag(psi).rsqrt()
    whitened = scale[:, None] * cov * scale[None, :]  # Ψ^-½ Σ Ψ^-½ = I + Ψ^-½ W Wᵀ Ψ^-½
    return 0.5 * torch.log(torch.linalg.eigvalsh(whitened)).sum().item()


def least_linear_information(cov):
    """The least I(x; z) over the exact one-factor solutions of a 2-D covariance cov (2, 2), in nats."""
    a, c, s = cov[0, 0].item(), cov[1, 1].item(), cov[0, 1].item()

    def log_det_psi(u):  # u = Σ₁₁ − ψ₁, then ψ₂ = Σ₂₂ − s²/u
        return math.log(a - u) + math.log(c - s * s / u)

    lo, hi = s * s / c, a
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(200):
        m1, m2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if log_det_psi(m1) < log_det_psi(m2):
            lo = m1
        else:
            hi = m2
    u = (lo + hi) / 2
    return 0.5 * (math.log(a * c - s * s) - log_det_psi(u))

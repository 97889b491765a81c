# right: ψ(z) = h'(wᵀz + b) w and the matrix determinant lemma det(I + u ψᵀ) = 1 + uᵀψ, via cosh
import torch


def planar_layer(z, u, w, b):
    a = (z * w).sum(dim=1) + b
    psi = w / torch.cosh(a).unsqueeze(1) ** 2  # (N, D)
    return z + torch.tanh(a)[:, None] * u, (1 + psi @ u).abs().log()

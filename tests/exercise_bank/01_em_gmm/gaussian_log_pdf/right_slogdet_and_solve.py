# right: another equivalent formula — log det Σ from slogdet, the Mahalanobis term from a linear solve
import math

import torch


def gaussian_log_pdf(X, means, covariances):
    D = X.shape[1]
    diff = X.unsqueeze(1) - means.unsqueeze(0)  # (N, K, D)
    solved = torch.linalg.solve(covariances.unsqueeze(0), diff.unsqueeze(-1)).squeeze(-1)  # Σ_k⁻¹ (x_n − μ_k)
    mahalanobis = (diff * solved).sum(dim=-1)  # (N, K)
    _, log_det = torch.linalg.slogdet(covariances)  # (K,)
    return -0.5 * (D * math.log(2 * math.pi) + log_det + mahalanobis)

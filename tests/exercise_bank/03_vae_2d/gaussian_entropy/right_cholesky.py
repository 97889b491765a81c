# right: log det Σ = 2 Σ log diag L from the Cholesky factor, the ½ and the d terms written out
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    L = torch.linalg.cholesky(cov)
    d = cov.shape[0]
    return d / 2 * (1 + math.log(2 * math.pi)) + torch.log(torch.diagonal(L)).sum()

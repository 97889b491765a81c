# wrong: the log-determinant from the diagonal of Σ alone (right only for uncorrelated coordinates)
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    d = cov.shape[-1]
    return 0.5 * (d * math.log(2 * math.pi * math.e) + torch.log(torch.diagonal(cov)).sum())

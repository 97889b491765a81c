# wrong: the ½ left out (log det(2πe·Σ) instead of ½ log det(2πe·Σ))
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    d = cov.shape[-1]
    return d * math.log(2 * math.pi * math.e) + torch.logdet(cov)

# wrong: log 2πe counted once instead of d times (det(2πe·Σ) = (2πe)^d det Σ)
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    return 0.5 * (math.log(2 * math.pi * math.e) + torch.logdet(cov))

# wrong: log 2π instead of log 2πe (the normalising constant of the density, not the entropy)
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    d = cov.shape[-1]
    return 0.5 * (d * math.log(2 * math.pi) + torch.logdet(cov))

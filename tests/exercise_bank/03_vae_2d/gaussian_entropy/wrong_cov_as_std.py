# wrong: Σ taken for a standard deviation: log det Σ without its ½ (as if det Σ were det of σ)
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    d = cov.shape[-1]
    return 0.5 * d * math.log(2 * math.pi * math.e) + torch.logdet(cov)

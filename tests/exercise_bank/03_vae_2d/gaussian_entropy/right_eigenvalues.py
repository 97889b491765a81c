# right: the log-determinant as the sum of the log-eigenvalues, one ½ log(2πe λ_i) per direction
import math

import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    eigenvalues = torch.linalg.eigvalsh(cov)
    return (0.5 * torch.log(2 * math.pi * math.e * eigenvalues)).sum()

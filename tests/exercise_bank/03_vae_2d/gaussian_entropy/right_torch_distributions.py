# right: torch.distributions' own entropy of a MultivariateNormal (the mean does not matter)
import torch


def gaussian_entropy(cov):
    """Differential entropy of N(μ, cov) in nats: ½ log det(2πe·cov), for cov (d, d)."""
    zero = torch.zeros(cov.shape[-1], dtype=cov.dtype)
    return torch.distributions.MultivariateNormal(zero, covariance_matrix=cov).entropy()

# wrong: (z − μ) multiplied by σ instead of divided by it
import math

import torch


def mutual_information(encode, x) -> torch.Tensor:
    """Per-point log q(z_i | x_i) − log q(z_i), z_i ~ q(z | x_i, φ), q(z) = (1/N) Σ_n q(z | x_n, φ):
    x (N, x_dim) -> (N,) nats; their mean estimates I_q(x; z). encode(x) -> (mu_z, log_sigma_z)."""
    mu_z, log_sigma_z = encode(x)  # (N, z_dim) each
    z = mu_z + torch.exp(log_sigma_z) * torch.randn_like(mu_z)  # one z per point
    standardized = (z[:, None, :] - mu_z[None, :, :]) * torch.exp(log_sigma_z[None, :, :])  # (N, N, z_dim)
    log_q = (-0.5 * standardized**2 - log_sigma_z[None] - 0.5 * math.log(2 * math.pi)).sum(-1)  # log q(z_i | x_n)
    log_aggregate = torch.logsumexp(log_q, dim=1) - math.log(len(x))  # log q(z_i)
    return log_q.diagonal() - log_aggregate

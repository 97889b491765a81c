# right: torch.distributions.Normal broadcast to (N, N, z_dim), the aggregate as a log-mean-exp over columns
import math

import torch
from torch.distributions import Normal


def mutual_information(encode, x) -> torch.Tensor:
    """Per-point log q(z_i | x_i) − log q(z_i), z_i ~ q(z | x_i, φ), q(z) = (1/N) Σ_n q(z | x_n, φ):
    x (N, x_dim) -> (N,) nats; their mean estimates I_q(x; z). encode(x) -> (mu_z, log_sigma_z)."""
    mu_z, log_sigma_z = encode(x)
    q = Normal(mu_z, log_sigma_z.exp())
    z = q.sample()  # (N, z_dim)
    log_own = q.log_prob(z).sum(-1)  # log q(z_i | x_i)
    table = Normal(mu_z.unsqueeze(0), log_sigma_z.exp().unsqueeze(0)).log_prob(z.unsqueeze(1)).sum(-1)  # [i, n]
    return log_own - (torch.logsumexp(table, dim=1) - math.log(x.shape[0]))

# right: rows of the table in chunks of 256 points (the memory of a large N), the max subtracted by hand
import math

import torch


def mutual_information(encode, x) -> torch.Tensor:
    """Per-point log q(z_i | x_i) − log q(z_i), z_i ~ q(z | x_i, φ), q(z) = (1/N) Σ_n q(z | x_n, φ):
    x (N, x_dim) -> (N,) nats; their mean estimates I_q(x; z). encode(x) -> (mu_z, log_sigma_z)."""
    mu, log_sigma = encode(x)
    sigma = log_sigma.exp()
    eps = torch.randn(mu.shape, dtype=mu.dtype)
    z = mu + sigma * eps
    own = (-0.5 * eps**2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(dim=1)  # log q(z_i | x_i): (z − μ)/σ = ε
    pieces = []
    for start in range(0, len(z), 256):
        rows = z[start : start + 256, None, :]  # (chunk, 1, z_dim)
        table = (-0.5 * ((rows - mu) / sigma) ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(dim=2)
        top = table.max(dim=1, keepdim=True).values
        pieces.append(top[:, 0] + torch.log(torch.exp(table - top).mean(dim=1)))
    return own - torch.cat(pieces)

# wrong: logsumexp without − log K: log Σ_k instead of log (1/K) Σ_k
import math

import torch


def iwae_bound(vae, x, k: int):
    """log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x), z_k ~ q(z | x, φ): x (batch, 2) -> (batch,), nats."""
    mu, log_sigma = vae.encode(x)
    log_weights = []
    for _ in range(k):
        eps = torch.randn_like(mu)
        z = mu + log_sigma.exp() * eps
        log_q = (-0.5 * eps**2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_prior = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_weights.append(vae.log_likelihood(x, z) + log_prior - log_q)
    return torch.logsumexp(torch.stack(log_weights), dim=0)

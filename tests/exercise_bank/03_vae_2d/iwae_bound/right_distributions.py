# right: torch.distributions — Normal(μ, σ).rsample((K,)) and log_prob for q and the prior
import math

import torch
from torch.distributions import Normal


def iwae_bound(vae, x, k: int):
    """log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x), z_k ~ q(z | x, φ): x (batch, 2) -> (batch,), nats."""
    mu, log_sigma = vae.encode(x)
    q = Normal(mu, log_sigma.exp())
    z = q.rsample((k,))  # (k, batch, z_dim)
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    log_w = vae.log_likelihood(x, z) + prior.log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
    return torch.logsumexp(log_w, dim=0) - math.log(k)

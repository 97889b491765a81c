# right: everything written inline, ε drawn as (z_dim, batch) and transposed
import math

import torch


def vae_elbo(x, encoder, decoder):
    mu_z, log_sigma_z = encoder(x)
    eps = torch.randn(mu_z.shape[1], mu_z.shape[0], dtype=mu_z.dtype).T
    z = mu_z + torch.exp(log_sigma_z) * eps
    mu_x, log_sigma_x = decoder(z)
    log_p = (-((x - mu_x) ** 2) / (2 * torch.exp(2 * log_sigma_x)) - log_sigma_x - math.log(2 * math.pi) / 2).sum(1)
    kl = (0.5 * mu_z**2 + 0.5 * torch.exp(2 * log_sigma_z) - 0.5 - log_sigma_z).sum(1)
    return log_p - kl

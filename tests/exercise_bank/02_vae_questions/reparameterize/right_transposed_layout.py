# right: another random layout — ε drawn as (z_dim, batch) and transposed
import torch


def reparameterize(mu_z, log_sigma_z):
    eps = torch.randn(mu_z.shape[1], mu_z.shape[0], dtype=mu_z.dtype).T
    return mu_z + log_sigma_z.exp() * eps

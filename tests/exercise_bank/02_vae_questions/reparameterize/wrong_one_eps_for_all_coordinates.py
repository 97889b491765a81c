# wrong: one ε number per object, shared by its z_dim coordinates
import torch


def reparameterize(mu_z, log_sigma_z):
    eps = torch.randn(mu_z.shape[0], 1, dtype=mu_z.dtype)
    return mu_z + torch.exp(log_sigma_z) * eps

# wrong: one ε vector shared by every object of the batch
import torch


def reparameterize(mu_z, log_sigma_z):
    eps = torch.randn(mu_z.shape[1], dtype=mu_z.dtype)
    return mu_z + torch.exp(log_sigma_z) * eps

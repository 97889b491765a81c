# right: the notebook's solution — ε from torch.randn_like, one per entry
import torch


def reparameterize(mu_z, log_sigma_z):
    eps = torch.randn_like(mu_z)
    return mu_z + torch.exp(log_sigma_z) * eps

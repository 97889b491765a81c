# wrong: σ = exp(½ log σ), as if log_sigma_z were a log-variance
import torch


def reparameterize(mu_z, log_sigma_z):
    return mu_z + torch.exp(0.5 * log_sigma_z) * torch.randn_like(mu_z)

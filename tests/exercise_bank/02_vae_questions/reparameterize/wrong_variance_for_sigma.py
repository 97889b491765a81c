# wrong: σ² = exp(2 log σ) multiplies ε instead of σ
import torch


def reparameterize(mu_z, log_sigma_z):
    return mu_z + torch.exp(2 * log_sigma_z) * torch.randn_like(mu_z)

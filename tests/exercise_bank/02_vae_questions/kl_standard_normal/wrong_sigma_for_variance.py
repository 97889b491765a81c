# wrong: σ where the formula has σ²
import torch


def kl_standard_normal(mu_z, log_sigma_z):
    return 0.5 * (mu_z**2 + torch.exp(log_sigma_z) - 1 - 2 * log_sigma_z).sum(dim=-1)

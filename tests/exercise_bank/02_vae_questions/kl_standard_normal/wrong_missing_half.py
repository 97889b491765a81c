# wrong: the factor ½ is missing
import torch


def kl_standard_normal(mu_z, log_sigma_z):
    return (mu_z**2 + torch.exp(2 * log_sigma_z) - 1 - 2 * log_sigma_z).sum(dim=-1)

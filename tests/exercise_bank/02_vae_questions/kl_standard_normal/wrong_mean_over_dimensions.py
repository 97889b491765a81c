# wrong: averaged over the latent dimensions instead of summed
import torch


def kl_standard_normal(mu_z, log_sigma_z):
    return 0.5 * (mu_z**2 + torch.exp(2 * log_sigma_z) - 1 - 2 * log_sigma_z).mean(dim=-1)

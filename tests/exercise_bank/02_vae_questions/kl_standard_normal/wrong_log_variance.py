# wrong: log_sigma_z taken for a log-variance (σ² = exp(log σ), log σ² = log σ)
import torch


def kl_standard_normal(mu_z, log_sigma_z):
    return 0.5 * (mu_z**2 + torch.exp(log_sigma_z) - 1 - log_sigma_z).sum(dim=-1)

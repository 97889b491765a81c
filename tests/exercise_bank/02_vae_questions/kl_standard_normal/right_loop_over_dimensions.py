# right: a loop over the latent dimensions with σ = exp(log σ) formed first
import torch


def kl_standard_normal(mu_z, log_sigma_z):
    total = torch.zeros(mu_z.shape[0], dtype=mu_z.dtype)
    for j in range(mu_z.shape[1]):
        sigma = torch.exp(log_sigma_z[:, j])
        total = total + (mu_z[:, j] ** 2 + sigma**2) / 2 - 0.5 - torch.log(sigma)
    return total

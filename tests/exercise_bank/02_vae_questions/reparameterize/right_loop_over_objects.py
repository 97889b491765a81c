# right: a loop over the objects, one ε vector each
import torch


def reparameterize(mu_z, log_sigma_z):
    rows = []
    for mu, log_sigma in zip(mu_z, log_sigma_z):
        rows.append(mu + torch.exp(log_sigma) * torch.randn(mu.shape[0], dtype=mu.dtype))
    return torch.stack(rows)

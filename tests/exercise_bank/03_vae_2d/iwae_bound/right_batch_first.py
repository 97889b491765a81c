# right: the draws laid out (batch, K, z_dim), the decoder called on the flattened batch, the max subtracted by hand
import math

import torch


def iwae_bound(vae, x, k: int):
    """log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x), z_k ~ q(z | x, φ): x (batch, 2) -> (batch,), nats."""
    mu, log_sigma = vae.encode(x)
    batch, z_dim = mu.shape
    z = mu[:, None, :] + log_sigma.exp()[:, None, :] * torch.randn(batch, k, z_dim, dtype=mu.dtype)
    mu_x, log_sigma_x = vae.decode(z.reshape(batch * k, z_dim))
    x_rep = x.repeat_interleave(k, dim=0)
    log_px_z = (-0.5 * ((x_rep - mu_x) / log_sigma_x.exp()) ** 2 - log_sigma_x - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_px_z = log_px_z.reshape(batch, k)
    log_pz = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_qz = (
        -0.5 * ((z - mu[:, None]) / log_sigma.exp()[:, None]) ** 2 - log_sigma[:, None] - 0.5 * math.log(2 * math.pi)
    )
    log_w = log_px_z + log_pz - log_qz.sum(-1)  # (batch, k)
    top = log_w.max(dim=1, keepdim=True).values
    return top[:, 0] + torch.log(torch.exp(log_w - top).mean(dim=1))

# wrong: |mean of μ_z| over the points instead of its variance
import torch


@torch.no_grad()
def active_units(encode, x, threshold: float = 0.01) -> int:
    """The number of latent dimensions j with Var_x μ_z,j(x) > threshold over x (N, x_dim)."""
    mu_z, _ = encode(x)
    return int((mu_z.mean(dim=0).abs() > threshold).sum())

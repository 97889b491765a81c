# wrong: the variance of log σ_z instead of μ_z (the encoder's second output)
import torch


@torch.no_grad()
def active_units(encode, x, threshold: float = 0.01) -> int:
    """The number of latent dimensions j with Var_x μ_z,j(x) > threshold over x (N, x_dim)."""
    _, log_sigma_z = encode(x)
    return int((log_sigma_z.var(dim=0) > threshold).sum())

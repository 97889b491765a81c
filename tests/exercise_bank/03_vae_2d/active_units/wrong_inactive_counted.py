# wrong: the inactive dimensions counted (< instead of >)
import torch


@torch.no_grad()
def active_units(encode, x, threshold: float = 0.01) -> int:
    """The number of latent dimensions j with Var_x μ_z,j(x) > threshold over x (N, x_dim)."""
    mu_z, _ = encode(x)
    return int((mu_z.var(dim=0) < threshold).sum())

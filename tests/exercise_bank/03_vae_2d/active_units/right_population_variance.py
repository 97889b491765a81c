# right: the variance written out with 1/N (not 1/(N − 1)); the count returned as a tensor's item()
import torch


def active_units(encode, x, threshold: float = 0.01) -> int:
    """The number of latent dimensions j with Var_x μ_z,j(x) > threshold over x (N, x_dim)."""
    with torch.no_grad():
        mu = encode(x)[0]
    variance = ((mu - mu.mean(dim=0, keepdim=True)) ** 2).mean(dim=0)
    return (variance > threshold).sum().item()

# right: a loop over the latent dimensions, one column's variance at a time
def active_units(encode, x, threshold: float = 0.01) -> int:
    """The number of latent dimensions j with Var_x μ_z,j(x) > threshold over x (N, x_dim)."""
    mu_z, _log_sigma_z = encode(x)
    count = 0
    for j in range(mu_z.shape[1]):
        if mu_z[:, j].detach().var().item() > threshold:
            count += 1
    return count

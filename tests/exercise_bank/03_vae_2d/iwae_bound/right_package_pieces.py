# right: one (K, batch, z_dim) draw, seminar_utils.losses' densities and log_mean_exp (the instructor's solution)
from seminar_utils import losses


def iwae_bound(vae, x, k: int):
    """log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x), z_k ~ q(z | x, φ): x (batch, 2) -> (batch,), nats."""
    mu_z, log_sigma_z = vae.encode(x)  # (batch, z_dim) each
    z = losses.reparameterize(mu_z, log_sigma_z, n_samples=k)  # (k, batch, z_dim)
    log_p_x_given_z = vae.log_likelihood(x, z)  # (k, batch)
    flat = z.reshape(-1, z.shape[-1])  # (k * batch, z_dim)
    log_prior = losses.standard_normal_log_prob(flat).reshape(k, -1)
    log_q = losses.gaussian_log_likelihood(flat, mu_z.repeat(k, 1), log_sigma_z.repeat(k, 1)).reshape(k, -1)
    return losses.log_mean_exp(log_p_x_given_z + log_prior - log_q, dim=0)

# wrong: the sample uses σ = exp(½ log σ), as if the encoder returned a log-variance
import torch


def vae_elbo(x, encoder, decoder):
    mu_z, log_sigma_z = encoder(x)
    z = mu_z + torch.exp(0.5 * log_sigma_z) * torch.randn_like(mu_z)
    mu_x, log_sigma_x = decoder(z)
    return gaussian_log_likelihood(x, mu_x, log_sigma_x) - kl_standard_normal(mu_z, log_sigma_z)

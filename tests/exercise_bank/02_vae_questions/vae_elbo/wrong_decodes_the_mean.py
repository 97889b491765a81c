# wrong: decodes μ_z instead of a sampled z (no reparameterized sample at all)
def vae_elbo(x, encoder, decoder):
    mu_z, log_sigma_z = encoder(x)
    mu_x, log_sigma_x = decoder(mu_z)
    return gaussian_log_likelihood(x, mu_x, log_sigma_x) - kl_standard_normal(mu_z, log_sigma_z)

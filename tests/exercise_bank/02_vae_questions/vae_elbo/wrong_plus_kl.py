# wrong: the KL added instead of subtracted
def vae_elbo(x, encoder, decoder):
    mu_z, log_sigma_z = encoder(x)
    z = reparameterize(mu_z, log_sigma_z)
    mu_x, log_sigma_x = decoder(z)
    return gaussian_log_likelihood(x, mu_x, log_sigma_x) + kl_standard_normal(mu_z, log_sigma_z)

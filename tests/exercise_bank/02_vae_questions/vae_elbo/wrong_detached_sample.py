# wrong: z detached from the encoder — the reconstruction term sends no gradient to φ
def vae_elbo(x, encoder, decoder):
    mu_z, log_sigma_z = encoder(x)
    z = reparameterize(mu_z, log_sigma_z).detach()
    mu_x, log_sigma_x = decoder(z)
    return gaussian_log_likelihood(x, mu_x, log_sigma_x) - kl_standard_normal(mu_z, log_sigma_z)

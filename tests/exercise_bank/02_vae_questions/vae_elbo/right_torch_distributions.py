# right: torch.distributions for q, p(z) and p(x | z): rsample, kl_divergence, log_prob
import torch
from torch.distributions import Independent, Normal, kl_divergence


def vae_elbo(x, encoder, decoder):
    mu_z, log_sigma_z = encoder(x)
    q = Independent(Normal(mu_z, log_sigma_z.exp()), 1)
    prior = Independent(Normal(torch.zeros_like(mu_z), torch.ones_like(mu_z)), 1)
    z = q.rsample()
    mu_x, log_sigma_x = decoder(z)
    return Independent(Normal(mu_x, log_sigma_x.exp()), 1).log_prob(x) - kl_divergence(q, prior)

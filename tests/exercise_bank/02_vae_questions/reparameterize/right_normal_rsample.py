# right: torch.distributions' rsample (the reparameterized sample)
from torch.distributions import Normal


def reparameterize(mu_z, log_sigma_z):
    return Normal(mu_z, log_sigma_z.exp()).rsample()

# wrong: Normal(...).sample() draws without the reparameterization: no gradient reaches μ or σ
from torch.distributions import Normal


def reparameterize(mu_z, log_sigma_z):
    return Normal(mu_z, log_sigma_z.exp()).sample()

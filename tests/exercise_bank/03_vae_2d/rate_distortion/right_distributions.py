# right: fork_rng with the default devices, torch.distributions for q, p(z) and p(x | z); tensors returned
import torch
from torch.distributions import Normal, kl_divergence


def rate_distortion(vae, x, seed: int = 0) -> dict:
    """Rate E KL(q(z | x, φ) ‖ p(z)) and distortion E −log p(x | z, θ) over x (N, 2), one z ~ q per
    point, in nats per point, with their standard errors (keys rate, rate_se, distortion, distortion_se)."""
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(seed)
        mu, log_sigma = vae.encode(x)
        q = Normal(mu, log_sigma.exp())
        z = q.sample()
        mu_x, log_sigma_x = vae.decode(z)
        distortion = -Normal(mu_x, log_sigma_x.exp()).log_prob(x).sum(-1)
        rate = kl_divergence(q, Normal(0.0, 1.0)).sum(-1)
    n = torch.tensor(float(len(x)))
    return {
        "rate": rate.mean(),
        "rate_se": rate.std() / n.sqrt(),
        "distortion": distortion.mean(),
        "distortion_se": distortion.std() / n.sqrt(),
    }

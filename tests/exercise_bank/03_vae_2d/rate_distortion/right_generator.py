# right: a torch.Generator of its own seeded with seed (the global state is never touched), errors written out
import math

import torch


@torch.no_grad()
def rate_distortion(vae, x, seed: int = 0) -> dict:
    """Rate E KL(q(z | x, φ) ‖ p(z)) and distortion E −log p(x | z, θ) over x (N, 2), one z ~ q per
    point, in nats per point, with their standard errors (keys rate, rate_se, distortion, distortion_se)."""
    generator = torch.Generator(device=x.device).manual_seed(seed)
    mu, log_sigma = vae.encode(x)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    distortion = -vae.log_likelihood(x, mu + log_sigma.exp() * eps)
    rate = (0.5 * (mu**2 + torch.exp(2 * log_sigma) - 1) - log_sigma).sum(dim=1)
    n = len(x)
    return {
        "rate": rate.mean().item(),
        "rate_se": rate.std().item() / math.sqrt(n),
        "distortion": distortion.mean().item(),
        "distortion_se": distortion.std().item() / math.sqrt(n),
    }

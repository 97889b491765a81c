# wrong: the standard deviation over the points given as the standard error (no / √N)
import torch

from seminar_utils import losses


@torch.no_grad()
def rate_distortion(vae, x, seed: int = 0) -> dict:
    """Rate E KL(q(z | x, φ) ‖ p(z)) and distortion E −log p(x | z, θ) over x (N, 2), one z ~ q per
    point, in nats per point, with their standard errors (keys rate, rate_se, distortion, distortion_se)."""
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        torch.manual_seed(seed)
        mu_z, log_sigma_z = vae.encode(x)
        z = mu_z + torch.exp(log_sigma_z) * torch.randn_like(mu_z)
        distortion = -vae.log_likelihood(x, z)
        rate = losses.kl_standard_normal(mu_z, log_sigma_z)
    r, r_se, d, d_se = rate.mean().item(), rate.std().item(), distortion.mean().item(), distortion.std().item()
    return {"rate": r, "rate_se": r_se, "distortion": d, "distortion_se": d_se}

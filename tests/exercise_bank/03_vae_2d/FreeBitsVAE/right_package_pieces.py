# right: losses.reparameterize and losses.kl_standard_normal on one latent dimension at a time (a loop)
import torch

from seminar_utils import losses
from seminar_utils.vae import VAE


class FreeBitsVAE(VAE):
    """seminar_utils' VAE whose loss counts each latent dimension's KL only above free_bits nats."""

    def loss_terms(self, x, free_bits: float = 0.0) -> dict:
        """{"loss": recon + Σ_j max(free_bits, KL_j), "recon": −log p(x | z, θ), "kl": Σ_j KL_j}, (batch,) nats."""
        mu, log_sigma = self.encode(x)
        recon = -self.log_likelihood(x, losses.reparameterize(mu, log_sigma))
        kl = torch.zeros(len(mu), dtype=mu.dtype)
        counted = torch.zeros(len(mu), dtype=mu.dtype)
        for j in range(mu.shape[1]):
            kl_j = losses.kl_standard_normal(mu[:, j : j + 1], log_sigma[:, j : j + 1])
            kl = kl + kl_j
            counted = counted + torch.maximum(kl_j, torch.full_like(kl_j, free_bits))
        return {"loss": recon + counted, "recon": recon, "kl": kl}

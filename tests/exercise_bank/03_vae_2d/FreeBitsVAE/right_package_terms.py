# right: the package's recon and kl (VAE.loss_terms), then the free-bits loss from the encoder's output
import torch

from seminar_utils.vae import VAE


class FreeBitsVAE(VAE):
    """seminar_utils' VAE whose loss counts each latent dimension's KL only above free_bits nats."""

    def loss_terms(self, x, free_bits: float = 0.0) -> dict:
        """{"loss": recon + Σ_j max(free_bits, KL_j), "recon": −log p(x | z, θ), "kl": Σ_j KL_j}, (batch,) nats."""
        terms = super().loss_terms(x)
        mu, log_sigma = self.encode(x)
        kl_per_dim = 0.5 * (mu.pow(2) + log_sigma.mul(2).exp() - 1 - 2 * log_sigma)
        counted = torch.where(kl_per_dim > free_bits, kl_per_dim, torch.full_like(kl_per_dim, free_bits))
        return {"loss": terms["recon"] + counted.sum(dim=1), "recon": terms["recon"], "kl": terms["kl"]}

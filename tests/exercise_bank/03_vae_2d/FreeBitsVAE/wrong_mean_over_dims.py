# wrong: the dimensions' KLs averaged instead of summed
import torch

from seminar_utils.vae import VAE


class FreeBitsVAE(VAE):
    """seminar_utils' VAE whose loss counts each latent dimension's KL only above free_bits nats."""

    def loss_terms(self, x, free_bits: float = 0.0) -> dict:
        """{"loss": recon + Σ_j max(free_bits, KL_j), "recon": −log p(x | z, θ), "kl": Σ_j KL_j}, (batch,) nats."""
        mu_z, log_sigma_z = self.encode(x)
        z = mu_z + torch.exp(log_sigma_z) * torch.randn_like(mu_z)  # one ε per point
        recon = -self.log_likelihood(x, z)
        kl_per_dim = 0.5 * (mu_z**2 + torch.exp(2 * log_sigma_z) - 1) - log_sigma_z  # (batch, z_dim)
        return {"loss": recon + kl_per_dim.clamp(min=free_bits).mean(-1), "recon": recon, "kl": kl_per_dim.mean(-1)}

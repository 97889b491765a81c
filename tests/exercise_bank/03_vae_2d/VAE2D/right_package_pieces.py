# right: composed from seminar_utils.losses (reparameterize, kl_standard_normal, gaussian_log_likelihood)
from torch import nn

from seminar_utils import losses


class VAE2D(nn.Module):
    """Encoder q(z | x, φ), decoder p(x | z, θ), prior N(0, I): the loss of a VAE on 2D points."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.enc = encoder
        self.dec = decoder

    def loss_terms(self, x, beta: float = 1.0) -> dict:
        """{"loss": recon + β·kl, "recon": −log p(x | z, θ), "kl": KL(q ‖ p(z))}, each (batch,) nats."""
        mu_z, log_sigma_z = self.enc(x)
        z = losses.reparameterize(mu_z, log_sigma_z)
        recon = -losses.gaussian_log_likelihood(x, *self.dec(z))
        kl = losses.kl_standard_normal(mu_z, log_sigma_z)
        return {"recon": recon, "kl": kl, "loss": recon + beta * kl}

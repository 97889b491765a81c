# wrong: z = μ_z: the decoder sees the encoder's mean, no draw
import math

import torch
from torch import nn


class VAE2D(nn.Module):
    """Encoder q(z | x, φ), decoder p(x | z, θ), prior N(0, I): the loss of a VAE on 2D points."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def loss_terms(self, x, beta: float = 1.0) -> dict:
        """{"loss": recon + β·kl, "recon": −log p(x | z, θ), "kl": KL(q ‖ p(z))}, each (batch,) nats."""
        mu_z, log_sigma_z = self.encoder(x)
        z = mu_z
        mu_x, log_sigma_x = self.decoder(z)
        recon = (0.5 * ((x - mu_x) / torch.exp(log_sigma_x)) ** 2 + log_sigma_x + 0.5 * math.log(2 * math.pi)).sum(-1)
        kl = 0.5 * (mu_z**2 + torch.exp(2 * log_sigma_z) - 1 - 2 * log_sigma_z).sum(-1)
        return {"loss": recon + beta * kl, "recon": recon, "kl": kl}

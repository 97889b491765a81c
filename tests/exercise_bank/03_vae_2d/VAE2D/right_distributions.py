# right: torch.distributions — Normal.rsample, log_prob and the analytic kl_divergence
import torch
from torch import nn
from torch.distributions import Normal, kl_divergence


class VAE2D(nn.Module):
    """Encoder q(z | x, φ), decoder p(x | z, θ), prior N(0, I): the loss of a VAE on 2D points."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.parts = nn.ModuleDict({"encoder": encoder, "decoder": decoder})

    def loss_terms(self, x, beta: float = 1.0) -> dict:
        """{"loss": recon + β·kl, "recon": −log p(x | z, θ), "kl": KL(q ‖ p(z))}, each (batch,) nats."""
        mu_z, log_sigma_z = self.parts["encoder"](x)
        q = Normal(mu_z, log_sigma_z.exp())
        z = q.rsample()
        mu_x, log_sigma_x = self.parts["decoder"](z)
        recon = -Normal(mu_x, log_sigma_x.exp()).log_prob(x).sum(dim=1)
        kl = kl_divergence(q, Normal(torch.zeros_like(mu_z), torch.ones_like(mu_z))).sum(dim=1)
        return {"loss": recon + beta * kl, "recon": recon, "kl": kl}

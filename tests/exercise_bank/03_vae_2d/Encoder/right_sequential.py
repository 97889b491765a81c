# right: one nn.Sequential each (the instructor's solution)
from torch import nn


class Encoder(nn.Module):
    """q(z | x, φ): x (batch, x_dim) -> (mu_z, log_sigma_z), each (batch, z_dim)."""

    def __init__(self, x_dim: int = 2, z_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(x_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2 * z_dim)
        )

    def forward(self, x):
        mu_z, log_sigma_z = self.net(x).chunk(2, dim=-1)
        return mu_z, log_sigma_z


class Decoder(nn.Module):
    """p(x | z, θ): z (batch, z_dim) -> (mu_x, log_sigma_x), each (batch, x_dim)."""

    def __init__(self, z_dim: int = 2, x_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2 * x_dim)
        )

    def forward(self, z):
        mu_x, log_sigma_x = self.net(z).chunk(2, dim=-1)
        return mu_x, log_sigma_x

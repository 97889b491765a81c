# right: three named Linear layers, F.relu in forward, the halves cut by slicing (other attribute names)
from torch import nn
from torch.nn import functional as F


class Encoder(nn.Module):
    """q(z | x, φ): x (batch, x_dim) -> (mu_z, log_sigma_z), each (batch, z_dim)."""

    def __init__(self, x_dim: int = 2, z_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.z_dim = z_dim
        self.fc1 = nn.Linear(x_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2 * z_dim)

    def forward(self, x):
        h = self.out(F.relu(self.fc2(F.relu(self.fc1(x)))))
        return h[:, : self.z_dim], h[:, self.z_dim :]


class Decoder(nn.Module):
    """p(x | z, θ): z (batch, z_dim) -> (mu_x, log_sigma_x), each (batch, x_dim)."""

    def __init__(self, z_dim: int = 2, x_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.x_dim = x_dim
        self.fc1 = nn.Linear(z_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2 * x_dim)

    def forward(self, z):
        h = self.out(F.relu(self.fc2(F.relu(self.fc1(z)))))
        return h[:, : self.x_dim], h[:, self.x_dim :]

# right: one helper builds both MLPs from a list of widths (a loop), torch.split for the halves
import itertools

import torch
from torch import nn


def build_mlp(widths):
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """q(z | x, φ): x (batch, x_dim) -> (mu_z, log_sigma_z), each (batch, z_dim)."""

    def __init__(self, x_dim: int = 2, z_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.z_dim = z_dim
        self.layers = build_mlp([x_dim, hidden, hidden, 2 * z_dim])

    def forward(self, x):
        return tuple(torch.split(self.layers(x), self.z_dim, dim=1))


class Decoder(nn.Module):
    """p(x | z, θ): z (batch, z_dim) -> (mu_x, log_sigma_x), each (batch, x_dim)."""

    def __init__(self, z_dim: int = 2, x_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.x_dim = x_dim
        self.layers = build_mlp([z_dim, hidden, hidden, 2 * x_dim])

    def forward(self, z):
        return tuple(torch.split(self.layers(z), self.x_dim, dim=1))

"""Two-dimensional data sets for the VAE seminar, seeded, with train/test splits.

* ``"rotated"``: a Gaussian with mean (1, 2) and standard deviations 5 and 1 along axes rotated
  by 45° — correlated coordinates;
* ``"axis_aligned"``: the same Gaussian without the rotation — independent coordinates;
* ``"moons"``: two interleaving half circles blurred by noise (a non-Gaussian set);
* ``"ring"``: a ring of equal Gaussians (another one).

Every set exposes its true log-density (:meth:`Dataset2D.log_prob`; for the moons an integral
computed by quadrature), so a model's negative log-likelihood can be compared with the best one
achievable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch
import torch.distributions as D

from ._checks import as_tensor, check_int, check_real

__all__ = ["DATASETS", "Dataset2D", "TwoMoons", "gaussian_2d", "gaussian_ring", "load_2d", "two_moons"]


@dataclass(frozen=True)
class Dataset2D:
    """A 2D data set: ``train`` ``(n_train, 2)`` and ``test`` ``(n_test, 2)``, float32, drawn from
    ``distribution`` (a torch distribution in float64)."""

    name: str
    train: torch.Tensor
    test: torch.Tensor
    distribution: D.Distribution = field(repr=False)
    description: str = ""

    def log_prob(self, x) -> torch.Tensor:
        """The true log-density log p*(x), ``(batch,)`` in nats (float64), for ``x`` ``(batch, 2)``."""
        x = as_tensor(x, "x", integers="cast", finite=True)
        if x.dim() != 2 or x.shape[1] != 2:
            raise ValueError(f"x must be (batch, 2), got {tuple(x.shape)}")
        return self.distribution.log_prob(x.detach().cpu().double())

    def true_nll(self) -> float:
        """The true density's mean negative log-likelihood of the test points, nats per point."""
        return -self.log_prob(self.test).mean().item()


def _split(name: str, dist: D.Distribution, n_train: int, n_test: int, seed: int, description: str) -> Dataset2D:
    n_train, n_test = check_int(n_train, "n_train"), check_int(n_test, "n_test")
    # torch distributions draw from the global generator: fork it so the caller's stream is untouched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(seed, "seed", low=0, high=2**63))
        points = dist.sample((n_train + n_test,)).float()
    return Dataset2D(name, points[:n_train], points[n_train:], dist, description)


def gaussian_2d(
    n_train: int = 10_000,
    n_test: int = 2_000,
    *,
    mean=(1.0, 2.0),
    stds=(5.0, 1.0),
    angle_deg: float = 45.0,
    seed: int = 0,
) -> Dataset2D:
    """A 2D Gaussian N(mean, R diag(stds²) Rᵀ), R the rotation by ``angle_deg`` (counter-clockwise).

    Its differential entropy, the expected NLL of the true density, is log(2πe) + log(s₁ s₂) nats.
    """
    stds_t = torch.tensor([check_real(float(s), "stds", low=0.0) for s in stds], dtype=torch.float64)
    mean_t = torch.as_tensor(mean, dtype=torch.float64)
    if stds_t.shape != (2,) or mean_t.shape != (2,):
        raise ValueError(f"mean and stds must each hold 2 numbers, got {mean!r} and {stds!r}")
    a = math.radians(float(angle_deg))
    rotation = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64)
    covariance = rotation @ torch.diag(stds_t**2) @ rotation.T
    covariance = 0.5 * (covariance + covariance.T)  # exactly symmetric
    dist = D.MultivariateNormal(mean_t, covariance_matrix=covariance)
    name = "axis_aligned" if float(angle_deg) % 180 == 0 else "rotated"
    description = (
        f"Gaussian, mean {tuple(mean_t.tolist())}, stds {tuple(stds_t.tolist())}, axes rotated by {float(angle_deg):g}°"
    )
    return _split(name, dist, n_train, n_test, seed, description)


def gaussian_ring(
    n_train: int = 10_000,
    n_test: int = 2_000,
    *,
    n_modes: int = 8,
    radius: float = 4.0,
    std: float = 0.5,
    seed: int = 0,
) -> Dataset2D:
    """An equal-weight mixture of ``n_modes`` isotropic Gaussians (std ``std``) on a circle."""
    n_modes = check_int(n_modes, "n_modes")
    radius, std = check_real(radius, "radius", low=0.0), check_real(std, "std", low=0.0)
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    centres = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    dist = D.MixtureSameFamily(
        D.Categorical(probs=torch.full((n_modes,), 1.0 / n_modes, dtype=torch.float64)),
        D.Independent(D.Normal(centres, torch.full_like(centres, std)), 1),
    )
    description = f"ring of {n_modes} Gaussians, radius {radius:g}, std {std:g}"
    return _split("ring", dist, n_train, n_test, seed, description)


class TwoMoons(D.Distribution):
    """Two interleaving half circles (scikit-learn's geometry) blurred by isotropic Gaussian noise.

    Generative process: a moon m ∈ {upper, lower} with probability ½ each, an angle t ~ U(0, π),
    the point c_m(t) on that half circle, then x = c_m(t) + noise·ε. The density
    p(x) = ½ Σ_m (1/π) ∫₀^π N(x | c_m(t), noise² I) dt has no closed form; :meth:`log_prob`
    computes the integral by Gauss–Legendre quadrature on ``n_nodes`` angles per moon (default
    max(128, 6.4 / noise): exact to ~1e-12 while the nodes are much closer than ``noise``).
    """

    arg_constraints: ClassVar[dict] = {}
    support = D.constraints.real_vector

    def __init__(self, noise: float = 0.1, n_nodes: int | None = None):
        self.noise = check_real(noise, "noise", low=0.0)
        n_nodes = max(128, math.ceil(6.4 / self.noise)) if n_nodes is None else n_nodes
        self.n_nodes = check_int(n_nodes, "n_nodes")
        super().__init__(event_shape=torch.Size([2]), validate_args=False)

    @staticmethod
    def centres(t: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
        """Points c_m(t) ``(..., 2)``: (cos t, sin t) on the upper moon, (1 − cos t, ½ − sin t) below."""
        upper_pts = torch.stack([torch.cos(t), torch.sin(t)], dim=-1)
        lower_pts = torch.stack([1.0 - torch.cos(t), 0.5 - torch.sin(t)], dim=-1)
        return torch.where(upper.unsqueeze(-1), upper_pts, lower_pts)

    def sample(self, sample_shape=()) -> torch.Tensor:
        shape = torch.Size(sample_shape)
        t = torch.rand(shape, dtype=torch.float64) * math.pi
        upper = torch.rand(shape) < 0.5
        return self.centres(t, upper) + self.noise * torch.randn(*shape, 2, dtype=torch.float64)

    def log_prob(self, x: torch.Tensor, chunk_size: int = 4096) -> torch.Tensor:
        xi, w = np.polynomial.legendre.leggauss(self.n_nodes)  # nodes and weights on [-1, 1]
        t = torch.from_numpy((xi + 1.0) * (math.pi / 2))
        log_w = torch.from_numpy(np.log(w / 4.0)).repeat(2)  # (1/π)∫₀^π dt = ½ Σ w_j; moons ½ each
        upper = torch.arange(2 * self.n_nodes) < self.n_nodes
        nodes = self.centres(t.repeat(2), upper)  # (2 n_nodes, 2)
        kernel = D.Independent(D.Normal(nodes, torch.full_like(nodes, self.noise)), 1)
        flat = x.reshape(-1, 2).double()
        out = [torch.logsumexp(kernel.log_prob(chunk.unsqueeze(1)) + log_w, dim=1) for chunk in flat.split(chunk_size)]
        return torch.cat(out).reshape(x.shape[:-1])


def two_moons(n_train: int = 10_000, n_test: int = 2_000, *, noise: float = 0.1, seed: int = 0) -> Dataset2D:
    """Two interleaving moons with Gaussian ``noise`` (:class:`TwoMoons`; density by quadrature)."""
    return _split("moons", TwoMoons(noise), n_train, n_test, seed, f"two moons, noise {noise:g}")


DATASETS = {
    "rotated": lambda **kw: gaussian_2d(angle_deg=45.0, **kw),
    "axis_aligned": lambda **kw: gaussian_2d(angle_deg=0.0, **kw),
    "moons": two_moons,
    "ring": gaussian_ring,
}


def load_2d(name: str, n_train: int = 10_000, n_test: int = 2_000, seed: int = 0) -> Dataset2D:
    """One of :data:`DATASETS` by name: ``"rotated"`` (a), ``"axis_aligned"`` (b), ``"moons"`` (c)
    or ``"ring"``."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {sorted(DATASETS)}, got {name!r}")
    return DATASETS[name](n_train=n_train, n_test=n_test, seed=seed)

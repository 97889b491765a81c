"""seminar_utils.flows and seminar_utils.posteriors against independent references: log-determinants
against torch.func.jacrev + slogdet, densities against torch.distributions and against a
change-of-variables Monte Carlo estimate (a density integrates to the area it covers)."""

from __future__ import annotations

import math

import pytest
import torch
from torch.func import jacrev

from seminar_utils.flows import PlanarFlow, constrain_u, planar_log_det, planar_transform
from seminar_utils.posteriors import DiagonalGaussian, FullGaussian, PlanarPosterior, posterior_family


def _params(d, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    u, w = (scale * torch.randn(d, generator=g, dtype=torch.float64) for _ in range(2))
    return u, w, torch.randn((), generator=g, dtype=torch.float64)


def _jacobian_log_det(f, z):
    """log |det J| of f at each row of z, by autograd and slogdet (the reference)."""
    return torch.stack([torch.linalg.slogdet(jacrev(f)(row))[1] for row in z])


@pytest.mark.parametrize("d", [1, 2, 5])
def test_planar_log_det_matches_autograd_jacobian(d):
    u, w, b = _params(d, d, scale=1.5)
    z = 2 * torch.randn(16, d, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    f = lambda row: planar_transform(row, u, w, b)[0]
    reference = _jacobian_log_det(f, z)
    assert torch.allclose(planar_log_det(z, u, w, b), reference, atol=1e-10)
    assert torch.allclose(planar_transform(z, u, w, b)[1], reference, atol=1e-10)
    assert torch.allclose(planar_transform(z, u, w, b)[0], z + u * torch.tanh(z @ w + b)[:, None])


def test_planar_log_det_takes_the_absolute_value_of_a_negative_determinant():
    w = torch.tensor([1.0, 0.0], dtype=torch.float64)
    u = torch.tensor([-3.0, 0.5], dtype=torch.float64)  # wᵀu = −3: det = 1 − 3 h'(a) < 0 near a = 0
    z = torch.tensor([[0.0, 0.0], [0.1, 2.0]], dtype=torch.float64)
    f = lambda row: planar_transform(row, u, w, torch.tensor(0.0, dtype=torch.float64))[0]
    assert torch.allclose(planar_log_det(z, u, w, 0.0), _jacobian_log_det(f, z), atol=1e-10)
    assert torch.allclose(planar_log_det(z[:1], u, w, 0.0), torch.tensor([math.log(2.0)], dtype=torch.float64))


def test_constrained_u_makes_the_layer_invertible_and_keeps_a_good_u():
    g = torch.Generator().manual_seed(3)
    u, w = torch.randn(100, 4, generator=g), torch.randn(100, 4, generator=g)
    u_hat = constrain_u(u, w)
    assert ((u_hat * w).sum(-1) > -1).all()
    a = (w * u).sum(-1, keepdim=True)  # û − u is along w, by m(a) − a, m(a) = softplus(a) − 1
    expected = (torch.nn.functional.softplus(a) - 1 - a) * w / (w * w).sum(-1, keepdim=True)
    assert torch.allclose(u_hat - u, expected, atol=1e-5)


def test_per_example_parameters_broadcast_like_one_layer_each():
    g = torch.Generator().manual_seed(5)
    z, u, w = (torch.randn(3, 6, 2, generator=g, dtype=torch.float64) for _ in range(3))
    b = torch.randn(6, generator=g, dtype=torch.float64)
    out, log_det = planar_transform(z, u[0], w[0], b)
    for i in range(6):
        single = planar_transform(z[:, i], u[0, i], w[0, i], b[i])
        assert torch.allclose(out[:, i], single[0]) and torch.allclose(log_det[:, i], single[1])


def test_a_planar_flow_density_integrates_to_the_area_it_covers():
    """Monte Carlo change of variables: E_q[1_A(y) / q(y)] = area(A) for a box A inside q's support."""
    flow = PlanarFlow(2, 6, init_scale=1.0, seed=4).double()
    torch.manual_seed(0)
    z0 = torch.randn(400_000, 2, dtype=torch.float64)
    with torch.no_grad():
        y, log_det = flow(z0)
    log_q = (-0.5 * z0**2 - 0.5 * math.log(2 * math.pi)).sum(-1) - log_det
    inside = ((y > -0.5) & (y < 0.5)).all(-1)
    values = torch.where(inside, torch.exp(-log_q), torch.zeros_like(log_q))
    estimate, se = values.mean().item(), values.std().item() / math.sqrt(len(values))
    assert inside.float().mean() > 0.05  # the box is well inside the support
    assert abs(estimate - 1.0) < 4 * se and se < 0.02


def _params_batch(family, seed, batch=5):
    return 0.5 * torch.randn(batch, family.n_params, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_diagonal_and_full_gaussians_agree_with_torch_distributions():
    torch.manual_seed(1)
    diag, full = DiagonalGaussian(3), FullGaussian(3)
    p = _params_batch(diag, 1)
    z, log_q = diag.rsample(p, 4)
    ref = torch.distributions.Normal(p[:, :3], torch.exp(p[:, 3:])).log_prob(z).sum(-1)
    assert z.shape == (4, 5, 3) and torch.allclose(log_q, ref)
    p = _params_batch(full, 2)
    z, log_q = full.rsample(p, 4)
    scale = full.scale_tril(p)
    assert torch.equal(scale, torch.tril(scale)) and (torch.diagonal(scale, dim1=-2, dim2=-1) > 0).all()
    ref = torch.distributions.MultivariateNormal(p[:, :3], scale_tril=scale).log_prob(z)
    assert torch.allclose(log_q, ref)


def test_full_gaussian_samples_have_the_covariance_l_lt():
    full = FullGaussian(2)
    p = torch.tensor([[1.0, -2.0, math.log(0.5), math.log(2.0), 1.5]], dtype=torch.float64)
    torch.manual_seed(0)
    z, _ = full.rsample(p, 200_000)
    scale = full.scale_tril(p)[0]
    assert torch.allclose(torch.cov(z[:, 0].T), scale @ scale.T, atol=0.03)
    assert torch.allclose(z[:, 0].mean(0), torch.tensor([1.0, -2.0], dtype=torch.float64), atol=0.02)


def test_planar_posterior_log_q_is_the_base_density_minus_the_log_dets():
    family = PlanarPosterior(2, 3)
    p = _params_batch(family, 3, batch=4)
    torch.manual_seed(9)
    z, log_q = family.rsample(p, 6)
    torch.manual_seed(9)  # the same ε: rebuild z₀ and push it through the layers by hand
    eps = torch.randn(6, 4, 2, dtype=torch.float64)
    y = p[:, :2] + torch.exp(p[:, 2:4]) * eps
    expected = torch.distributions.Normal(p[:, :2], torch.exp(p[:, 2:4])).log_prob(y).sum(-1)
    for k in range(3):
        s = 4 + 5 * k
        u, w, b = p[:, s : s + 2], p[:, s + 2 : s + 4], p[:, s + 4]
        step = lambda row, u=u, w=w, b=b, i=0: planar_transform(row, constrain_u(u[i], w[i]), w[i], b[i])[0]
        for n in range(6):
            for i in range(4):
                f = lambda row, i=i, step=step: step(row, i=i)
                expected[n, i] -= torch.linalg.slogdet(jacrev(f)(y[n, i]))[1]
        y = planar_transform(y, constrain_u(u, w), w, b)[0]
    assert torch.allclose(z, y) and torch.allclose(log_q, expected, atol=1e-10)


def test_an_unknown_family_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="name must be one of"):
        posterior_family("iaf", 2)

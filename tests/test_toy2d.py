"""seminar_utils.toy2d: the 2-D data sets against scipy and closed-form densities."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from scipy.special import logsumexp

from seminar_utils.toy2d import DATASETS, TwoMoons, gaussian_2d, gaussian_ring, load_2d, two_moons

ENTROPY_A = math.log(2 * math.pi * math.e) + math.log(5.0)  # 4.447 nats: the best expected NLL


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shapes_dtypes_and_seeding(name):
    d = load_2d(name, n_train=300, n_test=100, seed=4)
    assert d.name == name and d.train.shape == (300, 2) and d.test.shape == (100, 2)
    assert d.train.dtype == d.test.dtype == torch.float32
    again, other = load_2d(name, n_train=300, n_test=100, seed=4), load_2d(name, n_train=300, n_test=100, seed=5)
    assert torch.equal(d.train, again.train) and torch.equal(d.test, again.test)
    assert not torch.equal(d.train, other.train)
    assert d.log_prob(d.test).shape == (100,) and d.log_prob(d.test).dtype == torch.float64


def test_loading_leaves_the_global_generator_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    load_2d("moons", n_train=10, n_test=10)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("angle, cov", [(45.0, [[13.0, 12.0], [12.0, 13.0]]), (0.0, [[25.0, 0.0], [0.0, 1.0]])])
def test_gaussians_have_the_promised_mean_and_covariance(angle, cov):
    d = gaussian_2d(n_train=20_000, n_test=10, angle_deg=angle)
    torch.testing.assert_close(d.distribution.covariance_matrix, torch.tensor(cov, dtype=torch.float64))
    x = d.train.double().numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, 2.0], atol=4 * 5 / math.sqrt(20_000))
    np.testing.assert_allclose(np.cov(x.T), cov, atol=4 * 25 * math.sqrt(2 / 20_000))
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(x.T))
    np.testing.assert_allclose(np.sqrt(eigenvalues), [1.0, 5.0], rtol=0.03)
    major = np.degrees(np.arctan2(eigenvectors[1, 1], eigenvectors[0, 1])) % 180
    assert abs(major - angle) < 2.0


def test_gaussian_log_density_matches_scipy_and_the_entropy():
    d = gaussian_2d(n_train=50_000, n_test=2_000, seed=1)
    ref = stats.multivariate_normal([1.0, 2.0], [[13.0, 12.0], [12.0, 13.0]]).logpdf(d.test.double().numpy())
    np.testing.assert_allclose(d.log_prob(d.test).numpy(), ref, rtol=1e-12)
    assert d.true_nll() == pytest.approx(-ref.mean())
    nll = -d.log_prob(d.train)
    assert abs(nll.mean().item() - ENTROPY_A) < 4 * nll.std().item() / math.sqrt(len(nll))


def test_ring_log_density_matches_a_scipy_mixture():
    d = gaussian_ring(n_train=10, n_test=50, n_modes=5, radius=3.0, std=0.4)
    x = d.test.double().numpy()
    angles = 2 * math.pi * np.arange(5) / 5
    comps = [stats.multivariate_normal([3 * math.cos(a), 3 * math.sin(a)], 0.16) for a in angles]
    ref = logsumexp([c.logpdf(x) for c in comps], axis=0) - math.log(5)
    np.testing.assert_allclose(d.log_prob(d.test).numpy(), ref, rtol=1e-10)
    radii = gaussian_ring(n_train=5000, n_test=1, radius=3.0, std=0.4).train.norm(dim=1)
    assert abs(radii.mean().item() - 3.0) < 0.1


def test_moons_density_matches_direct_integration():
    moons = TwoMoons(noise=0.1)
    points = torch.tensor([[0.0, 1.0], [1.0, -0.5], [0.5, 0.25], [-1.1, 0.05], [2.3, 0.7]], dtype=torch.float64)

    def density(x, y):  # ½ Σ_moon (1/π) ∫_0^π N((x, y) | c(t), 0.01 I) dt, by adaptive quadrature
        total = 0.0
        for cx, cy in ((np.cos, np.sin), (lambda t: 1 - np.cos(t), lambda t: 0.5 - np.sin(t))):
            f = lambda t: np.exp(-((x - cx(t)) ** 2 + (y - cy(t)) ** 2) / 0.02) / (2 * math.pi * 0.01)
            total += integrate.quad(f, 0, math.pi, epsabs=1e-14, limit=200)[0] / (2 * math.pi)
        return total

    ref = np.log([density(*p) for p in points.tolist()])
    np.testing.assert_allclose(moons.log_prob(points).numpy(), ref, rtol=1e-9)


def test_moons_density_integrates_to_one_and_describes_the_samples():
    d = two_moons(n_train=4000, n_test=10, seed=2)
    xs, ys = np.linspace(-2, 3, 151), np.linspace(-1.5, 2, 106)  # spacing 0.033 < noise
    grid = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2))
    mass = d.log_prob(grid).exp().sum().item() * (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert mass == pytest.approx(1.0, abs=1e-6)
    # half the points on each moon, and close to it (noise 0.1)
    t = torch.linspace(0, math.pi, 500, dtype=torch.float64)
    upper = TwoMoons.centres(t, torch.ones_like(t, dtype=torch.bool))
    lower = TwoMoons.centres(t, torch.zeros_like(t, dtype=torch.bool))
    x = d.train.double()
    to_upper, to_lower = torch.cdist(x, upper).min(1).values, torch.cdist(x, lower).min(1).values
    assert abs((to_upper < to_lower).double().mean().item() - 0.5) < 0.05
    assert torch.minimum(to_upper, to_lower).mean().item() == pytest.approx(0.1 * math.sqrt(2 / math.pi), rel=0.1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: load_2d("spiral"), "name must be one of"),
        (lambda: load_2d("rotated", n_train=0), "n_train"),
        (lambda: load_2d("moons", seed=-1), "seed"),
        (lambda: gaussian_2d(stds=(5.0, 1.0, 2.0)), "2 numbers"),
        (lambda: gaussian_2d(stds=(5.0, 0.0)), "stds"),
        (lambda: gaussian_ring(std=-1.0), "std"),
        (lambda: two_moons(noise=0.0), "noise"),
        (lambda: load_2d("rotated", n_train=5, n_test=5).log_prob(torch.zeros(3, 3)), r"\(batch, 2\)"),
        (lambda: load_2d("rotated", n_train=5, n_test=5).log_prob(torch.tensor([[0.0, math.nan]])), "finite"),
        (
            lambda: load_2d("rotated", n_train=5, n_test=5).log_prob(torch.zeros(3, 2, dtype=torch.complex64)),
            "must hold real numbers, got complex",
        ),
    ],
)
def test_bad_arguments_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""seminar_utils.figures_2d: what is drawn is checked against the data and closed-form densities."""

import numpy as np
import pytest
import torch
import torch.distributions as D

from seminar_utils.figures_2d import density_on_grid, plot_density, plot_samples, scatter_2d


def test_scatter_draws_the_points_with_equal_axes():
    pts = torch.tensor([[0.0, 1.0], [2.0, -1.0], [3.0, 0.5]])
    ax = scatter_2d(pts, title="data", extent=(-1, 4, -2, 2))
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), pts.numpy())
    assert ax.get_xlim() == (-1, 4) and ax.get_ylim() == (-2, 2) and ax.get_title() == "data"
    assert ax.get_aspect() == 1.0
    grad = scatter_2d(pts.requires_grad_(), ax=None)  # a tensor that needs grad is drawn as its values
    np.testing.assert_array_equal(grad.collections[0].get_offsets(), pts.detach().numpy())


def test_samples_side_by_side_share_limits():
    rng = np.random.default_rng(0)
    sets = {"data": rng.normal(size=(200, 2)), "samples": torch.randn(100, 2) * 3}
    fig = plot_samples(sets)
    assert [ax.get_title() for ax in fig.axes] == ["data", "samples"]
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim() and fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    assert len(fig.axes[1].collections[0].get_offsets()) == 100
    fig = plot_samples({**sets, "more": sets["data"]}, ncols=2, figsize=(6, 6))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and [ax.get_title() for ax in visible] == ["data", "samples", "more"]


def test_density_on_grid_is_laid_out_rows_along_y():
    xs, ys, log_p = density_on_grid(lambda p: p[:, 0] - 10 * p[:, 1], (0, 1, 0, 2), n=5)
    assert log_p.shape == (5, 5)
    np.testing.assert_allclose(log_p, xs[None, :] - 10 * ys[:, None], atol=1e-5)


def test_density_on_grid_of_a_gaussian_integrates_to_one():
    gauss = D.MultivariateNormal(torch.tensor([1.0, 2.0]), torch.tensor([[2.0, 0.8], [0.8, 1.0]]))
    xs, ys, log_p = density_on_grid(gauss.log_prob, (-6, 8, -4, 8), n=200, chunk_size=777)
    np.testing.assert_allclose(log_p[57, 101], gauss.log_prob(torch.tensor([xs[101], ys[57]])).item(), rtol=1e-6)
    mass = np.exp(log_p).sum() * (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert mass == pytest.approx(1.0, abs=1e-3)


def test_plot_density_heatmap_and_contours():
    gauss = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
    _, _, log_p = density_on_grid(gauss.log_prob, (-3, 3, -3, 3), n=40)
    ax = plot_density(log_p, (-3, 3, -3, 3), title="p")
    np.testing.assert_allclose(ax.images[0].get_array(), np.exp(log_p))
    assert ax.get_title() == "p"
    ax = plot_density(gauss.log_prob, (-3, 3, -3, 3), log=True, n=40)  # a callable is evaluated here
    np.testing.assert_allclose(ax.images[0].get_array(), log_p, rtol=1e-6)
    ax = plot_density(log_p, (-3, 3, -3, 3), vmax=0.05)
    assert ax.images[0].get_clim() == (0.0, 0.05)
    ax = plot_density(log_p, (-3, 3, -3, 3), kind="contour")
    assert not ax.images and ax.collections

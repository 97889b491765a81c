import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.distributions as D  # noqa: E402

from seminar_utils.plotting import density_on_grid, plot_density, plot_history, plot_samples, scatter_2d  # noqa: E402
from seminar_utils.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(with_test: bool = True) -> History:
    h = History(train_loss=[5.0, 4.0, 3.5], train_recon=[4.0, 2.5, 1.8], train_kl=[1.0, 1.5, 1.7])
    if with_test:
        h.test_loss, h.test_recon, h.test_kl = [5.1, 4.2, 3.6], [4.2, 2.7, 1.9], [0.9, 1.5, 1.7]
    return h


def test_history_panels_show_every_curve():
    fig = plot_history(history(), title="run")
    assert len(fig.axes) == 3
    for ax, key in zip(fig.axes, ("loss", "recon", "kl")):
        train, test = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(train.get_ydata(), getattr(history(), f"train_{key}"))
        np.testing.assert_array_equal(test.get_ydata(), getattr(history(), f"test_{key}"))
    assert "KL" in fig.axes[2].get_title() and fig._suptitle.get_text() == "run"
    assert fig.axes[0].get_title() == "−ELBO"


def test_history_with_a_kl_weight_names_the_loss():
    h = history()
    h.beta = [0.5, 1.0, 1.0]
    assert plot_history(h).axes[0].get_title() == "loss = recon + β·KL"


def test_history_without_a_test_set_has_one_curve_per_panel():
    fig = plot_history(history(with_test=False))
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1, 1]
    with pytest.raises(ValueError, match="at least one epoch"):
        plot_history(History())


def test_scatter_draws_the_points_with_equal_axes():
    pts = torch.tensor([[0.0, 1.0], [2.0, -1.0], [3.0, 0.5]])
    ax = scatter_2d(pts, title="data", extent=(-1, 4, -2, 2))
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), pts.numpy())
    assert ax.get_xlim() == (-1, 4) and ax.get_ylim() == (-2, 2) and ax.get_title() == "data"
    assert ax.get_aspect() == 1.0
    with pytest.raises(ValueError, match=r"points must be \(n, 2\)"):
        scatter_2d(torch.zeros(3, 3))


def test_samples_side_by_side_share_limits():
    rng = np.random.default_rng(0)
    sets = {"data": rng.normal(size=(200, 2)), "samples": torch.randn(100, 2) * 3}
    fig = plot_samples(sets)
    assert [ax.get_title() for ax in fig.axes] == ["data", "samples"]
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim() and fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    assert len(fig.axes[1].collections[0].get_offsets()) == 100
    with pytest.raises(ValueError, match="at least one"):
        plot_samples({})
    fig = plot_samples({**sets, "more": sets["data"]}, ncols=2, figsize=(6, 6))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and [ax.get_title() for ax in visible] == ["data", "samples", "more"]
    with pytest.raises(ValueError, match="ncols"):
        plot_samples(sets, ncols=0)


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


@pytest.mark.parametrize("call, match", [
    (lambda: plot_density(np.zeros((4, 4)), (-1, 1, -1, 1), kind="surface"), "kind"),
    (lambda: plot_density(np.zeros(4), (-1, 1, -1, 1)), "2D grid"),
    (lambda: density_on_grid(lambda p: p.sum(1), (1, 0, 0, 1)), "extent"),
    (lambda: density_on_grid(lambda p: p, (0, 1, 0, 1)), "log_prob must map"),
    (lambda: density_on_grid(lambda p: p.sum(1), (0, 1, 0, 1), n=1), "n must be"),
])
def test_bad_arguments_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()

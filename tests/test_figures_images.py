"""seminar_utils.figures_images: the pictures drawn are checked against torchvision's make_grid."""

import numpy as np
import pytest
import torch
from torchvision.utils import make_grid

from seminar_utils.figures_images import (
    decoded_means,
    latent_grid,
    live_samples,
    plot_latent_scatter,
    plot_manifold,
    show_images,
    show_interpolations,
    show_reconstructions,
)
from seminar_utils.training import History
from seminar_utils.vae import VAE, MLPDecoder, MLPEncoder


def tiny_vae(z_dim=2, likelihood="bernoulli") -> VAE:
    torch.manual_seed(0)
    return VAE(
        MLPEncoder(784, z_dim, (16,)),
        MLPDecoder(z_dim, 784, (16,), likelihood=likelihood, out_shape=(1, 28, 28)),
        likelihood=likelihood,
    )


def shown(ax) -> np.ndarray:
    return ax.get_images()[0].get_array()


def test_show_images_draws_make_grids_layout():
    images = torch.rand(12, 1, 28, 28)
    ax = show_images(images, nrow=5)
    expected = make_grid(images, nrow=5, padding=2, pad_value=0.5)[0].numpy()
    assert shown(ax).shape == (2 + 3 * 30, 2 + 5 * 30) == expected.shape
    np.testing.assert_allclose(shown(ax), expected)
    assert shown(ax)[2:30, 2:30].tolist() == images[0, 0].tolist()


def test_show_images_accepts_numpy_and_three_dims():
    ax = show_images(np.zeros((3, 28, 28), dtype=np.float32), nrow=3)
    assert shown(ax).shape == (32, 92)


def test_reconstructions_are_the_row_under_their_inputs():
    x, x_rec = torch.zeros(6, 1, 28, 28), torch.ones(6, 1, 28, 28)
    ax = show_reconstructions(x, x_rec)
    picture = shown(ax)
    assert picture.shape == (2 + 2 * 30, 2 + 6 * 30)
    assert picture[2:30, 2:30].max() == 0 and picture[32:60, 2:30].min() == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["input x", "reconstruction"]


def test_interpolation_strips_one_per_row():
    strips = torch.linspace(0, 1, 8).reshape(1, 8, 1, 1, 1).expand(3, 8, 1, 28, 28)
    picture = shown(show_interpolations(strips))
    assert picture.shape == (2 + 3 * 30, 2 + 8 * 30)
    assert picture[2 + 30, 2 + 7 * 30] == pytest.approx(1.0)  # second row, last step
    assert shown(show_interpolations(strips[0])).shape == (32, 2 + 8 * 30)


def test_latent_grid_is_row_major_from_the_top_left_at_cell_centres():
    z = latent_grid(4, limit=2.0)
    assert z.shape == (16, 2)
    centres = [-1.5, -0.5, 0.5, 1.5]
    assert z[:4, 0].tolist() == centres and z[:4, 1].tolist() == [1.5] * 4  # top row: z2 largest
    assert z[::4, 1].tolist() == centres[::-1] and z[::4, 0].tolist() == [-1.5] * 4


def test_decoded_means_are_bernoulli_probabilities_or_gaussian_means():
    model = tiny_vae()
    z = torch.randn(7, 2)
    with torch.no_grad():
        expected = torch.sigmoid(model.decode(z))
    assert torch.allclose(decoded_means(model, z, batch_size=3), expected)
    gaussian = tiny_vae(likelihood="gaussian")
    with torch.no_grad():
        mu = gaussian.decode(z)[0]
    assert torch.allclose(decoded_means(gaussian, z), mu.clamp(0, 1))


def test_manifold_shows_the_decoded_grid_in_latent_coordinates():
    model = tiny_vae()
    ax = plot_manifold(model, n=5, limit=2.5)
    expected = make_grid(decoded_means(model, latent_grid(5, 2.5)), nrow=5, padding=0)[0].numpy()
    np.testing.assert_allclose(shown(ax), expected, atol=1e-6)
    assert ax.get_images()[0].get_extent() == [-2.5, 2.5, -2.5, 2.5]


def test_latent_scatter_one_colour_per_digit():
    z = torch.randn(50, 2)
    labels = torch.arange(50) % 10
    ax = plot_latent_scatter(z, labels)
    assert len(ax.collections) == 10
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(d) for d in range(10)]
    np.testing.assert_allclose(ax.collections[3].get_offsets(), z[labels == 3].numpy())
    assert ax.get_xlim() == (-3.0, 3.0)


def test_live_samples_updates_one_display_every_few_epochs(monkeypatch):
    import IPython.display

    shown_figures = []

    class Handle:
        def update(self, fig):
            shown_figures.append(("update", fig))

    def fake_display(fig, display_id=False):
        assert display_id is True
        shown_figures.append(("display", fig))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    model = tiny_vae()
    z = torch.randn(6, 2)
    callback = live_samples(z, every=2, nrow=3)
    history = History(train={"loss": [150.0, 120.0, 110.0, 105.0]}, test={"loss": [151.0, 121.0, 111.0, 104.5]})
    for epoch in range(1, 5):
        callback(epoch, model, history)
    assert [kind for kind, _ in shown_figures] == ["display", "update"]  # epochs 2 and 4
    fig = shown_figures[-1][1]
    ax = fig.axes[0]
    assert "epoch 4" in ax.get_title() and "104.5" in ax.get_title()
    expected = make_grid(decoded_means(model, z), nrow=3, padding=2, pad_value=0.5)[0].numpy()
    np.testing.assert_allclose(shown(ax), expected, atol=1e-6)

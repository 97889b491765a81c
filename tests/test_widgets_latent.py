"""The image seminar's latent explorer (seminar_utils.widgets.latent_explorer)."""

import io

import numpy as np
import torch
from PIL import Image

from seminar_utils.vae import VAE, MLPDecoder, MLPEncoder
from seminar_utils.widgets import latent_explorer


def tiny_vae(z_dim: int = 2) -> VAE:
    torch.manual_seed(0)
    return VAE(
        MLPEncoder(784, z_dim, (16,)),
        MLPDecoder(z_dim, 784, (16,), likelihood="bernoulli", out_shape=(1, 28, 28)),
        likelihood="bernoulli",
    )


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def expected(model: VAE, z1: float, z2: float, scale: int) -> np.ndarray:
    """σ(decoder logits) at z, on 0..255, each pixel a scale × scale block."""
    with torch.no_grad():
        probs = torch.sigmoid(model.decode(torch.tensor([[z1, z2]])))[0, 0]
    grey = (probs * 255).round().numpy()
    return np.kron(grey, np.ones((scale, scale)))


def test_the_picture_is_the_decoded_mean_at_the_sliders_z():
    model = tiny_vae()
    box = latent_explorer(model, scale=3)
    assert pixels(box.image.value).shape == (84, 84)
    np.testing.assert_allclose(pixels(box.image.value), expected(model, 0.0, 0.0, 3), atol=1)
    box.z1.value, box.z2.value = 1.5, -2.25
    np.testing.assert_allclose(pixels(box.image.value), expected(model, 1.5, -2.25, 3), atol=1)
    assert not np.allclose(pixels(box.image.value), expected(model, 0.0, 0.0, 3), atol=1)


def test_sliders_span_the_requested_range():
    box = latent_explorer(tiny_vae(), limit=2.0, step=0.1)
    for slider in (box.z1, box.z2):
        assert (slider.min, slider.max, slider.step, slider.value) == (-2.0, 2.0, 0.1, 0.0)
    box.z1.value = 5.0
    assert box.z1.value == 2.0  # clipped by the slider


def test_the_model_is_left_in_its_mode():
    model = tiny_vae()
    model.train()
    box = latent_explorer(model)
    box.z2.value = 1.0
    assert model.training


def test_the_map_marks_where_z_is():
    box = latent_explorer(tiny_vae(), limit=3.0, scale=4)

    def dot_centre():
        rgb = np.asarray(Image.open(io.BytesIO(box.position.value)).convert("RGB")).astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)
        rows, cols = np.nonzero(red)
        return cols.mean(), rows.mean()

    size = 28 * 4
    assert np.allclose(dot_centre(), ((size - 1) / 2, (size - 1) / 2), atol=0.6)
    box.z1.value, box.z2.value = 3.0, 3.0  # the top-right corner: z₂ points up
    x, y = dot_centre()
    assert x > size - 8 and y < 8
    before = box.position.value
    box.z1.value = 2.95  # one slider step always moves the dot
    assert box.position.value != before

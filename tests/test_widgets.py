"""Headless tests of seminar_utils.widgets (matplotlib Agg, no front end): the widget exists and redraws."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
import torch

from seminar_utils.gmm import GaussianMixtureEM, e_step, log_likelihood
from seminar_utils.gmm.figures import responsibility_colors
from seminar_utils.widgets import em_iteration_slider

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    X = np.vstack(
        [
            rng.normal(size=(80, 2)) + [3.0, 0.0],
            0.5 * rng.normal(size=(60, 2)) + [0.0, 3.0],
            rng.normal(size=(60, 2)) @ [[1.0, 0.4], [0.0, 0.5]] - [2.0, 1.0],
        ]
    )
    em = GaussianMixtureEM(3, init="random", random_state=0, tol=0.0, max_iter=12, keep_params_history=True)
    return X, em.fit(X).params_history_


@pytest.fixture(scope="module")
def slider_box(fitted):
    X, history = fitted
    return em_iteration_slider(X, history, figsize=(6, 3), dpi=50)


def state(box) -> tuple[bytes, np.ndarray, np.ndarray]:
    return (
        bytes(box.image.value),
        box.gmm_plot.scatter.get_facecolors().copy(),
        box.gmm_plot.centers.get_offsets().copy(),
    )


def test_the_widget_has_a_slider_over_every_iteration(slider_box, fitted):
    assert len(fitted[1]) > 3  # the fit takes several iterations, so the slider has something to scrub
    assert isinstance(slider_box, widgets.VBox)
    assert isinstance(slider_box.slider, widgets.IntSlider)
    assert (slider_box.slider.min, slider_box.slider.max) == (0, len(fitted[1]) - 1)
    assert slider_box.slider.value == 0
    assert bytes(slider_box.image.value).startswith(PNG_MAGIC)
    play = [w for w in slider_box.children[0].children if isinstance(w, widgets.Play)]
    assert play and play[0].max == slider_box.slider.max


def test_moving_the_slider_redraws_the_state_of_that_iteration(slider_box, fitted):
    X, history = fitted
    before = state(slider_box)
    for t in (len(history) - 1, 1, 0):
        slider_box.slider.value = t
        weights, means, covariances = history[t]
        resp = e_step(X, weights, means, covariances)[0].exp().numpy()
        np.testing.assert_allclose(slider_box.gmm_plot.scatter.get_facecolors(), responsibility_colors(resp))
        np.testing.assert_allclose(slider_box.gmm_plot.centers.get_offsets(), means)
        ll = log_likelihood(X, weights, means, covariances)
        curve = slider_box.figure.axes[1]
        marker = curve.lines[-1]
        assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (t, pytest.approx(ll, abs=1e-12))
        assert f"t = {t} M-steps" in slider_box.figure.axes[0].get_title()
    after_last = state(slider_box)  # back at t = 0: the same picture as at the start
    assert after_last[0] == before[0]
    slider_box.slider.value = len(history) - 1
    moved = state(slider_box)
    assert moved[0] != before[0]
    assert not np.allclose(moved[1], before[1]) and not np.allclose(moved[2], before[2])
    slider_box.slider.value = 0


def test_the_curve_shows_the_likelihood_of_every_state(slider_box, fitted):
    X, history = fitted
    curve = slider_box.figure.axes[1].lines[0]
    expected = [log_likelihood(X, *params) for params in history]
    np.testing.assert_allclose(curve.get_ydata(), expected, rtol=0, atol=1e-12)
    assert np.all(np.diff(expected) >= -1e-10)  # EM: the curve never goes down


def test_torch_input_gives_the_same_picture(fitted, slider_box):
    X, history = fitted
    box = em_iteration_slider(torch.as_tensor(X), history, figsize=(6, 3), dpi=50)
    np.testing.assert_allclose(box.gmm_plot.scatter.get_facecolors(), slider_box.gmm_plot.scatter.get_facecolors())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_data_gives_the_same_picture(fitted, slider_box):
    X, history = fitted
    box = em_iteration_slider(torch.as_tensor(X, device="cuda"), history, figsize=(6, 3), dpi=50)
    np.testing.assert_allclose(box.gmm_plot.scatter.get_facecolors(), slider_box.gmm_plot.scatter.get_facecolors())

"""Tests of seminar_utils.gmm.figures: the drawn geometry is checked against closed forms (headless, Agg)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from seminar_utils.gmm import GaussianMixtureEM, e_step, log_likelihood
from seminar_utils.gmm.figures import (
    GMMPlot,
    component_colors,
    default_iterations,
    ellipse_geometry,
    plot_em_iterations,
    plot_log_likelihood_history,
    plot_model_selection,
    responsibility_colors,
)

WEIGHTS = np.array([0.5, 0.3, 0.2])
MEANS = np.array([[-2.0, -1.0], [2.5, 0.0], [0.0, 3.0]])
COVARIANCES = np.array([[[1.6, 0.9], [0.9, 1.0]], [[0.8, -0.5], [-0.5, 1.2]], [[0.35, 0.0], [0.0, 0.35]]])


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    z = rng.choice(3, size=300, p=WEIGHTS)
    return MEANS[z] + np.einsum("nij,nj->ni", np.linalg.cholesky(COVARIANCES)[z], rng.standard_normal((300, 2)))


@pytest.fixture(scope="module")
def history(data) -> list:
    em = GaussianMixtureEM(3, init="random", random_state=0, tol=1e-6, max_iter=200, keep_params_history=True)
    return em.fit(data).params_history_


def mahalanobis2(points: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    diff = points - mean
    return np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)


def outline(ellipse) -> np.ndarray:
    """The points where the patch's Bézier segments meet (they lie exactly on the ellipse), data coordinates."""
    ends = np.array([segment.control_points[-1] for segment, _ in ellipse.get_path().iter_bezier()])
    return ellipse.get_patch_transform().transform(ends)


def rotation(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


# ----------------------------------------------------------------------------- colours
def test_component_colors_are_distinct_opaque_rgba():
    for K in (1, 3, 10, 15, 25):
        colors = component_colors(K)
        assert colors.shape == (K, 4)
        assert np.all(colors[:, 3] == 1.0) and np.all((0 <= colors) & (colors <= 1))
        assert len({tuple(np.round(c, 6)) for c in colors}) == K
    np.testing.assert_allclose(component_colors(3)[:, :3], plt.get_cmap("tab10").colors[:3])


def test_responsibility_colors_mix_component_colors():
    colors = component_colors(3)
    one_hot = np.eye(3)[[2, 0, 1]]
    np.testing.assert_allclose(responsibility_colors(one_hot), colors[[2, 0, 1]])
    half = responsibility_colors(torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64))
    np.testing.assert_allclose(half[0, :3], (colors[0, :3] + colors[1, :3]) / 2)
    custom = responsibility_colors([[0.25, 0.75]], colors=[[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(custom, [[0.25, 0.0, 0.75, 1.0]])


# ----------------------------------------------------------------------------- ellipses
@pytest.mark.parametrize(
    "stds, angle, n_std",
    [((2.0, 1.0), 0.0, 1.0), ((3.0, 1.0), 30.0, 2.0), ((1.0, 0.5), 120.0, 1.5), ((0.7, 0.2), 179.0, 1.0)],
)
def test_ellipse_geometry_closed_form(stds, angle, n_std):
    R = rotation(angle)
    cov = R @ np.diag(np.square(stds)) @ R.T
    width, height, got_angle = ellipse_geometry(cov, n_std)
    assert width == pytest.approx(2 * n_std * stds[0])
    assert height == pytest.approx(2 * n_std * stds[1])
    assert got_angle == pytest.approx(angle % 180.0, abs=1e-9)


def test_ellipse_geometry_of_a_degenerate_covariance():
    width, height, angle = ellipse_geometry(np.array([[4.0, 0.0], [0.0, 0.0]]), 1.0)
    assert (width, height, angle) == pytest.approx((4.0, 0.0, 0.0))


# ----------------------------------------------------------------------------- GMMPlot
def test_gmm_plot_draws_contours_of_each_component(data):
    fig, ax = plt.subplots()
    resp = e_step(data, WEIGHTS, MEANS, COVARIANCES)[0].exp().numpy()
    plot = GMMPlot(ax, data, resp, MEANS, COVARIANCES, WEIGHTS)
    np.testing.assert_allclose(plot.scatter.get_facecolors(), responsibility_colors(resp))
    np.testing.assert_allclose(plot.centers.get_offsets(), MEANS)
    for k in range(3):
        for n_std, ellipse in zip((1.0, 2.0), plot.ellipses[k]):
            # the patch's outline, in data coordinates, lies on (x-μ)ᵀ Σ⁻¹ (x-μ) = n_std²
            points = outline(ellipse)
            assert len(points) >= 8
            np.testing.assert_allclose(mahalanobis2(points, MEANS[k], COVARIANCES[k]), n_std**2, rtol=1e-9)
        assert plot.labels[k].get_text() == f"π={WEIGHTS[k]:.2f}"
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < data[:, 0].min() and data[:, 0].max() < x1 and y0 < data[:, 1].min() and data[:, 1].max() < y1


def test_gmm_plot_update_moves_everything(data, history):
    fig, ax = plt.subplots()
    w0, m0, c0 = history[0]
    plot = GMMPlot(ax, data, e_step(data, w0, m0, c0)[0].exp(), m0, c0, w0, show_weights=False)
    assert all(label.get_text() == "" for label in plot.labels)
    limits = (ax.get_xlim(), ax.get_ylim())
    w, m, c = history[-1]
    resp = e_step(data, w, m, c)[0].exp().numpy()
    plot.update(resp, m, c, w)
    np.testing.assert_allclose(plot.scatter.get_facecolors(), responsibility_colors(resp))
    np.testing.assert_allclose(plot.centers.get_offsets(), m)
    for k in range(3):
        np.testing.assert_allclose(mahalanobis2(outline(plot.ellipses[k][0]), m[k], c[k]), 1.0, rtol=1e-9)
    assert (ax.get_xlim(), ax.get_ylim()) == limits


# ----------------------------------------------------------------------------- small multiples, curves
def test_default_iterations():
    assert default_iterations(1) == [0]
    assert default_iterations(2) == [0, 1]
    picks = default_iterations(35, count=6)
    assert picks[0] == 0 and picks[-1] == 34 and picks == sorted(set(picks)) and len(picks) <= 6
    assert picks[:3] == [0, 1, 2]


def test_plot_em_iterations_titles_give_each_state_likelihood(data, history):
    iterations = [0, 1, len(history) - 1]
    fig = plot_em_iterations(data, history, iterations, ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and len(fig.axes) == 4
    for ax, t in zip(visible, iterations):
        assert ax.get_title() == f"t = {t}:  ℓ = {log_likelihood(data, *history[t]):.3f}"
        assert len(ax.patches) == 3 * 2  # 1σ and 2σ ellipses of 3 components


def test_plot_log_likelihood_history_plots_the_values():
    fig, ax = plt.subplots()
    values = [-4.0, -3.5, -3.4, -3.39]
    (line,) = plot_log_likelihood_history(ax, values, label="EM")
    np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
    np.testing.assert_array_equal(line.get_ydata(), values)


def test_plot_model_selection_marks_the_best_k():
    ks, bic, heldout = [1, 2, 3, 4], [50.0, 30.0, 20.0, 25.0], [-4.0, -3.6, -3.7, -3.8]
    fig = plot_model_selection(ks, bic, heldout, train=[-4.0, -3.5, -3.4, -3.3])
    ax_bic, ax_ll = fig.axes
    star_bic = [line for line in ax_bic.lines if line.get_marker() == "*"][0]
    star_ll = [line for line in ax_ll.lines if line.get_marker() == "*"][0]
    assert (star_bic.get_xdata()[0], star_bic.get_ydata()[0]) == (3, 20.0)
    assert (star_ll.get_xdata()[0], star_ll.get_ydata()[0]) == (2, -3.6)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_plot_like_cpu_arrays(data):
    cuda = {
        name: torch.as_tensor(a, device="cuda")
        for name, a in dict(X=data, weights=WEIGHTS, means=MEANS, covariances=COVARIANCES).items()
    }
    resp = e_step(cuda["X"], cuda["weights"], cuda["means"], cuda["covariances"])[0].exp()
    assert resp.device.type == "cuda"
    fig, (ax_cpu, ax_gpu) = plt.subplots(1, 2)
    on_cpu = GMMPlot(ax_cpu, data, resp.cpu().numpy(), MEANS, COVARIANCES, WEIGHTS)
    on_gpu = GMMPlot(ax_gpu, cuda["X"], resp, cuda["means"], cuda["covariances"], cuda["weights"])
    np.testing.assert_allclose(on_gpu.scatter.get_facecolors(), on_cpu.scatter.get_facecolors(), atol=1e-12)
    np.testing.assert_allclose(on_gpu.centers.get_offsets(), on_cpu.centers.get_offsets())

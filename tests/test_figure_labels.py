"""Seminar 01's mixture figures: the axes say x₁ and x₂, and the weights π_k stand clear of the mean's ×."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("agg")

import matplotlib.pyplot as plt

from seminar_utils.gmm.figures import GMMPlot, plot_em_iterations

MEANS = np.array([[-2.0, -1.0], [0.0, 3.0], [2.5, 0.0]])
COVARIANCES = np.stack([np.eye(2) * s for s in (1.0, 0.3, 0.6)])
WEIGHTS = np.array([0.45, 0.2, 0.35])


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.multivariate_normal(m, c, 60) for m, c in zip(MEANS, COVARIANCES)])


def test_a_mixture_plot_labels_its_axes_unless_they_are_labelled(data):
    resp = np.full((len(data), 3), 1 / 3)
    fig, (plain, named) = plt.subplots(1, 2)
    named.set(xlabel="first", ylabel="second")
    GMMPlot(plain, data, resp, MEANS, COVARIANCES, WEIGHTS)
    GMMPlot(named, data, resp, MEANS, COVARIANCES, WEIGHTS)
    assert (plain.get_xlabel(), plain.get_ylabel()) == ("x₁", "x₂")
    assert (named.get_xlabel(), named.get_ylabel()) == ("first", "second")
    plt.close(fig)


def test_the_weights_sit_beside_their_means_without_covering_the_cross(data):
    resp = np.full((len(data), 3), 1 / 3)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=80)
    plot = GMMPlot(ax, data, resp, MEANS, COVARIANCES, WEIGHTS)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for k, label in enumerate(plot.labels):
        assert np.allclose(label.xy, MEANS[k]) and label.get_text() == f"π={WEIGHTS[k]:.2f}"
        cross = ax.transData.transform(MEANS[k])  # the × in display pixels, about 8 px across
        box = label.get_window_extent(renderer)
        assert box.x0 > cross[0] + 4 and box.y0 > cross[1] + 4, f"π_{k} overlaps its mean's ×"
    shifted = MEANS + 1.0
    plot.update(resp, shifted, COVARIANCES, WEIGHTS)
    assert all(np.allclose(label.xy, m) for label, m in zip(plot.labels, shifted))
    plt.close(fig)


def test_em_iterations_name_the_axes_once_per_row_and_column(data):
    history = [(torch.tensor(WEIGHTS), torch.tensor(MEANS), torch.tensor(COVARIANCES))] * 6
    for shown, below in ((range(6), [False] * 3 + [True] * 3), ([0, 1, 2, 3, 5], [False, False, True, True, True])):
        fig = plot_em_iterations(data, history, list(shown), ncols=3)
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert len(visible) == len(shown)
        # x₁ under the lowest panel of each column (also above an empty slot), x₂ left of each row
        assert [ax.get_xlabel() == "x₁" for ax in visible] == below
        assert [ax.get_ylabel() == "x₂" for ax in visible] == [i % 3 == 0 for i in range(len(shown))]
        plt.close(fig)

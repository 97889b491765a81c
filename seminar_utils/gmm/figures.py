"""Figures of the EM-for-Gaussian-mixtures seminar (2-D data only).

Points coloured by their responsibilities γ (a point shared between two components gets the mix of
their colours), 1σ/2σ covariance ellipses, small multiples of EM iterations, log-likelihood curves and
the model-selection plot (BIC, held-out log-likelihood). Arrays may be NumPy or torch; they are
plotted as NumPy float64. Log-likelihoods are averages per point, in nats. The figures trust their
caller (``GaussianMixtureEM`` and ``e_step`` check the mixtures they make): a wrong shape fails with
NumPy's or matplotlib's own error.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse
from matplotlib.ticker import MaxNLocator

from ..runtime import to_numpy
from .steps import e_step

__all__ = [
    "GMMPlot",
    "component_colors",
    "default_iterations",
    "ellipse_geometry",
    "plot_em_iterations",
    "plot_log_likelihood_history",
    "plot_model_selection",
    "responsibility_colors",
]

ArrayLike = np.ndarray | torch.Tensor | Sequence


def _mixture(means: ArrayLike, covariances: ArrayLike, weights: ArrayLike | None = None):
    """(weights or None, means (K, 2), covariances (K, 2, 2)) as NumPy arrays."""
    return None if weights is None else to_numpy(weights), to_numpy(means), to_numpy(covariances)


def component_colors(n_components: int) -> np.ndarray:
    """One RGBA colour per component, ``(n_components, 4)``: tab10, then tab20, then evenly spaced hues."""
    if n_components <= 20:
        cmap = plt.get_cmap("tab10" if n_components <= 10 else "tab20")
        base = np.asarray(cmap.colors[:n_components], dtype=float)
        return np.hstack([base, np.ones((n_components, 1))])
    return plt.get_cmap("hsv")(np.arange(n_components) / n_components)


def responsibility_colors(resp: ArrayLike, colors: ArrayLike | None = None) -> np.ndarray:
    """Colour of each point as the γ-weighted mix of its components' colours.

    resp: ``(N, K)`` responsibilities (rows sum to 1); colors: ``(K, 3 or 4)`` RGB(A), default
    :func:`component_colors`. Returns ``(N, 4)`` RGBA, opaque.
    """
    resp = to_numpy(resp)
    colors = component_colors(resp.shape[1]) if colors is None else to_numpy(colors)
    rgb = np.clip(np.clip(resp, 0.0, 1.0) @ colors[:, :3], 0.0, 1.0)
    return np.hstack([rgb, np.ones((rgb.shape[0], 1))])


def ellipse_geometry(cov: ArrayLike, n_std: float = 1.0) -> tuple[float, float, float]:
    """(width, height, angle in degrees) of the ellipse {x : (x-μ)ᵀ Σ⁻¹ (x-μ) = n_std²} of a 2×2 Σ.

    The axes lie along Σ's eigenvectors with half-lengths ``n_std · sqrt(eigenvalue)``; ``width`` is
    the major axis and ``angle`` its direction, counter-clockwise from the x axis, in [0, 180).
    """
    values, vectors = np.linalg.eigh(to_numpy(cov))
    values = np.clip(values, 0.0, None)
    major = vectors[:, 1]
    angle = float(np.degrees(np.arctan2(major[1], major[0]))) % 180.0
    return 2 * n_std * float(np.sqrt(values[1])), 2 * n_std * float(np.sqrt(values[0])), angle


class GMMPlot:
    """One mixture on one Axes: points coloured by γ, 1σ/2σ ellipses, means (×), weights π_k.

    X ``(N, 2)``, resp ``(N, K)``, means ``(K, 2)``, covariances ``(K, 2, 2)``, weights ``(K,)``
    (written next to each mean unless ``show_weights=False`` or weights is None).
    ``update(resp, means, covariances, weights)`` moves everything in place (for sliders); the axis
    limits stay those of the data, so components that start far away do not rescale the picture.
    """

    def __init__(
        self,
        ax: Axes,
        X: ArrayLike,
        resp: ArrayLike,
        means: ArrayLike,
        covariances: ArrayLike,
        weights: ArrayLike | None = None,
        *,
        n_stds: Sequence[float] = (1.0, 2.0),
        colors: ArrayLike | None = None,
        point_size: float = 8.0,
        show_weights: bool = True,
    ) -> None:
        self.ax = ax
        self.show_weights = bool(show_weights)
        self.X = to_numpy(X)
        weights, means, covariances = _mixture(means, covariances, weights)
        K = means.shape[0]
        self.colors = component_colors(K) if colors is None else to_numpy(colors)
        self.n_stds = tuple(float(s) for s in n_stds)
        self.scatter = ax.scatter(
            self.X[:, 0],
            self.X[:, 1],
            s=point_size,
            linewidths=0,
            c=responsibility_colors(resp, self.colors),
        )
        self.ellipses: list[list[Ellipse]] = []
        for k in range(K):
            row = []
            for j in range(len(self.n_stds)):
                e = Ellipse(
                    (0, 0),
                    1,
                    1,
                    fill=False,
                    color=self.colors[k],
                    lw=2.0 if j == 0 else 1.2,
                    ls="-" if j == 0 else "--",
                    zorder=3,
                )
                ax.add_patch(e)
                row.append(e)
            self.ellipses.append(row)
        self.centers = ax.scatter(
            means[:, 0], means[:, 1], marker="x", s=60, linewidths=2.5, c=self.colors[:, :3] * 0.6, zorder=4
        )
        pale = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}  # π_k: up-right of its ×
        self.labels = [
            ax.annotate("", (0, 0), xytext=(7, 7), textcoords="offset points", fontsize=8, zorder=5, bbox=pale, color=c)
            for c in self.colors * [0.6, 0.6, 0.6, 1]
        ]
        lo, hi = self.X.min(axis=0), self.X.max(axis=0)
        pad = 0.08 * (hi - lo) + 1e-9
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        ax.set_aspect("equal", adjustable="box")
        ax.set(xlabel=ax.get_xlabel() or "x₁", ylabel=ax.get_ylabel() or "x₂")
        self.update(resp, means, covariances, weights)

    def update(
        self, resp: ArrayLike, means: ArrayLike, covariances: ArrayLike, weights: ArrayLike | None = None
    ) -> None:
        """Redraw with new responsibilities ``(N, K)`` and parameters (same N and K as before)."""
        weights, means, covariances = _mixture(means, covariances, weights)
        self.scatter.set_facecolors(responsibility_colors(resp, self.colors))
        for k in range(len(self.ellipses)):
            for s, e in zip(self.n_stds, self.ellipses[k]):
                e.width, e.height, e.angle = ellipse_geometry(covariances[k], s)
                e.set_center(means[k])
        self.centers.set_offsets(means)
        for k, label in enumerate(self.labels):
            label.xy = tuple(means[k])
            label.set_text("" if weights is None or not self.show_weights else f"π={weights[k]:.2f}")


def default_iterations(n_states: int, count: int = 6) -> list[int]:
    """About ``count`` iterations out of ``0..n_states-1`` for small multiples: 0, 1, 2, … geometric, last."""
    picks = {0, n_states - 1}
    if n_states > 2 and count > 2:
        picks |= {round(t) for t in np.geomspace(1, n_states - 1, count - 1)[:-1]}
    return sorted(picks)


def plot_em_iterations(
    X: ArrayLike,
    params_history: Sequence[tuple],
    iterations: Sequence[int] | None = None,
    *,
    ncols: int = 3,
    panel_size: float = 2.8,
    point_size: float = 5.0,
) -> Figure:
    """Small multiples of EM: for each chosen t, the points coloured by γ under θ_t and θ_t's ellipses.

    params_history: ``[(weights (K,), means (K, 2), covariances (K, 2, 2)), ...]`` with entry t the
    parameters after t M-steps (``GaussianMixtureEM(keep_params_history=True).params_history_``).
    Each title gives t and the average log-likelihood of θ_t (nats).
    """
    X = to_numpy(X)
    iterations = default_iterations(len(params_history)) if iterations is None else list(iterations)
    ncols = min(ncols, len(iterations))
    nrows = -(-len(iterations) // ncols)
    extent = X.max(axis=0) - X.min(axis=0) + 1e-9
    height = panel_size * float(np.clip(extent[1] / extent[0], 0.5, 2.0)) + 0.3  # + the title
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size * ncols, height * nrows),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    Xt = torch.as_tensor(X, dtype=torch.float64)
    for i, (ax, t) in enumerate(zip(axes.flat, iterations)):
        weights, means, covariances = (torch.as_tensor(to_numpy(p)) for p in params_history[t])
        log_resp, ll = e_step(Xt, weights, means, covariances)
        GMMPlot(ax, X, log_resp.exp(), means, covariances, weights, point_size=point_size, show_weights=False)
        ax.set_title(f"t = {t}:  ℓ = {ll:.3f}", fontsize=10)
        lowest = i + ncols >= len(iterations)  # nothing drawn below it: its column's x₁ goes here
        ax.set(xlabel="x₁" if lowest else "", ylabel="x₂" if i % ncols == 0 else "")
        ax.xaxis.set_tick_params(labelbottom=lowest)
    for ax in list(axes.flat)[len(iterations) :]:
        ax.set_visible(False)
    return fig


def plot_log_likelihood_history(ax: Axes, history: ArrayLike, label: str | None = None, **line_kwargs) -> list:
    """Average log-likelihood (nats) per EM iteration on ``ax``; returns the Line2D list."""
    history = to_numpy(history)
    marker, ms = line_kwargs.pop("marker", "o"), line_kwargs.pop("ms", 3)
    lines = ax.plot(np.arange(len(history)), history, marker=marker, ms=ms, label=label, **line_kwargs)
    ax.set(xlabel="EM iteration t", ylabel="average log-likelihood (nats)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    return lines


def plot_model_selection(ks: ArrayLike, bic: ArrayLike, heldout: ArrayLike, train: ArrayLike | None = None) -> Figure:
    """Choosing K: BIC (lower is better) and the average held-out log-likelihood (higher is better).

    ks: ``(M,)`` numbers of components; bic, heldout, train: ``(M,)`` values for each K.
    """
    ks, bic, heldout = to_numpy(ks), to_numpy(bic), to_numpy(heldout)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    ax0.plot(ks, bic, "o-", color="C0")
    best = int(np.argmin(bic))
    ax0.plot(ks[best], bic[best], "*", ms=16, color="C3", label=f"min at K = {ks[best]:g}")
    ax0.set(xlabel="K", ylabel="BIC", title="BIC on the training set (lower is better)")
    if train is not None:
        ax1.plot(ks, to_numpy(train), "s--", color="0.5", label="training set")
    ax1.plot(ks, heldout, "o-", color="C1", label="held-out set")
    best = int(np.argmax(heldout))
    ax1.plot(ks[best], heldout[best], "*", ms=16, color="C3", label=f"held-out max at K = {ks[best]:g}")
    ax1.set(xlabel="K", ylabel="average log-likelihood (nats)", title="log-likelihood (higher is better)")
    for ax in (ax0, ax1):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        ax.set_xticks(ks)
    return fig

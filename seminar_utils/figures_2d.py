"""Figures of 2-D points and densities (seminar 03): scatter plots, point sets side by side, a
density (or log-density) on a grid. Every function takes torch tensors or numpy arrays and returns
the matplotlib Figure (or Axes) it drew on, so a notebook can add to it. They trust their caller: a
wrong shape fails with NumPy's, torch's or matplotlib's own error."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .runtime import to_numpy

__all__ = ["density_on_grid", "plot_density", "plot_samples", "scatter_2d"]

Extent = tuple[float, float, float, float]


def scatter_2d(
    points, ax: Axes | None = None, title: str | None = None, extent=None, s: float = 2.0, alpha: float = 0.4, **kwargs
) -> Axes:
    """A scatter plot of ``points`` ``(n, 2)`` with equal axis scales; ``extent`` fixes the limits."""
    pts = to_numpy(points)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(pts[:, 0], pts[:, 1], s=s, alpha=alpha, **kwargs)
    if extent is not None:
        xmin, xmax, ymin, ymax = extent
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_samples(
    sets: Mapping[str, object], extent=None, size: float = 3.3, ncols: int | None = None, figsize=None, **kwargs
) -> Figure:
    """Point sets side by side, one panel each, with the same limits: ``{"data": x, "samples": s}``.

    ``extent`` defaults to a box around all the sets (the 0.5th to 99.5th percentiles); the panels
    fill rows of ``ncols`` (default: one row), ``size`` inches each unless ``figsize`` is given.
    """
    arrays = {name: to_numpy(pts) for name, pts in sets.items()}
    if extent is None:
        allpts = np.concatenate(list(arrays.values()))
        lo, hi = np.percentile(allpts, 0.5, axis=0), np.percentile(allpts, 99.5, axis=0)
        pad = 0.1 * (hi - lo) + 1e-3
        extent = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    ncols = len(arrays) if ncols is None else ncols
    nrows = -(-len(arrays) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (size * ncols, size * nrows), squeeze=False)
    for ax, (name, pts) in zip(axes.flat, arrays.items()):
        scatter_2d(pts, ax=ax, title=name, extent=extent, **kwargs)
    for ax in list(axes.flat)[len(arrays) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


@torch.no_grad()
def density_on_grid(
    log_prob: Callable[[torch.Tensor], torch.Tensor], extent, n: int = 100, chunk_size: int = 2048, device=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``log_prob`` ``(batch, 2) -> (batch,)`` (nats) on an ``n × n`` grid over ``extent``.

    Returns ``(xs (n,), ys (n,), log_p (n, n))`` with ``log_p[i, j]`` at ``(xs[j], ys[i])``; the
    points go through ``log_prob`` ``chunk_size`` at a time (float32, on ``device``).
    """
    xmin, xmax, ymin, ymax = extent
    xs, ys = np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)
    grid = torch.tensor(np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2), dtype=torch.float32, device=device)
    values = []
    for chunk in grid.split(chunk_size):
        values.append(log_prob(chunk).detach().double().cpu())
    return xs, ys, torch.cat(values).numpy().reshape(n, n)


def plot_density(
    log_p,
    extent,
    ax: Axes | None = None,
    title: str | None = None,
    kind: str = "heatmap",
    log: bool = False,
    n: int = 100,
    cmap: str = "viridis",
    levels: int | Sequence = 12,
    vmax: float | None = None,
) -> Axes:
    """The density exp(log p) (or ``log`` p) over ``extent`` as a ``"heatmap"`` or ``"contour"`` plot.

    ``log_p`` is a grid ``(n, n)`` from :func:`density_on_grid` (rows along y) or a callable
    ``(batch, 2) -> (batch,)`` evaluated on an ``n × n`` grid here. ``vmax`` caps the heatmap's
    colour scale (e.g. at the true density's maximum, so that two panels compare).
    """
    xmin, xmax, ymin, ymax = extent
    if callable(log_p):
        _, _, log_p = density_on_grid(log_p, extent, n=n)
    log_p = to_numpy(log_p)
    values = log_p if log else np.exp(log_p)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    if kind == "heatmap":  # else a contour plot
        ax.imshow(
            values,
            origin="lower",
            extent=(xmin, xmax, ymin, ymax),
            cmap=cmap,
            aspect="equal",
            interpolation="nearest",
            vmin=0.0 if not log else None,
            vmax=vmax,
        )
    else:
        xs, ys = np.linspace(xmin, xmax, values.shape[1]), np.linspace(ymin, ymax, values.shape[0])
        ax.contour(xs, ys, values, levels=levels, cmap=cmap)
        ax.set_aspect("equal")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    if title:
        ax.set_title(title, fontsize=10)
    return ax

"""Figures of the image seminar: image grids, reconstructions, interpolations, the 2-D latent space.

Images are ``(N, 1, H, W)`` (or ``(N, H, W)``) with values in [0, 1] — Bernoulli probabilities or
binary pixels; grids are laid out by ``torchvision.utils.make_grid``. Each function draws on ``ax``
(a new figure when None) and returns the Axes. They trust their caller: a wrong shape fails with
torch's or matplotlib's own error, and values outside [0, 1] are drawn clipped.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from torch import nn
from torchvision.utils import make_grid

from .runtime import module_device_dtype, to_numpy

__all__ = [
    "decoded_means",
    "latent_grid",
    "live_samples",
    "plot_latent_scatter",
    "plot_manifold",
    "show_images",
    "show_interpolations",
    "show_reconstructions",
]


def _images(images) -> torch.Tensor:
    """``images`` (tensor or array) as a float tensor ``(N, 1, H, W)`` on the CPU."""
    images = torch.as_tensor(images).detach().cpu().float()
    return images.unsqueeze(1) if images.dim() == 3 else images


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def decoded_means(model: nn.Module, z: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The decoder's mean image for each ``z`` ``(n, z_dim)``: ``(n, *x_shape)`` on the CPU.

    Bernoulli decoder: the probabilities σ(logits); Gaussian: μ_x clipped to [0, 1].
    """
    z = torch.as_tensor(z, dtype=torch.float32)
    device = module_device_dtype(model)[0]
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for chunk in z.split(batch_size):
            out = model.decode(chunk.to(device))
            mean = torch.sigmoid(out) if model.likelihood == "bernoulli" else out[0].clamp(0, 1)
            outs.append(mean.cpu())
    model.train(was_training)
    return torch.cat(outs)


def show_images(images, nrow: int = 10, ax: Axes | None = None, title: str | None = None, padding: int = 2) -> Axes:
    """A grid of ``images`` ``(N, 1, H, W)`` in [0, 1], ``nrow`` per row, separated by grey lines."""
    images = _images(images)
    grid = make_grid(images, nrow=nrow, padding=padding, pad_value=0.5)[0]  # (H', W')
    rows = -(-len(images) // nrow)
    ax = _axes(ax, (min(nrow, len(images)) * 0.55, rows * 0.55 + 0.3))
    ax.imshow(grid.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def show_reconstructions(x, x_reconstructed, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Inputs (top row) above their reconstructions (bottom row), both ``(N, 1, H, W)`` in [0, 1]."""
    x, x_reconstructed = _images(x), _images(x_reconstructed)
    n, height = len(x), x.shape[2]
    ax = show_images(torch.cat([x, x_reconstructed]), nrow=n, ax=_axes(ax, (n * 0.55, 1.6)), title=title)
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([2 + height / 2, 4 + 1.5 * height], ["input x", "reconstruction"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return ax


def show_interpolations(strips, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Interpolation strips ``(rows, steps, 1, H, W)`` (or one strip ``(steps, 1, H, W)``), one per row."""
    strips = torch.as_tensor(strips).detach()
    if strips.dim() == 4:
        strips = strips.unsqueeze(0)
    rows, steps = strips.shape[:2]
    return show_images(
        strips.reshape(rows * steps, *strips.shape[2:]),
        nrow=steps,
        ax=_axes(ax, (steps * 0.55, rows * 0.6 + 0.3)),
        title=title,
    )


def latent_grid(n: int = 15, limit: float = 3.0) -> torch.Tensor:
    """``(n * n, 2)`` points of a regular grid over [-limit, limit]², the centres of n × n cells.

    Ordered row by row from the top (largest z₂) and left to right (growing z₁), as
    ``make_grid`` lays images out, so the decoded grid is drawn with z₁ across and z₂ up.
    """
    centres = -limit + (2 * limit / n) * (torch.arange(n, dtype=torch.float32) + 0.5)
    z2, z1 = torch.meshgrid(centres.flip(0), centres, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)


def plot_manifold(
    model: nn.Module,
    n: int = 15,
    limit: float = 3.0,
    ax: Axes | None = None,
    title: str | None = "decoded means over the latent plane",
) -> Axes:
    """The learned 2-D manifold: the decoder's mean image at every point of ``latent_grid(n, limit)``.

    The axes are in latent coordinates (z₁ across, z₂ up), so the picture lines up with
    :func:`plot_latent_scatter` drawn with the same ``limit``. Needs ``model.z_dim == 2``.
    """
    images = decoded_means(model, latent_grid(n, limit))
    grid = make_grid(images, nrow=n, padding=0)[0]
    ax = _axes(ax, (5.5, 5.5))
    ax.imshow(grid.numpy(), cmap="gray", vmin=0, vmax=1, extent=(-limit, limit, -limit, limit))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_latent_scatter(
    z, labels, ax: Axes | None = None, limit: float | None = 3.0, title: str | None = "test set: means of q(z | x, φ)"
) -> Axes:
    """Points ``z`` ``(N, 2)`` coloured by their digit ``labels`` ``(N,)`` (0-9), with a legend."""
    z, labels = to_numpy(z), to_numpy(labels).astype(np.int64)
    ax = _axes(ax, (5.5, 5.5))
    cmap = plt.get_cmap("tab10")
    for digit in np.unique(labels):
        mine = labels == digit
        ax.scatter(z[mine, 0], z[mine, 1], s=6, color=cmap(int(digit) % 10), label=str(digit), alpha=0.8)
    ax.legend(title="digit", markerscale=2.5, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if limit is not None:
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return ax


def live_samples(z: torch.Tensor, every: int = 1, nrow: int | None = None) -> Callable[[int, nn.Module, object], None]:
    """A ``callback`` for :func:`seminar_utils.training.fit` that shows the model's samples as it learns.

    Every ``every`` epochs it decodes the fixed latents ``z`` ``(n, z_dim)`` (decoder means) and
    shows them in one notebook output that is updated in place, titled with the epoch and the
    losses of the ``History``. Fixed z make the epochs comparable: the same points of the prior.
    """
    from IPython.display import display

    z = torch.as_tensor(z, dtype=torch.float32).detach()
    nrow = len(z) if nrow is None else nrow
    handle = None

    def callback(epoch: int, model: nn.Module, history) -> None:
        nonlocal handle
        if epoch % every:
            return
        title = f"samples after epoch {epoch}: train loss {history.train['loss'][-1]:.1f}"
        if history.test:
            title += f", {history.test_name} loss {history.test['loss'][-1]:.1f} nats"
        rows = -(-len(z) // nrow)
        fig, ax = plt.subplots(figsize=(nrow * 0.5, rows * 0.5 + 0.4))
        show_images(decoded_means(model, z), nrow=nrow, ax=ax)
        ax.set_title(title, fontsize=9)
        if handle is None:
            handle = display(fig, display_id=True)
        else:
            handle.update(fig)
        plt.close(fig)

    return callback

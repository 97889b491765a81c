"""Interactive widgets of the seminars (ipywidgets), one function per widget.

Each function returns an ipywidgets container that a notebook shows as its cell's last value. The
figure is drawn with matplotlib's Agg renderer into an ``ipywidgets.Image``, so a widget works in any
Jupyter front end without a matplotlib widget backend, and its handles (``.slider``, ``.figure``)
can be driven by tests. A notebook always shows a static figure beside a widget: without a running
kernel a widget is only a picture of its first state. The widgets trust their caller, as the figures
do: a wrong shape fails with torch's or matplotlib's own error.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from .figures_images import decoded_means
from .gmm import e_step
from .gmm.figures import GMMPlot, plot_log_likelihood_history
from .runtime import to_numpy

__all__ = ["em_iteration_slider", "latent_explorer"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def em_iteration_slider(
    X: np.ndarray | torch.Tensor,
    params_history: Sequence[tuple],
    *,
    figsize: tuple[float, float] = (9.0, 3.8),
    dpi: int = 80,
) -> widgets.VBox:
    """A slider (with a play button) over EM iterations t = 0 … T.

    Left: the points coloured by their responsibilities γ under θ_t, with θ_t's 1σ/2σ ellipses and
    weights. Right: the average log-likelihood ℓ(θ_t) (nats) of every state, the current one marked.

    X: ``(N, 2)`` data; params_history: ``[(weights (K,), means (K, 2), covariances (K, 2, 2)), ...]``,
    entry t = parameters after t M-steps (``GaussianMixtureEM(keep_params_history=True)``).
    Returns a ``VBox`` with the attributes ``slider`` (``IntSlider``), ``figure`` (the matplotlib
    ``Figure`` that is redrawn), ``image`` (the ``Image`` showing it) and ``gmm_plot`` (``GMMPlot``).
    """
    image = widgets.Image(format="png")
    fig, gmm_plot, draw = _em_figure(to_numpy(X), params_history, figsize, dpi, image)
    last = len(params_history) - 1
    slider = widgets.IntSlider(
        value=0,
        min=0,
        max=last,
        step=1,
        description="iteration t",
        continuous_update=True,
        layout=widgets.Layout(width="60%"),
    )
    play = widgets.Play(value=0, min=0, max=last, step=1, interval=500, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    slider.observe(lambda change: draw(change["new"]), names="value")
    draw(0)
    box = widgets.VBox([widgets.HBox([play, slider]), image])
    box.slider, box.figure, box.image, box.gmm_plot = slider, fig, image, gmm_plot
    return box


def _em_figure(X: np.ndarray, params_history: Sequence[tuple], figsize, dpi: int, image: widgets.Image):
    """The slider's figure (the mixture under θ_0 and the ℓ curve), its ``GMMPlot`` and ``draw(t)``,
    which redraws it for θ_t into ``image``."""
    states = [tuple(torch.as_tensor(to_numpy(p)) for p in params) for params in params_history]
    e_steps = [e_step(torch.as_tensor(X), *state) for state in states]  # (log_resp, ℓ) under each θ_t
    lls = np.array([ll for _, ll in e_steps])
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax_points, ax_curve = fig.subplots(1, 2, width_ratios=(1.1, 1.0))
    weights, means, covariances = states[0]
    gmm_plot = GMMPlot(ax_points, X, e_steps[0][0].exp(), means, covariances, weights, point_size=6)
    plot_log_likelihood_history(ax_curve, lls, color="C0")
    ax_curve.set_xlabel("EM iteration t (M-steps done)")
    (marker,) = ax_curve.plot([0], [lls[0]], "o", ms=10, color="C3", zorder=5)

    def draw(t: int) -> None:
        weights, means, covariances = states[t]
        gmm_plot.update(e_steps[t][0].exp(), means, covariances, weights)
        ax_points.set_title(f"θ after t = {t} M-steps, ℓ = {lls[t]:.4f}", fontsize=10)
        marker.set_data([t], [lls[t]])
        image.value = _png(fig)

    return fig, gmm_plot, draw


# ------------------------------------------------------------------ the image seminar's latent explorer
def _png_bytes(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="png")
    return buffer.getvalue()


def _digit_png(image: torch.Tensor, scale: int) -> bytes:
    """A grey-scale PNG of one image ``(1, H, W)`` or ``(H, W)`` in [0, 1], each pixel ``scale``² big."""
    from PIL import Image

    pixels = (image.reshape(image.shape[-2:]).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    picture = Image.fromarray(pixels).resize(  # uint8 (H, W): grey-scale "L"
        (pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST
    )
    return _png_bytes(picture)


def _position_png(z1: float, z2: float, limit: float, size: int) -> bytes:
    """A ``size`` × ``size`` map of the square [-limit, limit]²: the axes, and a dot where z is."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(picture)
    middle = (size - 1) / 2
    draw.line([(middle, 0), (middle, size)], fill="lightgrey")
    draw.line([(0, middle), (size, middle)], fill="lightgrey")
    draw.rectangle([0, 0, size - 1, size - 1], outline="grey")
    x = middle + z1 / limit * middle
    y = middle - z2 / limit * middle  # z₂ up
    draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill="crimson")
    return _png_bytes(picture)


def latent_explorer(model: torch.nn.Module, limit: float = 3.0, step: float = 0.05, scale: int = 6) -> widgets.HBox:
    """Sliders over z₁ and z₂ of a VAE with ``z_dim = 2``, showing the decoded digit live.

    The picture is the decoder's mean at z = (z₁, z₂): the probabilities σ(logits) of a Bernoulli
    decoder (:func:`seminar_utils.figures_images.decoded_means`), each pixel ``scale`` × ``scale``;
    beside it a map of [-limit, limit]² with a dot at z (the axes of the notebook's manifold figure).
    Returns an ``HBox`` with the attributes ``z1``, ``z2`` (``FloatSlider`` over [-limit, limit]),
    ``image`` (the digit's ``Image``) and ``position`` (the map's), so a test or a notebook can drive it.
    """

    def slider(name: str) -> widgets.FloatSlider:
        return widgets.FloatSlider(
            value=0.0, min=-limit, max=limit, step=step, description=name, continuous_update=True, readout_format=".2f"
        )

    z1, z2 = slider("z₁"), slider("z₂")
    image, position = widgets.Image(format="png"), widgets.Image(format="png")

    def draw(_change=None) -> None:
        z = torch.tensor([[z1.value, z2.value]], dtype=torch.float32)
        image.value = _digit_png(decoded_means(model, z)[0], scale)
        position.value = _position_png(z1.value, z2.value, limit, size=28 * scale)

    z1.observe(draw, names="value")
    z2.observe(draw, names="value")
    draw()
    box = widgets.HBox([widgets.VBox([widgets.Label("latent z = (z₁, z₂)"), z1, z2]), image, position])
    box.z1, box.z2, box.image, box.position = z1, z2, image, position
    return box

"""Draw the figures the notebooks show: ``python pics/make_pics.py`` (or ``make pics``).

- ``vae_diagram.png``: x → encoder q(z | x, φ) → (μ, log σ) → z = μ + σ ⊙ ε → decoder p(x | z, θ).
- ``gmm_graphical_model.png``: the Gaussian mixture as a graphical model in plate notation.

Everything is drawn with matplotlib, so the figures are the project's own and reproducible.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon
from PIL import Image

HERE = Path(__file__).resolve().parent
DPI = 160  # the notebooks show them at most 640 and 420 px wide: at least twice as many pixels, sharp on any screen
BLUE, ORANGE, GREEN, GREY = "#dbe9f6", "#fde2c8", "#d9f0d3", "#eeeeee"


def _box(ax, xy, w, h, text, color, fontsize=13, shape="round"):
    x, y = xy
    if shape == "trapezoid_in":  # wide on the left, narrow on the right: an encoder
        pts = [(x, y), (x + w, y + 0.18 * h), (x + w, y + 0.82 * h), (x, y + h)]
        ax.add_patch(Polygon(pts, closed=True, fc=color, ec="black", lw=1.3))
    elif shape == "trapezoid_out":  # narrow on the left, wide on the right: a decoder
        pts = [(x, y + 0.18 * h), (x + w, y), (x + w, y + h), (x, y + 0.82 * h)]
        ax.add_patch(Polygon(pts, closed=True, fc=color, ec="black", lw=1.3))
    else:
        ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08", fc=color, ec="black", lw=1.3)
        )
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, text=None, offset=0.13):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, lw=1.4, color="black"))
    if text:
        ax.text(
            (start[0] + end[0]) / 2,
            (start[1] + end[1]) / 2 + offset,
            text,
            ha="center",
            va="bottom",
            fontsize=10,
            color="#333333",
        )


def vae_diagram(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(11.5, 3.4))
    ax.set_xlim(0, 11.5)
    ax.set_ylim(0, 3.4)
    ax.axis("off")
    y0, h = 1.0, 1.4
    _box(ax, (0.1, y0 + 0.3), 0.9, 0.8, "$x$", GREY, 16)
    _box(ax, (1.4, y0), 1.6, h, "encoder\n$q(z \\mid x, \\varphi)$", BLUE, 12, "trapezoid_in")
    _box(ax, (3.5, y0 + 0.78), 1.0, 0.55, "$\\mu_z$", BLUE, 13)
    _box(ax, (3.5, y0 + 0.07), 1.0, 0.55, "$\\log \\sigma_z$", BLUE, 13)
    _box(ax, (5.1, y0 + 0.2), 1.9, 1.0, "$z = \\mu_z + \\sigma_z \\odot \\varepsilon$", GREEN, 13)
    ax.text(6.05, 0.35, "$\\varepsilon \\sim \\mathcal{N}(0, I)$", ha="center", fontsize=12)
    _arrow(ax, (6.05, 0.62), (6.05, y0 + 0.18))
    _box(ax, (7.5, y0), 1.6, h, "decoder\n$p(x \\mid z, \\theta)$", ORANGE, 12, "trapezoid_out")
    _box(ax, (9.6, y0 + 0.25), 1.85, 0.9, "$\\mu_x, \\log \\sigma_x$  (2D)\nor logits (images)", ORANGE, 11)
    _arrow(ax, (1.0, y0 + 0.7), (1.4, y0 + 0.7))
    _arrow(ax, (3.0, y0 + 0.95), (3.5, y0 + 1.05))
    _arrow(ax, (3.0, y0 + 0.45), (3.5, y0 + 0.35))
    _arrow(ax, (4.5, y0 + 1.05), (5.1, y0 + 0.85))
    _arrow(ax, (4.5, y0 + 0.35), (5.1, y0 + 0.55))
    _arrow(ax, (7.0, y0 + 0.7), (7.5, y0 + 0.7))
    _arrow(ax, (9.1, y0 + 0.7), (9.6, y0 + 0.7))
    ax.text(
        0.1,
        3.05,
        "Variational autoencoder: φ are the encoder's parameters, θ the decoder's; prior $p(z) = \\mathcal{N}(0, I)$",
        fontsize=11,
        va="center",
    )
    _save(fig, path)


def _save(fig, path: Path) -> None:
    """Write ``fig`` as a PNG with a palette of at most 256 colours (flat colours and their edges: no visible loss)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    image = Image.open(buffer).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def _node(ax, xy, text, observed=False, r=0.42):
    ax.add_patch(Circle(xy, r, fc="#c8c8c8" if observed else "white", ec="black", lw=1.4))
    ax.text(*xy, text, ha="center", va="center", fontsize=15)


def _param(ax, xy, text):
    ax.add_patch(Circle(xy, 0.07, fc="black"))
    ax.text(xy[0], xy[1] + 0.22, text, ha="center", va="bottom", fontsize=14)


def _plate(ax, x, y, w, h, label):
    ax.add_patch(
        FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.1", fc="none", ec="black", lw=1.2)
    )
    ax.text(x + w - 0.12, y + 0.12, label, ha="right", va="bottom", fontsize=12)


def gmm_graphical_model(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    ax.set_xlim(0, 7.0)
    ax.set_ylim(0, 3.6)
    ax.axis("off")
    pi, z, x = (0.7, 1.6), (2.6, 1.6), (4.4, 1.6)
    _param(ax, pi, "$\\pi$")
    _node(ax, z, "$z_n$")
    _node(ax, x, "$x_n$", observed=True)
    _plate(ax, 1.9, 0.55, 3.2, 2.1, "$n = 1, \\dots, N$")
    _param(ax, (6.1, 2.1), "$\\mu_k$")
    _param(ax, (6.1, 1.1), "$\\Sigma_k$")
    _plate(ax, 5.55, 0.5, 1.2, 2.3, "$K$")
    _arrow(ax, (pi[0] + 0.08, pi[1]), (z[0] - 0.44, z[1]))
    _arrow(ax, (z[0] + 0.44, z[1]), (x[0] - 0.44, x[1]))
    _arrow(ax, (6.02, 2.07), (x[0] + 0.4, x[1] + 0.12))
    _arrow(ax, (6.02, 1.13), (x[0] + 0.4, x[1] - 0.12))
    ax.text(
        0.1,
        3.3,
        "$z_n \\sim \\mathrm{Categorical}(\\pi)$,   $x_n \\mid z_n = k \\sim \\mathcal{N}(\\mu_k, \\Sigma_k)$",
        fontsize=12,
        va="center",
    )
    ax.text(0.1, 0.2, "shaded: observed;  white: latent;  dots: parameters θ = (π, μ, Σ)", fontsize=10, color="#333333")
    _save(fig, path)


FIGURES = {"vae_diagram.png": vae_diagram, "gmm_graphical_model.png": gmm_graphical_model}


def main() -> None:
    for name, draw in FIGURES.items():
        draw(HERE / name)
        print(f"wrote pics/{name}")


if __name__ == "__main__":
    main()

"""How a notebook shows its figures: sharp on a high-density screen, in a deck and on the site.

Every notebook's first cell calls :func:`sharp_figures`. From then on each matplotlib figure the
kernel shows is a PNG drawn at twice the pixels it is displayed at (its ``width``/``height``
metadata say the displayed size, as IPython's ``retina`` format does), so it stays sharp when a
browser, a deck or a phone enlarges it. To keep the notebooks within their size limit the PNG is
stored with a palette of at most 256 colours, without dithering: plots are flat colours and their
anti-aliased edges, grey digits have 256 levels at most, and a colour map loses at most its finest
steps. That costs about the bytes of a 1× full-colour PNG instead of 2.2–2.8 times them.

Why PNG and not SVG: JupyterLab refuses to draw an SVG output of a notebook that is not trusted
("Cannot display an untrusted SVG"), which is every notebook opened from a clone; a PNG is shown
everywhere — JupyterLab, nbconvert's decks, the site, GitHub.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["figure_png", "sharp_figures"]

SCALE = 2  # pixels drawn per displayed pixel
PALETTE = 256  # the most colours a palette PNG holds


def figure_png(fig: Figure, scale: int = SCALE) -> tuple[bytes, dict[str, int]]:
    """``fig`` as PNG bytes drawn at ``scale`` × its dpi, and the metadata that displays it at 1×.

    The image is cropped to its content (``bbox_inches="tight"``, as the inline backend does) and
    quantised to a palette of at most 256 colours (no dithering); an odd side is padded with white.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ValueError(f"scale: expected a positive integer, got {scale!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi * scale, bbox_inches="tight", facecolor="white")
    drawn = Image.open(buffer).convert("RGB")
    # whole displayed pixels: the tight crop can be odd, so pad it with white to a multiple of ``scale``
    width, height = (-(-side // scale) * scale for side in drawn.size)
    image = Image.new("RGB", (width, height), "white")
    image.paste(drawn, (0, 0))
    out = io.BytesIO()
    image.quantize(colors=PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="png", optimize=True
    )
    return out.getvalue(), {"width": width // scale, "height": height // scale}


def _png_formatter(fig: Figure):
    if not fig.axes and not fig.images:
        return None  # an empty figure shows nothing, as with the inline backend
    return figure_png(fig)


def _backend_name() -> str:
    try:
        return str(matplotlib.get_backend(auto_select=False))  # matplotlib ≥ 3.10: without loading it
    except TypeError:
        return str(matplotlib.get_backend())


def sharp_figures() -> None:
    """Show this kernel's matplotlib figures as 2× PNGs (see the module's docstring).

    Call it once, in a notebook's first cell. Outside IPython (a plain script) it does nothing.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    if "inline" in _backend_name():
        # the inline backend chooses the formats once, when it is loaded (at the first figure): load it
        # now, so that the choice below is the last one
        import matplotlib_inline.backend_inline  # noqa: F401

    formatters = shell.display_formatter.formatters
    for mime in ("image/svg+xml", "image/jpeg", "application/pdf"):
        formatters[mime].pop(Figure, None)
    formatters["image/png"].for_type(Figure, _png_formatter)


def colours_in(png: bytes) -> int:
    """The number of distinct colours of a PNG image (for the tests)."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return len(np.unique(image.reshape(-1, 3), axis=0))

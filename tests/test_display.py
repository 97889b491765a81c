"""The notebooks' figure format (seminar_utils.display): PNGs at twice the displayed pixels, stored with a
palette, shown through IPython's own display machinery."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("agg")

import matplotlib.pyplot as plt

from seminar_utils.display import colours_in, figure_png, sharp_figures


@pytest.fixture
def scatter():
    fig, ax = plt.subplots(figsize=(4.0, 3.0), dpi=80)
    points = np.random.default_rng(0).normal(size=(500, 2))
    ax.scatter(points[:, 0], points[:, 1], c=points[:, 0], s=6)
    ax.set_title("a scatter")
    yield fig
    plt.close(fig)


def test_the_png_has_twice_the_pixels_it_is_displayed_at(scatter):
    data, meta = figure_png(scatter)
    image = Image.open(io.BytesIO(data))
    assert image.size == (2 * meta["width"], 2 * meta["height"])
    # the tight crop of a 4 × 3 inch figure at 80 dpi: a little under 320 × 240 displayed pixels
    assert 250 < meta["width"] <= 330 and 180 < meta["height"] <= 250
    assert image.mode == "P" and colours_in(data) <= 256


def test_the_palette_keeps_the_figure(scatter):
    # against the full-colour render at the same dpi: the palette moves a pixel by a few levels at most
    data, _ = figure_png(scatter)
    buffer = io.BytesIO()
    scatter.savefig(buffer, format="png", dpi=2 * scatter.dpi, bbox_inches="tight", facecolor="white")
    full = np.asarray(Image.open(buffer).convert("RGB"), dtype=float)
    palette = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)
    full = np.pad(
        full,
        ((0, palette.shape[0] - full.shape[0]), (0, palette.shape[1] - full.shape[1]), (0, 0)),
        constant_values=255,
    )
    assert np.abs(full - palette).mean() < 1.0 and np.percentile(np.abs(full - palette), 99) <= 16


def test_a_palette_png_at_2x_costs_about_a_full_colour_png_at_1x(scatter):
    data, _ = figure_png(scatter)
    buffer = io.BytesIO()
    scatter.savefig(buffer, format="png", bbox_inches="tight")
    assert len(data) < 1.3 * len(buffer.getvalue())


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="fig: expected a matplotlib Figure, got list"):
        figure_png([1, 2])
    fig = plt.figure()
    with pytest.raises(ValueError, match="scale: expected a positive integer, got 0"):
        figure_png(fig, scale=0)
    plt.close(fig)


def test_an_ipython_shell_shows_figures_as_2x_pngs_only(scatter):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.display_formatter.formatters["image/svg+xml"].for_type(type(scatter), lambda fig: "<svg/>")
        sharp_figures()
        bundle, meta = shell.display_formatter.format(scatter)
    finally:
        InteractiveShell.clear_instance()
    assert "image/svg+xml" not in bundle
    image = Image.open(io.BytesIO(bundle["image/png"]))
    assert image.size == (2 * meta["image/png"]["width"], 2 * meta["image/png"]["height"])


def test_outside_ipython_it_does_nothing():
    assert sharp_figures() is None


def test_the_pictures_have_twice_the_pixels_the_notebooks_show_them_at():
    from tools.paths import ROOT

    shown = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        shown += re.findall(r'<img src=\\"\.\./(pics/[\w.-]+\.png)\\" width=(\d+)>', text)
    assert shown, "no <img src=../pics/... width=N> in the notebooks: the pattern above is out of date"
    for picture, width in shown:
        pixels = Image.open(ROOT / picture).size[0]
        assert pixels >= 2 * int(width), (
            f"{picture} is {pixels} px wide, shown at {width} px: draw it at 2x (pics/make_pics.py)"
        )


def test_a_deck_shows_a_2x_figure_at_its_displayed_size_and_at_most_520_px_tall(tmp_path, scatter):
    import base64

    import bs4
    import nbformat

    from tools.slides import build_deck

    data, meta = figure_png(scatter)
    encoded = base64.b64encode(data).decode()

    def figure(width, height):
        return nbformat.v4.new_output(
            "display_data", data={"image/png": encoded}, metadata={"image/png": {"width": width, "height": height}}
        )

    cells = [nbformat.v4.new_code_cell("plt.show()", outputs=[figure(**meta), figure(780, 650)])]
    (tmp_path / "README.md").write_text("# R\n\n## Notation\n| a | b |\n|---|---|\n| $x$ | data |\n")
    html = build_deck(nbformat.v4.new_notebook(cells=cells), tmp_path / "t.ipynb", root=tmp_path)
    sizes = [(img.get("width"), img.get("height")) for img in bs4.BeautifulSoup(html, "html.parser").find_all("img")]
    assert sizes == [(str(meta["width"]), str(meta["height"])), ("624", "520")]
    # the template's width: auto (which would show the 2x pixels at twice the size) spares sized images
    assert ".jp-OutputArea-output img:not([width]) { max-height: 520px; width: auto; }" in html


def test_a_deck_shows_consecutive_prints_of_a_cell_as_one_block():
    import nbformat

    from tools.slides import static_outputs

    cell = nbformat.v4.new_code_cell(
        "check(...)\nprint('b')",
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="a: PASSED\n"),
            nbformat.v4.new_output("stream", name="stdout", text="b\n"),
            nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
            nbformat.v4.new_output("stream", name="stdout", text="c\n"),
        ],
    )
    assert [(o.name, o.text) for o in static_outputs(cell)] == [
        ("stdout", "a: PASSED\nb\n"),
        ("stderr", "warning\n"),
        ("stdout", "c\n"),
    ]

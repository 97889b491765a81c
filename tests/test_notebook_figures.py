"""The committed notebooks' figures are sharp: every figure output (and every figure an Output widget kept) is
a PNG with at least twice the pixels its metadata displays it at (seminar_utils.display), and none is an SVG,
which JupyterLab does not draw in a notebook that is not trusted."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from tools.paths import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def figure_outputs(nb: dict) -> list[dict]:
    outputs = [out for cell in nb["cells"] for out in cell.get("outputs", [])]
    widgets = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in widgets.get("state", {}).values():
        outputs += model.get("state", {}).get("outputs", []) or []
    return [out for out in outputs if any(k.startswith("image/") for k in out.get("data", {}))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_is_a_png_at_twice_its_displayed_size(path):
    figures = figure_outputs(json.loads(path.read_text(encoding="utf-8")))
    assert figures, f"{path.name} has no figure output"
    for number, out in enumerate(figures, 1):
        kinds = sorted(out["data"])
        assert "image/svg+xml" not in kinds, f"{path.name}, figure {number}: an SVG output ({kinds})"
        width = out.get("metadata", {}).get("image/png", {}).get("width")
        assert width, f"{path.name}, figure {number}: no displayed width in its metadata (not drawn by sharp_figures)"
        pixels = Image.open(io.BytesIO(base64.b64decode(out["data"]["image/png"]))).size[0]
        assert pixels >= 2 * width, f"{path.name}, figure {number}: {pixels} px shown at {width} px (re-execute it)"

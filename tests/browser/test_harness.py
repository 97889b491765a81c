"""The harness checked on throwaway notebooks whose outcome is known: it must see the errors that are
there (a traceback inside a widget, a SyntaxError, a broken image, cells left unrun), must not see the
ones a cell declares (``raises-exception``), and must tell a slider that redraws from one that does not.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.browser

OUTSIDE = "http://example.com/seminar-browser-test.png"  # the network guard must stop this one
# a 1x1 PNG, written beside the notebook so that a relative <img> resolves
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5d9e5"
    "a40000000049454e44ae426082"
)

DRAW = """\
import io
import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

def png(k):
    fig = Figure(figsize=(2, 1.5), dpi=60)
    fig.add_subplot().plot(range(10), [i ** k for i in range(10)])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()"""

LIVE_IMAGE = """\
slider = widgets.IntSlider(value=1, min=0, max=4, description="live")
image = widgets.Image(value=png(1), width=160)
slider.observe(lambda change: setattr(image, "value", png(change["new"])), "value")
widgets.VBox([slider, image])"""

DEAD_IMAGE = """\
dead = widgets.IntSlider(value=4, min=0, max=4, description="dead")
widgets.VBox([dead, widgets.Image(value=png(2), width=160)])"""

INTERACT = """\
@widgets.interact(k=widgets.IntSlider(value=1, min=0, max=4, description="interact"))
def show(k):
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=60)
    ax.plot(range(10), [i ** k for i in range(10)])
    plt.show()"""


def _write(root: Path, name: str, cells: list) -> tuple[str, Path]:
    folder = root / "selftest"
    folder.mkdir(exist_ok=True)
    (folder / "pixel.png").write_bytes(PIXEL)
    nb = new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nbformat.write(nb, folder / name)
    return f"selftest/{name}", folder / name


def test_the_harness_sees_every_kind_of_failure(lab_server, open_notebook, browser_context):
    path, source = _write(
        lab_server.root,
        "failures.ipynb",
        [
            new_markdown_cell(
                '# Self-test\n<img src="pixel.png" width=20> <img src="missing.png" width=20> '
                f'<img src="{OUTSIDE}" width=20>'
            ),
            new_code_cell('import os\nprint("SEMINAR_FAST =", os.environ.get("SEMINAR_FAST"))'),
            new_code_cell("import ipywidgets as widgets\nout = widgets.Output()\ndisplay(out)\nwith out:\n    1 / 0"),
            new_code_cell('raise ValueError("a cell that is meant to fail")', metadata={"tags": ["raises-exception"]}),
            new_code_cell("def broken(:\n    pass"),
            new_code_cell('print("never reached")'),
        ],
    )
    run = open_notebook(path, source).restart_and_run_all(timeout=120)
    assert "SEMINAR_FAST = 1" in run.cells[1].shown, run.cells[1].shown  # the kernel runs in fast mode
    found = {(p.cell, p.kind) for p in run.problems}
    assert found == {(1, "image"), (3, "error"), (5, "error"), (6, "not run")}, run.describe()
    messages = {cell: "\n".join(p.message for p in run.problems if p.cell == cell) for cell, _ in found}
    assert "ZeroDivisionError" in messages[3]  # a traceback inside an Output widget (DOM)
    assert "SyntaxError" in messages[5]  # no "Traceback" line: found in the notebook model
    assert "missing.png" in messages[1] and OUTSIDE in messages[1]
    assert run.cells[3].count is not None  # JupyterLab ran on past the raises-exception cell
    _, guard = browser_context
    blocked, guard.blocked = guard.blocked, []  # the fixture fails a test whose page reached outside
    assert blocked == [OUTSIDE]


def test_the_harness_tells_a_redrawing_slider_from_a_dead_one(lab_server, open_notebook):
    path, source = _write(
        lab_server.root,
        "sliders.ipynb",
        [
            new_code_cell(DRAW),
            new_code_cell(INTERACT),
            new_code_cell(LIVE_IMAGE),
            new_code_cell(DEAD_IMAGE),
        ],
    )
    notebook = open_notebook(path, source)
    run = notebook.restart_and_run_all(timeout=120)
    assert not run.problems, run.describe()
    assert notebook.sliders().count() == 3
    moves = [notebook.move_slider(i, timeout=5) for i in range(3)]
    assert [(m.cell, m.label, m.changed) for m in moves] == [
        (2, "interact", True),
        (3, "live", True),
        (4, "dead", False),
    ], moves
    assert [(m.before, m.after) for m in moves] == [("1", "2"), ("1", "2"), ("4", "3")]  # ArrowLeft at max

"""Each seminar notebook, run in JupyterLab in a real (headless) browser as a student runs it.

For every notebook in notebooks/: open it (a copy without outputs), Kernel → Restart Kernel and Run
All Cells… with ``SEMINAR_FAST=1``, wait until the kernel is idle and every code cell has its
execution count, and fail if any cell shows an error, a broken image or a widget that did not render.
Then every slider on the page is moved one step with the keyboard and must redraw the figure of its
cell; 01 must show the EM-iteration slider and 04 the latent explorer's two sliders (z1, z2).
A screenshot of each notebook goes to build/screenshots/<notebook>.png.
"""

from __future__ import annotations

import pytest
from lab_server import REPO

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# sliders each seminar must show (every slider on any page must redraw its figure when moved)
MIN_SLIDERS = {"01_em_gmm": 1, "04_vae_images": 2}
RUN_TIMEOUT = 300  # seconds for one notebook's Run All in fast mode (they take ~10-60 s on 2 cores)
REDRAW_TIMEOUT = 60  # seconds for a figure to change after a slider moved


def test_the_seminars_are_there():
    missing = sorted(f"{stem}.ipynb" for stem in MIN_SLIDERS if not (REPO / "notebooks" / f"{stem}.ipynb").exists())
    assert not missing, f"notebooks/ lacks {missing}: their widgets cannot be checked in the browser"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_widgets_respond(source, open_notebook, screenshots):
    notebook = open_notebook(f"notebooks/{source.name}", source)
    shot = screenshots / f"{source.stem}.png"
    run = notebook.restart_and_run_all(RUN_TIMEOUT)
    if run.problems:
        notebook.screenshot(shot, cell=run.first_problem_cell)
        pytest.fail(f"{source.name} in JupyterLab (screenshot: {shot}):\n{run.describe()}", pytrace=False)

    count = notebook.sliders().count()
    moves = [notebook.move_slider(i, timeout=REDRAW_TIMEOUT) for i in range(count)]
    after = notebook.report(run.seconds)  # a redraw can also fail with a traceback inside a widget
    dead = [m for m in moves if not m.changed]
    wanted = MIN_SLIDERS.get(source.stem, 0)
    problems = [p.message for p in after.problems]
    problems += [
        f"cell {m.cell}: slider {m.label!r} "
        + (
            f"moved {m.before} -> {m.after} but no figure in the cell changed within {REDRAW_TIMEOUT} s"
            if m.before != m.after
            else f"did not move with the keyboard (its readout stays {m.before})"
        )
        for m in dead
    ]
    if count < wanted:
        problems.append(f"{count} slider widget(s) rendered, expected at least {wanted}")
    focus = dead[0].cell if dead else after.first_problem_cell or (moves[0].cell if moves else None)
    notebook.screenshot(shot, cell=focus)
    print(
        f"{source.name}: Run All {run.seconds:.0f} s{' (started twice)' if run.retried else ''}, "
        f"{len(run.cells)} cells; sliders: "
        + (
            ", ".join(
                f"cell {m.cell} {m.label!r} {m.before}->{m.after} "
                + (f"redrawn in {m.seconds:.1f} s" if m.changed else "NOT redrawn")
                for m in moves
            )
            or "none"
        )
    )
    if problems:
        pytest.fail(
            f"{source.name} in JupyterLab (screenshot: {shot}):\n" + "\n".join(f"- {p}" for p in problems),
            pytrace=False,
        )

"""Checks of the notebooks themselves (nbval executes them; these check how they are written and committed).

The conventions every notebook follows (docs/contributing.md lists them): slide metadata on every cell, a first code cell that
picks the device and seeds, no hard-coded device, figures that exist, outputs committed from one
in-order run, checked claims that actually print something.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from tools.exercises import exercises
from tools.paths import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
# minimum number of `# NBVAL_CHECK_OUTPUT` cells each seminar promises
MIN_CHECKED = {"01_em_gmm": 3, "02_vae_questions": 4, "03_vae_2d": 2, "04_vae_images": 3, "05_vae_evaluation": 2}
FORBIDDEN = {
    r"set_device\s*\(": "hard-codes a GPU",
    r"""device\s*=\s*["']cuda""": "hard-codes a device",
    r"""torch\.device\(\s*["'](cuda|mps)""": "hard-codes a device",
    r"\.cuda\(\)": "hard-codes a device (use .to(device))",
    r"filterwarnings\(\s*[\"']ignore": "silences every warning",
    r"tqdm\.notebook": "breaks outside a browser front end (use tqdm.auto)",
}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _python(src: str) -> str:
    """The cell's Python without IPython magics and shell escapes."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


ids = [p.stem for p in NOTEBOOKS]


def test_the_collection_has_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_cell_has_slide_metadata(path):
    nb = _load(path)
    bad = [
        i
        for i, c in enumerate(nb["cells"])
        if c.get("metadata", {}).get("slideshow", {}).get("slide_type") not in SLIDE_TYPES
    ]
    assert not bad, f"{path.name}: cells {bad} lack metadata.slideshow.slide_type"
    assert nb["cells"][0]["metadata"]["slideshow"]["slide_type"] == "slide", "the first cell is a title slide"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_first_code_cell_sets_device_and_seed(path):
    first = _source(_code_cells(_load(path))[0])
    assert "seminar_utils" in first, "the first code cell imports from seminar_utils"
    assert re.search(r"device\s*=\s*get_device\(\)", first), "the first code cell sets device = get_device()"
    assert "seed_everything(" in first, "the first code cell seeds"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_hard_coded_device_or_silenced_warnings(path):
    for i, cell in enumerate(_code_cells(_load(path))):
        for pattern, why in FORBIDDEN.items():
            assert not re.search(pattern, _source(cell)), f"{path.name} code cell {i} {why}: /{pattern}/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_unused_imports(path):
    cells = [_python(_source(c)) for c in _code_cells(_load(path))]
    imported: list[str] = []
    for src in cells:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    code = "\n".join(cells)
    used = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    unused = sorted(set(imported) - used)
    assert not unused, f"{path.name} imports names it never uses: {unused}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_referenced_pictures_exist(path):
    text = "\n".join(_source(c) for c in _load(path)["cells"])
    refs = set(re.findall(r"((?:\.\./)?pics/[\w./-]+\.(?:png|svg|jpg|gif))", text))
    missing = [r for r in sorted(refs) if not (ROOT / r.removeprefix("../")).is_file()]
    assert not missing, f"{path.name} shows pictures that are not in pics/: {missing}"
    for ref in refs:
        assert ref.startswith("../"), f"{path.name}: {ref!r} must be relative to notebooks/ (../pics/...)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_from_one_in_order_full_run(path):
    nb = _load(path)
    counts = [c.get("execution_count") for c in _code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name} was not executed once, in order, from a fresh kernel (execution counts {counts[:10]}...)"
    )
    errors = [
        (i, o.get("ename"))
        for i, c in enumerate(_code_cells(nb))
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{path.name} has error outputs: {errors}"
    size = path.stat().st_size
    assert size < 2 * 1024 * 1024, f"{path.name} is {size / 1e6:.2f} MB (keep it under 2 MB)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_checked_cells_check_something(path):
    checked = [c for c in _code_cells(_load(path)) if _source(c).lstrip().startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checked) >= MIN_CHECKED.get(path.stem, 1), f"{path.name}: too few # NBVAL_CHECK_OUTPUT cells"
    for cell in checked:
        texts = [o for o in cell.get("outputs", []) if o.get("output_type") in ("stream", "execute_result")]
        assert texts, f"{path.name}: a checked cell prints nothing:\n{_source(cell)[:200]}"
        assert not any(o.get("name") == "stderr" for o in texts), (
            f"{path.name}: a checked cell writes to stderr (progress bar or warning):\n{_source(cell)[:200]}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_solutions_define_something_and_are_checked(path):
    """tools.exercises.exercises enforces the exercise conventions (the student edition relies on them);
    the check cell after each solution must also be compared by nbval."""
    nb = nbformat.read(path, as_version=4)
    for exercise in exercises(nb, path.relative_to(ROOT)):  # an EditionError names the broken cell
        check = _source(nb.cells[exercise.check])
        assert check.lstrip().startswith("# NBVAL_CHECK_OUTPUT"), (
            f"{path.name} cell {exercise.check}: the check of {', '.join(exercise.names)} (solution cell "
            f"{exercise.solution}) starts with # NBVAL_CHECK_OUTPUT so that its verdict is compared"
        )

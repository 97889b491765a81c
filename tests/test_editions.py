"""The editions built from the notebooks (tools/editions.py): slide deck, re-execution; and the one
command line that builds them (``python -m tools``, tools/commands/) with the paths it uses (tools/paths.py).

Each check runs on a small fixture seminar (tests/fixtures/, the same layout as notebooks/ and pics/)
and on every notebook in notebooks/. The student edition and grading (nbgrader) are tested in
tests/test_exercises.py and tests/test_classroom.py.
"""

from __future__ import annotations

import ast
import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import bs4
import nbformat
import pytest
from helpers import tagged_notebook

from seminar_utils.checkpoints import default_checkpoint_dir
from tools import commands, editions
from tools.cells import slide_type, source, tags
from tools.paths import CHECKPOINTS, ROOT, notebooks
from tools.paths import NOTEBOOKS as NOTEBOOK_FOLDER

FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "exercises.ipynb"
NOTEBOOKS = [FIXTURE, *notebooks()]
IDS = ["fixture"] + [p.stem for p in NOTEBOOKS[1:]]
REMOVED = {"remove-cell", "hide-cell"}  # tags that leave a cell out of the deck
IMAGE_MAGIC = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8", "image/gif": b"GIF8", "image/svg+xml": b"<"}


def stdout(cell) -> str:
    """What a code cell printed to stdout."""
    outputs = cell.get("outputs", [])
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


# --- the slide deck of each notebook -----------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_deck_follows_the_slide_metadata_and_shows_every_picture(path, tmp_path):
    nb = _read(path)
    deck = editions.write_slides(path, tmp_path / "slides")
    soup = bs4.BeautifulSoup(deck.read_text(encoding="utf-8"), "html.parser")
    kept = [c for c in nb.cells if not set(tags(c)) & REMOVED]
    kinds = [slide_type(c) for c in kept]
    first_visible = next(k for k in kinds if k not in ("skip", "notes"))
    expected = sum(k in ("slide", "subslide") for k in kinds) + (first_visible not in ("slide", "subslide"))
    leaves = [s for s in soup.select("div.slides section") if s.find("section") is None]
    leaves = [s for s in leaves if s.get("data-deck-id") != "notation"]  # the notation link's target, appended
    assert len(leaves) == expected, f"{path.name}: {len(leaves)} slides in the deck, {expected} in metadata"

    stderr = soup.find_all(attrs={"data-mime-type": "application/vnd.jupyter.stderr"})
    stderr = " ".join(d.get_text() for d in stderr)
    assert "Traceback" not in stderr and not re.search(r"^\w*(Error|Exception)\b", stderr, re.M)
    images = soup.find_all("img")
    for img in images:
        src = img["src"]
        if src.startswith("data:"):
            mime, data = re.match(r"data:([\w/+.-]+);base64,(.*)", src, re.S).groups()
            assert base64.b64decode(data).lstrip().startswith(IMAGE_MAGIC[mime]), f"{path.name}: bad {mime}"
        else:
            assert (deck.parent / src).is_file(), f"{path.name}: the deck shows {src}, which is not there"
    shown = [c for c in kept if slide_type(c) != "skip"]
    pictures = sum(len(re.findall(r"<img\b|!\[", source(c))) for c in shown if c.cell_type == "markdown")
    figures = sum(
        "image/png" in o.get("data", {})
        for c in shown
        for o in c.get("outputs", [])
        if not {"remove-output", "hide-output"} & set(tags(c))
    )
    assert len(images) >= pictures + figures, f"{path.name}: pictures or figures are missing from the deck"
    if any("$" in source(c) for c in shown if c.cell_type == "markdown"):
        assert any("mathjax" in s.get("src", "").lower() for s in soup.find_all("script"))

    html = str(soup)
    assert "# NBVAL_" not in html
    for cell in nb.cells:
        element = soup.find(id=f"cell-id={cell.get('id')}")
        if slide_type(cell) == "skip" or set(tags(cell)) & REMOVED:
            assert element is None, f"{path.name}: a plumbing cell shows in the deck"
            continue
        if {"remove-input", "hide-input"} & set(tags(cell)):
            assert element.find(class_="jp-InputArea") is None, f"{path.name}: a hidden input shows"
        if {"remove-output", "hide-output"} & set(tags(cell)):
            assert element.find(class_="jp-OutputArea") is None, f"{path.name}: a hidden output shows"
        if "answer" in tags(cell) and slide_type(cell) not in ("slide", "subslide"):
            fragment = element.find_parent("div", class_="fragment")  # appears on a click of its own
            first = fragment and fragment.find(id=re.compile("^cell-id="))
            assert first is element, f"{path.name}: the answer {cell.get('id')} is not a fragment of its own"


# --- make execute --------------------------------------------------------------------------------------


def test_execute_runs_in_full_mode_in_order_and_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMINAR_FAST", "1")  # `execute` must drop it: committed outputs are full mode
    shutil.copytree(FIXTURE.parents[1], tmp_path / "repo")
    path = tmp_path / "repo" / "notebooks" / FIXTURE.name
    nb = _read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
    assert commands.main(["execute", str(path)]) == 0
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert "drawing 2000 samples" in "".join(stdout(c) for c in code)  # by_mode's full value
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert not any("execution" in c.metadata for c in code)  # no timing metadata to churn diffs


def test_execute_leaves_a_failing_notebook_untouched(tmp_path, capsys):
    path = tmp_path / "fails.ipynb"
    nbformat.write(tagged_notebook(("code", "print('ran')", []), ("code", "1 / 0", [])), path)
    before = path.read_bytes()
    assert commands.main(["execute", str(path)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert path.read_bytes() == before


# --- the command line: python -m tools COMMAND --------------------------------------------------------

COMMANDS = ["slides", "student", "grade", "execute", "site"]


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_python_m_tools_help_lists_the_five_commands():
    done = _python("-m", "tools", "--help")
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"^ {4}(\w+) ", done.stdout, re.M)  # argparse's list of subcommands
    assert listed == COMMANDS, done.stdout
    assert sorted(commands.COMMANDS) == sorted(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help_with_an_example(name, capsys):
    with pytest.raises(SystemExit) as exited:
        commands.main([name, "--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith(f"usage: python -m tools {name} ")
    examples = help_text.split("\nexamples:\n", 1)[1].splitlines()
    assert examples and all(line.strip().startswith(f"python -m tools {name}") for line in examples), examples
    module = commands.COMMANDS[name]
    assert callable(module.add_arguments) and callable(module.run)


def test_a_missing_or_unknown_command_is_a_usage_error(capsys):
    for argv, says in (([], "required: COMMAND"), (["deck"], "invalid choice: 'deck'")):
        with pytest.raises(SystemExit) as exited:
            commands.main(argv)
        assert exited.value.code == 2
        assert says in capsys.readouterr().err


@pytest.mark.parametrize(
    "module, says", [("tools.editions", "python -m tools COMMAND"), ("tools.website", "python -m tools site")]
)
def test_the_old_entry_points_name_the_new_one(module, says):
    done = _python("-m", module, "slides")
    assert done.returncode == 1 and says in done.stderr and "Traceback" not in done.stderr


def test_the_make_targets_call_python_m_tools():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for name in COMMANDS:
        recipe = re.search(rf"^{name}:.*\n((?:\t.*\n)+)", makefile, re.M)
        assert recipe, f"the Makefile has no {name} target"
        assert f"$(BIN)/python -m tools {name}" in recipe.group(1), recipe.group(1)
    assert re.search(r'python -m tools grade "\$\(SUBMISSIONS\)" .*\$\(MANUAL\).*\$\(GRADE_ARGS\)', makefile)
    assert "tools.editions" not in makefile and "tools.website" not in makefile


def test_the_commands_default_to_the_folders_named_in_tools_paths(monkeypatch):
    parser = commands.parser()
    assert parser.parse_args(["slides"]).out == ROOT / "build" / "slides"
    args = parser.parse_args(["grade", "subs"])
    assert (args.out, args.course) == (ROOT / "build", ROOT / "build" / "course")
    assert parser.parse_args(["site"]).src == ROOT / "build" / "site-src"
    assert (ROOT / "pyproject.toml").is_file() and NOTEBOOK_FOLDER == ROOT / "notebooks"
    assert notebooks() == sorted(NOTEBOOK_FOLDER.glob("*.ipynb")) and notebooks()
    monkeypatch.delenv("SEMINAR_CHECKPOINT_DIR", raising=False)  # the package finds the same cache folder
    assert default_checkpoint_dir() == CHECKPOINTS


def _python_files(*folders: str) -> list[Path]:
    files = [p for folder in folders for p in (ROOT / folder).rglob("*.py")]
    return [p for p in files if not {"fixtures", "exercise_bank"} & set(p.relative_to(ROOT).parts)]


def test_the_repository_root_is_computed_in_one_place():
    computes = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[")
    found = [
        p.relative_to(ROOT) for p in _python_files("tools", "tests") if computes.search(p.read_text(encoding="utf-8"))
    ]
    assert found == [Path("tools/paths.py")], f"{found}: use `from tools.paths import ROOT` (one place)"


def test_no_test_module_edits_sys_path_or_imports_another_test_module():
    tests = _python_files("tests")
    own = {p.stem for p in tests}
    for path in tests:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("sys.path.insert", "sys.path.append"):
                raise AssertionError(
                    f"{path.relative_to(ROOT)}:{node.lineno} edits sys.path (pyproject's pythonpath does)"
                )
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for name in names:
                assert not (name.startswith(("test_", "conftest")) and name in own), f"{path.name} imports {name}"

"""The repository keeps its promises: environment.yml mirrors pyproject.toml, the commands exist,
the figures are drawn by the script in pics/, and the README names every notebook."""

from __future__ import annotations

import re
import subprocess
import sys

import tomllib

from tools.paths import ROOT

# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch"}
REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    name, spec = REQ.match(requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for name, extra in meta.get("optional-dependencies", {}).items():
        if name != "browser":  # the browser tests need Debian's Chromium: not part of a Binder image
            reqs += extra
    return dict(_split(r) for r in reqs)


def _environment_yml() -> tuple[dict[str, str], list[str]]:
    conda, pip, in_pip = {}, [], False
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        stripped = line.split("#")[0].rstrip()
        if not stripped.strip().startswith("- "):
            continue
        item = stripped.strip()[2:].strip()
        if item == "pip:":
            in_pip = True
            continue
        indent = len(line) - len(line.lstrip())
        if in_pip and indent > 2:
            pip.append(item)
            continue
        in_pip = False
        name, spec = _split(item)
        conda[CONDA_TO_PYPI.get(name, name)] = spec
    return conda, pip


def test_environment_yml_names_the_same_packages_as_pyproject():
    conda, pip = _environment_yml()
    conda.pop("python", None)
    conda.pop("pip", None)
    assert conda == _pyproject(), "environment.yml and pyproject.toml disagree (names or lower bounds)"
    assert pip == ["-e ."], "environment.yml installs the project itself with pip"


def test_makefile_offers_the_documented_commands():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "test-full", "install", "bench", "pics"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"make {target} is missing"
    assert "SEMINAR_FAST=1" in makefile and "LAB_ARGS" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_names_every_notebook_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert path.name in readme, f"README's table lacks {path.name}"
    assert "make lab" in readme and "make test" in readme


def test_pictures_are_drawn_by_the_script(tmp_path):
    script = ROOT / "pics" / "make_pics.py"
    code = (
        f"import sys, pathlib; sys.path.insert(0, {str(script.parent)!r}); import make_pics; "
        f"[draw(pathlib.Path({str(tmp_path)!r}) / n) for n, draw in make_pics.FIGURES.items()]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    for name in __import__("os").listdir(tmp_path):
        assert (ROOT / "pics" / name).is_file(), f"pics/{name} is drawn but not committed"
    committed = {p.name for p in (ROOT / "pics").glob("*.png")}
    assert committed == {p.name for p in tmp_path.iterdir()}, "every picture in pics/ comes from make_pics.py"

"""The repository keeps its promises: environment.yml mirrors pyproject.toml, the commands exist,
the figures are drawn by the script in pics/, the README is a student's page (at most 120 lines,
every notebook, in the website's order) and every relative link in the README and docs/ resolves,
and no file refers to one outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


README_LINES = 120  # a student's page: what the course is, the seminars, the two commands, where next
DOCS = ("teaching", "site", "performance", "contributing")  # docs/ by audience
# a Markdown link or image: [text](target) / ![alt](target), the target up to a space or ")"
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def test_readme_is_short_and_names_every_notebook_in_order_and_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_LINES, f"README.md has {len(readme.splitlines())} lines"
    rows = re.findall(r"^\| \[`([\w.-]+\.ipynb)`\]\(notebooks/\1\) \|", readme, re.M)
    assert rows == [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb"))], rows
    listed = [s["notebook"] for s in tomllib.loads((ROOT / "website" / "seminars.toml").read_text())["seminar"]]
    assert rows == listed, "the README's table and website/seminars.toml list the seminars differently"
    assert "make lab" in readme and "make test" in readme
    for doc in DOCS:
        assert f"](docs/{doc}.md)" in readme, f"README.md does not link to docs/{doc}.md"
    assert "](website/notation.md)" in readme


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    markdown = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)  # no headings inside code blocks
    return {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", markdown, re.M)}


def _broken_links(page: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    broken = []
    for target in MD_LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto: — not a file of the repository
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(ROOT) or not file.exists():
            broken.append(f"{target} (no such file in the repository)")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text(encoding="utf-8")):
            broken.append(f"{target} (no heading with the anchor #{anchor} in {file.name})")
    return broken


def test_docs_hold_each_audiences_page_and_every_relative_link_resolves():
    pages = [ROOT / "README.md", *(ROOT / "docs" / f"{d}.md" for d in DOCS), ROOT / "website" / "notation.md"]
    assert sorted((ROOT / "docs").glob("*.md")) == sorted(pages[1:-1]), "docs/ holds a page this test does not know"
    broken = {p.relative_to(ROOT).as_posix(): _broken_links(p) for p in pages}
    assert not any(broken.values()), {k: v for k, v in broken.items() if v}
    assert sum(len(MD_LINK.findall(p.read_text(encoding="utf-8"))) for p in pages) > 20  # the links were found


def test_the_link_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "a.md").write_text("# A page\n## Its second part\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md) [ok](a.md#its-second-part) [web](https://example.org/x) [self](#b)\n# B\n"
        "[gone](missing.md) [no anchor](a.md#elsewhere) ![pic](pics/x.png) [out](../outside.md)\n"
        "```\n[in code](nothing.md)\n```\n",
        encoding="utf-8",
    )
    assert _broken_links(page) == [
        "missing.md (no such file in the repository)",
        "a.md#elsewhere (no heading with the anchor #elsewhere in a.md)",
        "pics/x.png (no such file in the repository)",
        "../outside.md (no such file in the repository)",
    ]
    assert github_anchor("Front-end assets (MathJax, reveal.js)") == "front-end-assets-mathjax-revealjs"
    assert github_anchor("Exercises: from the tags to nbgrader") == "exercises-from-the-tags-to-nbgrader"


# files of the repository that are not text to search (the notebooks are searched, outputs included)
BINARY = {".png", ".jpg", ".gif", ".pt", ".zip", ".gz", ".npz", ".db", ".ico", ".woff", ".woff2", ".ttf"}
# a sibling folder of the clone, or the machine it was written on ("[k]" so this line does not match itself)
OUTSIDE = re.compile(r"\.\./shared\b|\bCONVENTIONS\.md\b|/wor[k]/")


def _tracked_files() -> list[Path]:
    """The repository's files: git's list in a clone, else every file outside the ignored folders."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "node_modules", "build", "checkpoints", "data", "__pycache__"}
        return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def test_nothing_in_the_repository_refers_to_a_file_outside_it():
    found = []
    for file in _tracked_files():
        if file.suffix in BINARY or not file.is_file():
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        found += [f"{file.relative_to(ROOT)}: {m.group(0)!r}" for m in OUTSIDE.finditer(text)]
    assert not found, found


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

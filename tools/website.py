"""Build the course website: ``python -m tools site [--out build/site]`` (``make site``).

A static site of the executed seminars, built offline with Sphinx, myst-nb and sphinx-book-theme from
the committed notebooks — nothing is re-executed, nothing is fetched:

- a landing page made at build time from ``website/seminars.toml``: its introduction and, for each
  seminar, what it teaches, with a link to the seminar's page and slide deck;
- one page per seminar (``seminars/NAME.html``): the notebook with its committed outputs, a line of
  links under its title (deck, student edition), widget outputs replaced by a note (a widget needs a
  kernel; its static figure is on the page) and progress bars dropped;
- the notation page: ``website/notation.md`` as it is (the notebooks and the README link to that file);
- ``slides/``: every seminar's reveal.js deck with reveal.js and MathJax beside it (tools/slides.py);
- ``downloads/student-edition.zip``: ``python -m tools student`` zipped, with its pictures;
- MathJax 3 in ``_static/mathjax`` (from ``node_modules/``, see tools/assets.py) for every equation.

The Sphinx sources are assembled in ``build/site-src/`` from ``website/``, the hand-written part
(``conf.py``, a style sheet, two scripts, ``seminars.toml`` and ``notation.md``: nothing is read from
the README), and the pages generated from the notebooks; Sphinx runs with warnings as errors, so a
broken image or reference stops the build. Open ``build/site/index.html``, or serve the folder from any
static host.

The builder deletes only what it made: it marks ``--out`` and ``--src`` with a file (:data:`MARKER`)
and empties a folder for a new build only when that file is in it (or it is the default
``build/site``/``build/site-src``, git-ignored output); a non-empty folder without it (a home page
folder, the repository) is refused with an error, and nothing in it is touched.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .assets import copy_mathjax, package_dir
from .cells import slide_type, source, tags
from .editions import write_slides
from .paths import ROOT, SITE_OUT, SITE_SRC, WEBSITE
from .slides import NOTATION_LINK, copy_deck_assets, read_notation, shown_code, static_outputs

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as tomli, which pytest and Sphinx install there
    import tomli as tomllib

SEMINARS, NOTATION = WEBSITE / "seminars.toml", WEBSITE / "notation.md"  # the site's own sources
SLIDES, DOWNLOADS, STUDENT_ZIP = "slides", "downloads", "student-edition.zip"
_SUBTITLE = re.compile(r"^(# [^\n]*\n)#{2,6} ([^\n]*)")


class SiteError(RuntimeError):
    """The website cannot be built (the message says what to fix)."""


# written into every folder the builder makes (--out, --src): only a folder holding it is ever deleted
MARKER = ".built-by-tools-website"
# the default folders, in the repository's git-ignored build/ (what `make clean` deletes): the
# builder's own even when an older builder made them without the marker
DEFAULT_OUT, DEFAULT_SRC = SITE_OUT, SITE_SRC


def _ours(folder: Path) -> bool:
    return (folder / MARKER).is_file() or folder.resolve() in (DEFAULT_OUT, DEFAULT_SRC)


def _refusal(folder: Path, option: str) -> str | None:
    """Why ``folder`` may not be used for a build (None when it may): it must be missing, empty or
    marked as an earlier build's (:data:`MARKER`); a file, a link or a folder of anyone else's is not."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        return f"{option} {folder} is not a folder; choose a new or empty folder"
    if folder.is_dir() and not _ours(folder) and any(folder.iterdir()):
        return (
            f"{option} {folder} is not empty and is not an earlier build of the site (it has no {MARKER} "
            "file); nothing was deleted. Choose a new or empty folder"
        )
    return None


def own_folder(folder: Path, option: str) -> Path:
    """``folder`` made ready for a build: created, or emptied when an earlier build made it, and marked
    (:data:`MARKER`); a :class:`SiteError` for any other folder, which is left untouched."""
    if reason := _refusal(folder, option):
        raise SiteError(reason)
    if folder.is_dir() and _ours(folder):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by `python -m tools site`: its next build deletes this folder\n")
    return folder


@dataclass(frozen=True)
class Seminar:
    """One seminar of ``website/seminars.toml``."""

    notebook: Path  # notebooks/NAME.ipynb
    teaches: str  # what it teaches: one paragraph of Markdown

    @property
    def name(self) -> str:
        return self.notebook.stem


SEMINAR_KEYS = {"notebook", "teaches"}


def course(path: Path = SEMINARS) -> tuple[str, list[Seminar]]:
    """The landing page's introduction and the seminars, in order, from ``path`` (``website/seminars.toml``:
    ``introduction = "..."``, then a ``[[seminar]]`` table per notebook with ``notebook = "NAME.ipynb"``
    and ``teaches = "..."``). A file that does not parse or an entry that lacks either key, or has
    another, is a :class:`SiteError` naming the file and the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise SiteError(f"{path}: cannot read the seminars of the site: {err}") from None
    introduction, entries = data.get("introduction"), data.get("seminar")
    if not isinstance(introduction, str) or not introduction.strip():
        raise SiteError(f"{path}: `introduction` must be the landing page's opening text (a non-empty string)")
    if not isinstance(entries, list) or not entries:
        raise SiteError(f"{path}: no seminars (each is a [[seminar]] table with `notebook` and `teaches`)")
    rows = []
    for n, entry in enumerate(entries, 1):
        notebook, teaches = entry.get("notebook"), entry.get("teaches")
        if (
            set(entry) != SEMINAR_KEYS
            or not (isinstance(notebook, str) and re.fullmatch(r"[\w.-]+\.ipynb", notebook))
            or not (isinstance(teaches, str) and teaches.strip())
        ):
            raise SiteError(
                f"{path}: seminar {n} must have exactly `notebook` (a file name in notebooks/, NAME.ipynb) "
                f"and `teaches` (non-empty text); it has {', '.join(f'{k} = {v!r}' for k, v in entry.items())}"
            )
        rows.append(Seminar(ROOT / "notebooks" / notebook, " ".join(teaches.split())))
    return introduction.strip(), rows


def title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def landing_page(introduction: str, rows: list[tuple[Seminar, str]]) -> str:
    """``index.md``: the introduction, then the seminars as a list (one item each: the page, the deck,
    what it teaches), which reads the same on a phone as on a desktop."""
    items = []
    for seminar, name in rows:
        deck = f'<a href="{SLIDES}/{seminar.name}.slides.html">slide deck</a>'
        items.append(f"* **[{name}](seminars/{seminar.name}.ipynb)** · {deck}\n\n  {seminar.teaches}")
    toc = "\n".join(f"seminars/{s.name}" for s, _ in rows)
    return f"""# Latent-variable generative models — seminars

{introduction}

{chr(10).join(items)}

Each seminar page is the notebook as executed in full mode, with its outputs; the interactive widgets
need a running kernel, so the pages show their static figures. **Present** a seminar with its slide
deck (reveal.js: arrow keys, `f` full screen, `s` speaker notes); the decks work offline.
**Students** get the exercise edition of every seminar in one
<a href="{DOWNLOADS}/{STUDENT_ZIP}">zip</a> (exercises stubbed, answers hidden, outputs cleared; run
it in JupyterLab from a clone of the repository, where `make lab` installs everything). The symbols
are the same everywhere: see [the notation](notation.md).

```{{toctree}}
:hidden:
:caption: Seminars

{toc}
```

```{{toctree}}
:hidden:
:caption: Reference

notation
```
"""


def notation_page(path: Path = NOTATION) -> str:
    """``notation.md``: the notation page, ``path`` as it is; it must start with its ``# Notation`` title."""
    return read_notation(path, SiteError)


# links from a notebook to a source of the site's own pages, and the page on the site (from seminars/)
PAGE_LINKS = {NOTATION_LINK: "../notation.md"}


DECK_ONLY = "deck-only"  # a cell for the room (the deck), not for the reader of the site


def on_the_site(cell: nbformat.NotebookNode) -> bool:
    """Whether a notebook cell shows on its page: not the speaker notes, not a cell tagged ``deck-only``."""
    return slide_type(cell) != "notes" and DECK_ONLY not in tags(cell)


def site_notebook(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """A copy of the executed notebook for its page: widget outputs noted, progress bars and the
    checkpoint cache's messages dropped, the lines only the tests or the kernel need left out of the
    code (``# NBVAL_…``, ``%config``), the speaker notes and ``deck-only`` cells left out, a subtitle
    heading right under the title shown in bold (it starts no section), and a line of links (slide
    deck, student edition) under the title cell."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.cells = [cell for cell in nb.cells if on_the_site(cell)]
    first = nb.cells[0]
    if first.cell_type == "markdown":  # "# Title\n### Seminar 02 · ...": the subtitle is no section
        first.source = _SUBTITLE.sub(r"\1**\2**", source(first), count=1)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = shown_code(source(cell))
            cell.outputs = static_outputs(cell)
        elif cell.cell_type == "markdown":  # a link to the notation's source points at the site's page
            text = source(cell)
            for link, page in PAGE_LINKS.items():
                text = text.replace(f"]({link})", f"]({page})")
            cell.source = text
    links = nbformat.v4.new_markdown_cell(
        f'<span class="seminar-links">This seminar as a <a href="../{SLIDES}/{name}.slides.html">slide '
        f'deck</a> (works offline) · the <a href="../{DOWNLOADS}/{STUDENT_ZIP}">student edition</a> '
        "(exercises, zip) · this notebook: the download button at the top of the page</span>",
        metadata={"slideshow": {"slide_type": "skip"}},
    )
    nb.cells.insert(1, links)
    return nb


# The theme's icons: pydata-sphinx-theme loads Font Awesome's script (1.5 MB) on every page to turn about
# a dozen `<i class="fa-solid fa-NAME">` into SVG. The build does that once instead: each icon becomes an
# inline <svg> drawn from the same script's path data, and the script is not loaded (nor copied).
FONTAWESOME = Path("_static") / "scripts" / "fontawesome.js"
_FA_SCRIPT = re.compile(r'[ \t]*<script\b[^>]*\bsrc="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*>\s*</script>\n?')
_FA_ELEMENT = re.compile(r'<(i|span)\b([^>]*?)\bclass="([^"]*\bfa-[^"]*)"([^>]*)>\s*</\1>')
_FA_STYLES = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far", "fa-brands": "fab", "fab": "fab"}
_FA_MODIFIERS = {"fa-lg", "fa-fw", "fa-xs", "fa-sm", "fa-xl", "fa-2x", "fa-spin"}
_FA_PACK = re.compile(r'\("(fas|far|fab)",\w+\)')  # where a style's icon table is handed to the library


def icon_paths(script: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """``(style, name) -> (width, height, SVG path)`` for every single-path icon in Font Awesome's bundled
    script: the icon table that precedes each style's registration call (``…("fas",b)``)."""
    icons, start = {}, 0
    for pack in _FA_PACK.finditer(script):
        table = script[start : pack.start()]
        for m in re.finditer(r'(?<![\w-])"?([a-z0-9-]+)"?:\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+","([^"]+)"\]', table):
            icons.setdefault((pack.group(1), m.group(1)), (int(m.group(2)), int(m.group(3)), m.group(4)))
        start = pack.end()
    return icons


def inline_icons(html: str, icons: dict[tuple[str, str], tuple[int, int, str]], page: str) -> str:
    """``html`` without the Font Awesome script and with each icon element as an inline SVG (its classes
    but the style's, as Font Awesome's script leaves them, ``data-*`` and title kept); an icon missing
    from ``icons`` is a :class:`SiteError` naming it."""

    def svg(m: re.Match) -> str:
        classes = m.group(3).split()
        style = next((_FA_STYLES[c] for c in classes if c in _FA_STYLES), "fas")
        names = [c[3:] for c in classes if c.startswith("fa-") and c not in _FA_STYLES and c not in _FA_MODIFIERS]
        if len(names) != 1 or (style, names[0]) not in icons:
            raise SiteError(f"{page}: no icon for {m.group(0)!r} in the theme's {FONTAWESOME.name}")
        width, height, path = icons[(style, names[0])]
        rest = (m.group(2) + m.group(4)).strip()
        return (
            f'<svg class="site-icon {" ".join(c for c in classes if c not in _FA_STYLES)}"{" " + rest if rest else ""} '
            f'viewBox="0 0 {width} {height}" '
            f'aria-hidden="true" focusable="false"><path d="{path}"></path></svg>'
        )

    return _FA_ELEMENT.sub(svg, _FA_SCRIPT.sub("", html))


# MathJax in separate components instead of the combined tex-chtml.js (1.2 MB, 0.4 MB of it the
# right-click menu): conf.py loads startup.js, which loads these (and the fonts) as the pages need them.
MATHJAX_COMPONENTS = ["startup.js", "core.js", "input/tex.js", "output/chtml.js", "output/chtml/fonts/tex.js"]
# the icon code points of Font Awesome's style sheet, bundled in the theme's CSS: no page uses them now
_FA_CODEPOINTS = re.compile(r'(?<=[{}])\s*(?:\.fa-[a-z0-9-]+\s*,?\s*)+\{--fa:"[^"]*"(?:;--fa--fa:"[^"]*")?;?\}')


def copy_mathjax_components(static: Path) -> None:
    """MathJax's separate components into ``static/mathjax`` (beside what :func:`copy_mathjax` copies)."""
    es5 = package_dir("mathjax") / "es5"
    for name in MATHJAX_COMPONENTS:
        (static / "mathjax" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(es5 / name, static / "mathjax" / name)


def replace_fontawesome(out: Path) -> int:
    """Inline the icons of every page in ``out`` and delete Font Awesome's script; the pages changed."""
    script = out / FONTAWESOME
    if not script.is_file():
        raise SiteError(f"{script} is missing: the theme's icons cannot be inlined (pydata-sphinx-theme changed?)")
    icons = icon_paths(script.read_text(encoding="utf-8"))
    changed = 0
    for page in out.rglob("*.html"):
        if SLIDES in page.relative_to(out).parts:
            continue  # the decks load nothing of the theme
        html = page.read_text(encoding="utf-8")
        new = inline_icons(html, icons, str(page.relative_to(out)))
        if new != html:
            page.write_text(new, encoding="utf-8")
            changed += 1
    script.unlink()  # its licence note (fontawesome.js.LICENSE.txt) stays: the inlined icons are Font Awesome's
    for sheet in (out / "_static" / "styles").glob("pydata-sphinx-theme.css"):
        sheet.write_text(_FA_CODEPOINTS.sub("", sheet.read_text(encoding="utf-8")), encoding="utf-8")
    return changed


_THEMED_BASE = re.compile(r'html\[data-theme="(\w+)"\] \.highlight \{[^}]*?\bcolor: (#[0-9A-Fa-f]+)')
_THEMED_TOKEN = re.compile(r'html\[data-theme="(\w+)"\] \.highlight \.([\w-]+) \{([^}]*)\}')
_CODE_BLOCK = re.compile(r'(<div class="highlight[^"]*"><pre>)(.*?)(</pre>)', re.S)


def plain_tokens(css: str) -> set[str]:
    """The Pygments token classes (``n``, ``p``, ...) that every theme of ``pygments.css`` draws exactly
    like the code around them (its colour, nothing else): a span of one of them changes nothing."""
    base = dict(_THEMED_BASE.findall(css))
    rules: dict[str, dict[str, str]] = {}
    for theme, token, body in _THEMED_TOKEN.findall(css):
        rules.setdefault(token, {})[theme] = body.strip().rstrip(";").strip()
    return {
        token
        for token, per_theme in rules.items()
        if base and set(per_theme) == set(base) and all(per_theme[t] == f"color: {base[t]}" for t in base)
    }


def thin_highlighting(out: Path) -> int:
    """Unwrap, in every page's code blocks, the spans of :func:`plain_tokens` (names and punctuation,
    about a sixth of a seminar page): the code looks the same; the bytes it saves. Returns them."""
    css = out / "_static" / "pygments.css"
    plain = plain_tokens(css.read_text(encoding="utf-8")) if css.is_file() else set()
    if not plain:
        return 0
    tokens = "|".join(map(re.escape, sorted(plain)))
    span = re.compile(rf'<span class="(?:{tokens})">([^<]*)</span>')
    saved = 0
    for page in out.rglob("*.html"):
        if SLIDES in page.relative_to(out).parts:
            continue
        html = page.read_text(encoding="utf-8")
        new = _CODE_BLOCK.sub(lambda m: m.group(1) + span.sub(r"\1", m.group(2)) + m.group(3), html)
        if new != html:
            page.write_text(new, encoding="utf-8")
            saved += len(html.encode()) - len(new.encode())
    return saved


def _student_zip(target: Path) -> None:
    """``python -m tools student`` into a temporary folder, zipped to ``target``."""
    with tempfile.TemporaryDirectory(prefix="student-edition-") as tmp:
        out = Path(tmp) / "student"
        done = subprocess.run(
            [sys.executable, "-m", "tools", "student", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SiteError(f"the student edition failed to build:\n{done.stderr.strip()}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(Path(tmp).rglob("*")):
                if file.is_file():
                    archive.write(file, Path("latent-seminars-student") / file.relative_to(tmp))


def write_sources(src: Path, seminars: Path = SEMINARS, notation: Path = NOTATION) -> list[Path]:
    """Assemble the Sphinx sources in ``src`` (emptied first) from ``website/`` (``seminars`` and
    ``notation`` are its two sources of text) and the notebooks; returns the seminar notebooks."""
    introduction, found = course(seminars)
    notation_text = notation_page(notation)
    for seminar in found:
        if not seminar.notebook.is_file():
            raise SiteError(f"{seminars} names {seminar.notebook.name}, which is not in notebooks/")
    own_folder(src, "--src")  # never deletes a folder it did not make
    shutil.copytree(WEBSITE, src, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    rows = []
    for seminar in found:
        nb = nbformat.read(seminar.notebook, as_version=4)
        rows.append((seminar, title(nb, seminar.name)))
        target = src / "seminars" / seminar.notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(site_notebook(nb, seminar.name), target)
        write_slides(seminar.notebook, src / "_extra" / SLIDES)
    if (ROOT / "pics").is_dir():  # the notebooks' ../pics/ pictures
        shutil.copytree(ROOT / "pics", src / "pics", ignore=shutil.ignore_patterns("*.py"))
    (src / "index.md").write_text(landing_page(introduction, rows), encoding="utf-8")
    (src / "notation.md").write_text(notation_text, encoding="utf-8")
    copy_deck_assets(src / "_extra" / SLIDES)
    copy_mathjax(src / "_static")
    copy_mathjax_components(src / "_static")
    _student_zip(src / "_extra" / DOWNLOADS / STUDENT_ZIP)
    return [s.notebook for s in found]


def build(out: Path = DEFAULT_OUT, src: Path = DEFAULT_SRC) -> Path:
    """Build the website into ``out`` (emptied first) from sources assembled in ``src``; each must be
    a new or empty folder, or one that an earlier build made (:func:`own_folder`)."""
    for folder, option in ((out, "--out"), (src, "--src")):  # refused before anything is written
        if reason := _refusal(folder, option):
            raise SiteError(reason)
    if out.resolve().is_relative_to(src.resolve()) or src.resolve().is_relative_to(out.resolve()):
        raise SiteError(f"--out {out} and --src {src} must be two separate folders, neither inside the other")
    from sphinx.cmd.build import build_main  # after the checks (which need no Sphinx), before any writing

    write_sources(src)
    own_folder(out, "--out")
    code = build_main(["-b", "html", "-q", "-W", "--keep-going", "-d", str(src / "_doctrees"), str(src), str(out)])
    if code != 0:
        raise SiteError(f"Sphinx failed (exit code {code}); its messages are above")
    for source_map in (out / "_static").rglob("*.js.map"):  # the theme's, for debugging it: 3 MB
        source_map.unlink()
    replace_fontawesome(out)
    thin_highlighting(out)
    (out / ".nojekyll").touch()  # GitHub Pages: serve _static/ and _images/ as they are
    return out


if __name__ == "__main__":  # the command line moved: say where
    sys.exit("python -m tools.website is now python -m tools site (make site): see python -m tools site --help")

"""The slide decks (tools/slides.py) embed only files inside the repository, work offline, and show a
note where a widget would need a kernel. The deck of each notebook is checked in tests/test_editions.py."""

from __future__ import annotations

import os
from pathlib import Path

import bs4
import nbformat
import pytest

from tools import commands
from tools.cells import EditionError
from tools.paths import ROOT
from tools.slides import NOTATION_LINK, NOTATION_PAGE, WIDGET_NOTE, WIDGET_VIEW, build_deck

SECRET = "a file outside the repository"


def _deck_of(tmp_path: Path, markdown: str, **kwargs) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    path = tmp_path / "notebooks" / "leak.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return build_deck(nb, path, **kwargs)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A readable file outside the repository (in the temporary folder)."""
    assert not tmp_path.resolve().is_relative_to(ROOT), "the temporary folder lies inside the repository"
    file = tmp_path / "outside" / "secret.png"
    file.parent.mkdir()
    file.write_text(SECRET)
    return file


def _references(secret: Path, notebook_folder: Path) -> dict[str, str]:
    up = os.path.relpath(secret, notebook_folder)  # ../outside/secret.png from the notebook's folder
    escape = "../" * len(notebook_folder.resolve().parts) + str(secret.resolve()).lstrip("/")
    return {"absolute": str(secret), "relative": up, "escape": escape, "etc": "/etc/hostname"}


@pytest.mark.parametrize("kind", ["absolute", "relative", "escape", "etc"])
@pytest.mark.parametrize("form", ["![a picture]({})", '<img src="{}" width=20>'])
def test_a_picture_outside_the_repository_is_an_error_naming_notebook_and_reference(tmp_path, secret, kind, form):
    url = _references(secret, tmp_path / "notebooks")[kind]
    if kind == "etc" and not Path(url).is_file():
        pytest.skip("no /etc/hostname here")
    with pytest.raises(EditionError, match="outside the repository") as info:
        _deck_of(tmp_path, "# Title\n" + form.format(url))
    message = str(info.value)
    assert "leak.ipynb, cell 0" in message and repr(url) in message, message


def test_a_symbolic_link_out_of_the_repository_is_an_error(tmp_path, secret):
    repo = tmp_path / "repo"
    (repo / "pics").mkdir(parents=True)
    (repo / "pics" / "inside.png").write_bytes(b"\x89PNG fake")
    (repo / "pics" / "link.png").symlink_to(secret)
    html = _deck_of(repo, "![ok](../pics/inside.png)", root=repo)  # a file inside is embedded
    assert "data:image/png;base64," in html
    with pytest.raises(EditionError, match=r"'\.\./pics/link\.png' lies outside the repository"):
        _deck_of(repo, "![leak](../pics/link.png)", root=repo)


def test_the_command_line_refuses_the_deck_and_names_notebook_and_reference(tmp_path, secret, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"![x]({secret})")])
    nbformat.write(nb, tmp_path / "leak.ipynb")
    out = tmp_path / "slides"
    code = commands.main(["slides", str(tmp_path / "leak.ipynb"), "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 1
    assert "leak.ipynb, cell 0" in error and str(secret) in error, error
    assert not (out / "leak.slides.html").exists()
    assert not any(SECRET in f.read_text(errors="replace") for f in out.rglob("*.html"))


def test_a_missing_picture_is_still_an_error(tmp_path):
    with pytest.raises(EditionError, match="does not exist"):
        _deck_of(tmp_path, "![gone](missing.png)", root=tmp_path)


def test_the_deck_loads_nothing_from_the_web_and_notes_its_widgets(tmp_path):
    progress = {WIDGET_VIEW: {"model_id": "a"}, "text/plain": "  0%|          | 0/10 [00:00<?, ?batch/s]"}
    slider = {WIDGET_VIEW: {"model_id": "b"}, "text/plain": "IntSlider(value=0)"}
    cells = [
        nbformat.v4.new_markdown_cell("# Title\n$x$"),
        nbformat.v4.new_code_cell(
            "train()",
            outputs=[
                nbformat.v4.new_output("display_data", data=progress),
                nbformat.v4.new_output("stream", text="done\n"),
            ],
        ),
        nbformat.v4.new_code_cell("slider()", outputs=[nbformat.v4.new_output("display_data", data=slider)]),
    ]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"widgets": {"state": {}}})
    html = build_deck(nb, tmp_path / "widgets.ipynb", root=tmp_path)
    soup = bs4.BeautifulSoup(html, "html.parser")
    loaded = [t.get("src") for t in soup.find_all("script") if t.get("src")]
    loaded += [t.get("href") for t in soup.find_all("link") if t.get("href")]
    assert loaded and all(u.startswith("_assets/") for u in loaded), loaded
    assert any("mathjax" in u for u in loaded) and any("reveal.js" in u for u in loaded)
    assert "import mermaid" not in html and "require(" not in html
    assert WIDGET_VIEW not in html and "0%|" not in html  # the progress bar is gone, "done" stays
    assert "done" in html and html.count(WIDGET_NOTE) == 1


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_section_of_a_deck_has_speaker_notes_and_the_notation_link_has_its_slide(path):
    soup = bs4.BeautifulSoup(build_deck(nbformat.read(path, as_version=4), path), "html.parser")
    sections = soup.select("div.slides > section")
    silent = [s.find(["h1", "h2", "h3"]).get_text() for s in sections[:-1] if not s.select("aside.notes")]
    assert not silent, f"{path.name}: sections without speaker notes: {silent}"
    for notes in soup.select("aside.notes"):
        text = notes.get_text(" ", strip=True)
        assert "Say:" in text and "Ask:" in text and len(text) > 120, text
    assert soup.select('a[href="#/notation"]') and sections[-1].get("id") == "notation"
    assert NOTATION_LINK not in str(soup)  # the notebooks' link to a file, which a deck cannot reach
    assert "Notation" in sections[-1].get_text() and "responsibilities" in sections[-1].get_text()


def test_deck_hide_input_keeps_the_output_and_the_cache_messages_go(tmp_path):
    cells = [
        nbformat.v4.new_markdown_cell(f"# T\nsee [the notation]({NOTATION_LINK})"),
        nbformat.v4.new_code_cell(
            "# NBVAL_CHECK_OUTPUT\nprint('agrees: True')",
            metadata={"tags": ["deck-hide-input"]},
            outputs=[nbformat.v4.new_output("stream", text="agrees: True\n")],
        ),
        nbformat.v4.new_code_cell(
            "%config InlineBackend.figure_format = 'png'\nmodel = fit_cached()",
            outputs=[
                nbformat.v4.new_output("stream", text="Saved vae in the checkpoint cache (the next run loads it)\n")
            ],
        ),
    ]
    page = tmp_path / NOTATION_PAGE
    page.parent.mkdir()
    page.write_text("# Notation\n\n| a | b |\n|---|---|\n| $x$ | data |\n\nShapes in nats.\n")
    html = build_deck(nbformat.v4.new_notebook(cells=cells), tmp_path / "t.ipynb", root=tmp_path)
    soup = bs4.BeautifulSoup(html, "html.parser")
    check = soup.find(id=f"cell-id={cells[1].id}")
    assert check.find(class_="jp-InputArea") is None and "agrees: True" in check.get_text()
    assert "model = fit_cached()" in soup.get_text() and "%config" not in html and "checkpoint cache" not in html
    last = soup.find("section", id="notation")
    assert last.find("table") is not None and last.find("h2").get_text().startswith("Notation")
    assert "Shapes in nats." in last.get_text() and "# Notation" not in html
    page.write_text("# Symbols\n\nno notation here\n")
    with pytest.raises(EditionError, match="must start with the line `# Notation`"):
        build_deck(nbformat.v4.new_notebook(cells=cells), tmp_path / "t.ipynb", root=tmp_path)
    page.unlink()
    with pytest.raises(EditionError, match="cannot read the notation page the notebook links to"):
        build_deck(nbformat.v4.new_notebook(cells=cells), tmp_path / "t.ipynb", root=tmp_path)

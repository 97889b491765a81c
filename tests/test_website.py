"""The course website's sources (tools/website.py), checked without Sphinx: the landing page comes from
website/seminars.toml, the notation page is website/notation.md (the README is never read), the seminar
pages come from the committed notebooks. The built site is checked in a browser by
tests/browser/test_site.py (make test-browser)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from tools import website
from tools.cells import slide_type, source, tags
from tools.paths import ROOT
from tools.slides import NOTATION_LINK, WIDGET_NOTE, WIDGET_VIEW, shown_code

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_landing_page_has_an_item_per_notebook_from_the_sites_own_list():
    introduction, rows = website.course()
    assert [s.notebook for s in rows] == NOTEBOOKS
    assert all(s.teaches and "\n" not in s.teaches for s in rows)  # one paragraph each
    assert "encoder q(z | x, φ), decoder p(x | z, θ)" in rows[1].teaches
    page = website.landing_page(introduction, [(s, s.name) for s in rows])
    for s in rows:  # a list item per seminar (it reads as a list on a phone): the page, the deck, the text
        item = next(line for line in page.splitlines() if f"(seminars/{s.name}.ipynb)" in line)
        assert item.startswith("* **[") and f'"slides/{s.name}.slides.html"' in item
        assert f"\n  {s.teaches}\n" in page
        assert f"\nseminars/{s.name}\n" in page  # in the table of contents
    assert introduction.startswith("An open teaching collection") and f"\n{introduction}\n" in page
    assert '"downloads/student-edition.zip"' in page and "(notation.md)" in page


def _course(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seminars.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = 'introduction = "Hello."\n\n[[seminar]]\nnotebook = "01_a.ipynb"\nteaches = """EM,\nderived"""\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("introduction = ", "cannot read the seminars of the site"),
        (GOOD.replace('introduction = "Hello."', 'introduction = ""'), "`introduction` must be"),
        ('introduction = "Hello."\n', "no seminars"),
        (GOOD.replace("teaches", "teach"), r"seminar 1 must have exactly `notebook`.*teach = 'EM,\\nderived'"),
        (GOOD + 'title = "EM"\n', "seminar 1 must have exactly `notebook`.*title = 'EM'"),
        (GOOD.replace("01_a.ipynb", "../01_a.ipynb"), "seminar 1 must have exactly.*notebook = '../01_a.ipynb'"),
        (GOOD.replace('"""EM,\nderived"""', '"  "'), "seminar 1 must have exactly"),
    ],
    ids=["syntax", "empty-introduction", "no-seminar", "missing-key", "extra-key", "path", "empty-text"],
)
def test_a_broken_seminar_list_is_an_error_naming_the_file_and_the_entry(tmp_path, text, message):
    path = _course(tmp_path, text)
    with pytest.raises(website.SiteError, match=message) as info:
        website.course(path)
    assert str(info.value).startswith(str(path))


def test_a_seminar_list_reads_each_text_as_one_paragraph(tmp_path):
    introduction, (seminar,) = website.course(_course(tmp_path, GOOD))
    assert introduction == "Hello." and seminar.teaches == "EM, derived"
    assert seminar.notebook == ROOT / "notebooks" / "01_a.ipynb" and seminar.name == "01_a"


def test_a_listed_notebook_that_does_not_exist_stops_the_build_before_anything_is_written(tmp_path):
    path = _course(tmp_path, GOOD)
    with pytest.raises(website.SiteError, match=r"seminars\.toml names 01_a\.ipynb, which is not in notebooks/"):
        website.write_sources(tmp_path / "src", seminars=path)
    assert not (tmp_path / "src").exists()


def test_the_notation_page_is_its_own_file_and_must_have_its_title(tmp_path):
    page = website.notation_page()
    assert page == (ROOT / "website" / "notation.md").read_text(encoding="utf-8")
    assert page.startswith("# Notation\n")
    for symbol in (r"$q(z \mid x, \phi)$", r"$p(x \mid z, \theta)$", r"$p(z) = \mathcal N(0, I)$", r"$\gamma_{nk}$"):
        assert symbol in page
    (tmp_path / "notation.md").write_text("# Symbols\n| a | b |\n")
    with pytest.raises(website.SiteError, match="must start with the line `# Notation`"):
        website.notation_page(tmp_path / "notation.md")
    with pytest.raises(website.SiteError, match="cannot read the notation page"):
        website.notation_page(tmp_path / "missing.md")


def test_the_site_sources_are_assembled_without_reading_the_readme(tmp_path, monkeypatch):
    opened: list[str] = []
    recording = [False]

    def audit(event, args):
        if recording[0] and event == "open" and isinstance(args[0], (str, Path)):
            opened.append(str(args[0]))

    sys.addaudithook(audit)  # stays for the session; records only while this test sets the flag
    for heavy in ("write_slides", "copy_deck_assets", "copy_mathjax", "copy_mathjax_components", "_student_zip"):
        monkeypatch.setattr(website, heavy, lambda *args, **kwargs: None)  # decks, assets, zip: tested elsewhere
    recording[0] = True
    try:
        found = website.write_sources(tmp_path / "src")
    finally:
        recording[0] = False
    assert found == NOTEBOOKS
    read = {Path(p).resolve() for p in opened}
    assert (ROOT / "website" / "seminars.toml").resolve() in read and (ROOT / "website" / "notation.md") in read
    assert not any(p.name.lower().startswith("readme") for p in read), sorted(read)
    assert (tmp_path / "src" / "notation.md").read_text(encoding="utf-8") == website.notation_page()
    assert "An open teaching collection" in (tmp_path / "src" / "index.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_links_to_the_notation_page_that_the_site_and_its_deck_show(path):
    text = "".join(source(c) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    assert f"]({NOTATION_LINK})" in text, f"{path.name} does not link to {NOTATION_LINK}"
    assert (path.parent / NOTATION_LINK).resolve() == (ROOT / "website" / "notation.md").resolve()
    assert "README.md" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_seminar_page_keeps_every_cell_but_the_speakers_and_notes_its_widgets(path):
    nb = nbformat.read(path, as_version=4)
    page = website.site_notebook(nb, path.stem)
    for_the_room = [c for c in nb.cells if slide_type(c) == "notes" or "deck-only" in tags(c)]
    assert for_the_room, f"{path.name} has no speaker notes"
    nb.cells = [c for c in nb.cells if c not in for_the_room]
    assert len(page.cells) == len(nb.cells) + 1 and "widgets" not in page.metadata
    links = source(page.cells[1])
    assert f'"../slides/{path.stem}.slides.html"' in links and '"../downloads/student-edition.zip"' in links
    assert source(page.cells[0]).startswith(source(nb.cells[0]).split("\n")[0])  # the title stays
    assert "\n### " not in source(page.cells[0]).split("\n\n")[0]  # the subtitle is no section
    widgets = sum(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    shown = [o for c in page.cells for o in c.get("outputs", [])]
    notes = sum(WIDGET_NOTE in o.get("data", {}).get("text/plain", "") for o in shown)
    assert not any(WIDGET_VIEW in o.get("data", {}) for o in shown)
    assert notes <= widgets
    assert notes == {"01_em_gmm": 1, "04_vae_images": 1}.get(path.stem, 0)  # the sliders; bars dropped
    for old, new in zip(nb.cells[1:], page.cells[2:]):
        expected = source(old) if old.cell_type == "markdown" else shown_code(source(old))
        for link, site_page in website.PAGE_LINKS.items():
            expected = expected.replace(f"]({link})", f"]({site_page})")
        assert source(new) == expected
    shown = "".join(source(c) + "".join(o.get("text", "") for o in c.get("outputs", [])) for c in page.cells)
    assert not re.search(r"NBVAL_|%config|checkpoint cache \(|from the checkpoint cache", shown)
    assert NOTATION_LINK not in "".join(source(c) for c in page.cells)  # no link leaves the site


def test_the_link_to_the_notation_source_becomes_a_link_to_the_site_page():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_markdown_cell(f"see [it]({NOTATION_LINK}).")]
    )
    page = website.site_notebook(nb, "t")
    assert source(page.cells[2]) == "see [it](../notation.md)."


def test_the_site_is_built_by_make_and_by_ci_with_pinned_front_end_assets():
    makefile, ci = (ROOT / "Makefile").read_text(), (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^site: .*assets", makefile, re.M) and re.search(r"^slides: .*assets", makefile, re.M)
    assert "npm ci" in makefile and "python -m tools site" in makefile
    assert ci.index("make site") < ci.index("make test-browser")
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name, version in pinned.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"package.json: {name} {version} is not exact"
        assert locked[f"node_modules/{name}"]["version"] == version
    assert "node_modules/" in (ROOT / ".gitignore").read_text().split()


def test_notes_deck_only_cells_markers_and_cache_messages_stay_off_the_page():
    cells = [
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_markdown_cell("**Say:** hello", metadata={"slideshow": {"slide_type": "notes"}}),
        nbformat.v4.new_markdown_cell("## Your questions", metadata={"tags": ["deck-only"]}),
        nbformat.v4.new_code_cell(
            "%config InlineBackend.figure_format = 'png'\n# NBVAL_CHECK_OUTPUT\nx = 1",
            outputs=[
                nbformat.v4.new_output("stream", text="Saved vae in the checkpoint cache (the next run loads it)\n"),
                nbformat.v4.new_output(
                    "stream", text="Loaded vae from the checkpoint cache: 6 epochs (not rerun)\nok\n"
                ),
            ],
        ),
    ]
    page = website.site_notebook(nbformat.v4.new_notebook(cells=cells), "t")
    assert [source(c).split("\n")[0] for c in page.cells][::2] == ["# T", "x = 1"]
    assert [o["text"] for o in page.cells[2].outputs] == ["vae: 6 epochs\nok\n"]


# a miniature of Font Awesome's bundled script: an icon table handed to the library per style
FONTAWESOME = (
    'var b={bars:[448,512,["navicon"],"f0c9","M0 96h448"],"file":[384,512,[],"f15b","M0 0r"]};p("far",b);'
    'var b={"magnifying-glass":[512,512,[],"f002","M416 208s"],"file":[384,512,[],"f15b","M0 0s"]};p("fas",b);'
)


def test_icons_are_inlined_from_the_theme_script_and_the_script_is_not_loaded():
    icons = website.icon_paths(FONTAWESOME)
    assert icons[("fas", "file")] == (384, 512, "M0 0s") and icons[("far", "file")] == (384, 512, "M0 0r")
    html = (
        '<head><script defer src="../_static/scripts/fontawesome.js?digest=1"></script></head>'
        '<i class="theme-switch fa-solid fa-magnifying-glass fa-lg" data-mode="dark"></i>'
        '<span class="fa-regular fa-file"></span>'
    )
    page = website.inline_icons(html, icons, "p.html")
    assert "fontawesome.js" not in page and "<i " not in page and "<span" not in page
    assert (
        '<svg class="site-icon theme-switch fa-magnifying-glass fa-lg" data-mode="dark" viewBox="0 0 512 512"' in page
    )
    assert '<path d="M416 208s">' in page and '<path d="M0 0r">' in page
    with pytest.raises(website.SiteError, match=r"p\.html: no icon for .*fa-rocket"):
        website.inline_icons('<i class="fa-solid fa-rocket"></i>', icons, "p.html")


PYGMENTS = (
    'html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }\n'
    'html[data-theme="light"] .highlight .n { color: #080808 }\n'
    'html[data-theme="light"] .highlight .k { color: #0000FF; font-weight: bold }\n'
    'html[data-theme="light"] .highlight .p { color: #080808 }\n'
    'html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }\n'
    'html[data-theme="dark"] .highlight .n { color: #F8F8F2 }\n'
    'html[data-theme="dark"] .highlight .k { color: #FF0000 }\n'
    'html[data-theme="dark"] .highlight .p { color: #AAAAAA }\n'
)


def test_code_spans_drawn_like_the_code_around_them_are_unwrapped_and_no_other(tmp_path):
    assert website.plain_tokens(PYGMENTS) == {"n"}  # p differs in the dark theme, k everywhere
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "pygments.css").write_text(PYGMENTS)
    code = '<span class="k">def</span> <span class="n">f</span><span class="p">(</span>'
    page = f'<p><span class="n">prose</span></p><div class="highlight-python"><pre>{code}</pre></div>'
    (tmp_path / "page.html").write_text(page)
    assert website.thin_highlighting(tmp_path) == len('<span class="n"></span>')
    assert (tmp_path / "page.html").read_text() == page.replace('<span class="n">f</span>', "f")

"""Every slide of every deck (``make slides``, tools/slides.py), measured in headless Chromium.

Each deck is built from the committed notebooks into a temporary folder and opened from disk, as an
instructor opens it. On every slide, with all its fragments shown and MathJax done
(:data:`deck_measure.MEASURE_DECK`): the slide is at most 1.1 × the deck's height (700 px) and nothing
reaches past its right edge or hides behind a horizontal scroll bar. A failure names the deck, the
slide (h.v as reveal.js counts) and the notebook cells on it, so the fix goes into the instructor
notebook's slide metadata, not into the built deck. Every link of a deck resolves, every section has
speaker notes, and the speaker view shows them. Screenshots: ``build/screenshots/deck-slide.png`` and
``deck-speaker-view.png``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from deck_measure import MEASURE_DECK
from lab_server import REPO

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
MAX_HEIGHT = 1.1  # × the deck's height
SHOWN = ("02_vae_questions", 2, 0)  # the slide of the screenshot (a figure, a formula, the notes)


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every notebook's deck, built now into a temporary folder with its ``_assets/``."""
    from tools.commands import main

    out = tmp_path_factory.mktemp("slides")
    assert main(["slides", *map(str, NOTEBOOKS), "--out", str(out)]) == 0
    return out


@pytest.fixture
def deck_page(browser_context):
    context, guard = browser_context
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))

    def _open(path):
        errors.clear()
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        page.evaluate("async () => { await MathJax.startup.promise; }")
        return page, errors

    yield _open
    page.close()
    guard.check()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_slide_fits_its_height_and_nothing_is_cut_off_at_the_right(notebook, decks, deck_page):
    page, errors = deck_page(decks / f"{notebook.stem}.slides.html")
    measured = page.evaluate(MEASURE_DECK)
    limit = MAX_HEIGHT * measured["height"]
    tall = [s for s in measured["slides"] if s["height"] > limit]
    cut = [s for s in measured["slides"] if s["overflow"] > 0]

    def named(s):
        return f"  slide {s['h']}.{s['v']} ({s['title'][:50]!r}), cells {' '.join(s['cells'])}"

    problems = [f"{named(s)}: {s['height']} px tall (at most {limit:.0f})" for s in tall]
    problems += [f"{named(s)}: {s['overflow']} px cut off at the right ({s['what']})" for s in cut]
    assert len(measured["slides"]) > 5, measured["slides"]
    assert not problems, f"{notebook.name}: {len(tall)} slides too tall, {len(cut)} cut off:\n" + "\n".join(problems)
    assert not errors, errors


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_link_of_a_deck_resolves_and_every_section_has_speaker_notes(notebook, decks, deck_page):
    page, _ = deck_page(decks / f"{notebook.stem}.slides.html")
    links = page.evaluate(
        """() => Array.from(document.querySelectorAll(".reveal .slides a[href]"), a => ({
            href: a.getAttribute("href"), url: a.href}))"""
    )
    problems = []
    for link in links:
        href, url = link["href"], urlparse(link["url"])
        if href.startswith("#/"):  # reveal.js: a slide's id, or h/v indices
            target = href[2:]
            where = page.evaluate(
                """t => { const e = document.getElementById(t);
                           if (e) return e.closest(".reveal .slides section") ? "slide" : "not a slide";
                           const [h, v] = t.split("/").map(Number);
                           return Number.isInteger(h) && Reveal.getSlide(h, v || 0) ? "slide" : null; }""",
                target,
            )
            if where != "slide":
                problems.append(f"{href}: no slide with that id ({where})")
            else:  # and following it lands there
                page.evaluate("h => { location.hash = h; }", href)
                page.wait_for_function(
                    "t => Reveal.getCurrentSlide().closest('section[id]') && "
                    "Reveal.getCurrentSlide().closest('section[id]').id === t || "
                    "Reveal.getCurrentSlide().id === t",
                    arg=target,
                    timeout=10_000,
                )
        elif href.startswith("#"):
            if not page.evaluate("t => document.getElementById(t) !== null", unquote(href[1:])):
                problems.append(f"{href}: no such anchor")
        elif url.scheme == "file":
            if not Path(unquote(url.path)).exists():
                problems.append(f"{href}: not there")
        elif url.scheme not in ("data",):
            problems.append(f"{href}: a deck must work offline, and this link leaves it")
    assert any(link["href"] == "#/notation" for link in links), "the notation link is gone"
    sections = page.evaluate(
        """() => Array.from(document.querySelectorAll(".reveal .slides > section"), s => ({
            title: (s.querySelector("h1, h2, h3") || {textContent: ""}).textContent.trim(),
            notes: s.querySelectorAll("aside.notes").length, id: s.id}))"""
    )
    silent = [s["title"] for s in sections if s["id"] != "notation" and not s["notes"]]
    assert not problems, f"{notebook.name}: links that do not resolve:\n" + "\n".join(problems)
    assert not silent, f"{notebook.name}: sections without speaker notes: {silent}"


def test_a_slide_and_its_speaker_view_show_the_slide_and_its_notes(decks, deck_page, screenshots):
    name, h, v = SHOWN
    page, errors = deck_page(decks / f"{name}.slides.html")
    page.evaluate(f"() => Reveal.slide({h}, {v}, 1000)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "deck-slide.png"))
    notes = page.evaluate("() => Reveal.getSlideNotes()")
    assert notes and "Ask:" in notes, f"slide {h}.{v} of {name} has no speaker notes: {notes!r}"
    with page.context.expect_page() as opened:
        page.locator("body").press("s")
    speaker = opened.value
    try:
        speaker.set_viewport_size({"width": 1280, "height": 800})
        speaker.locator(".speaker-controls-notes .value").get_by_text("Ask:").wait_for(timeout=15_000)
        current = speaker.frames[1]
        current.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        current.evaluate("async () => { await MathJax.startup.promise; }")
        speaker.wait_for_timeout(500)
        speaker.screenshot(path=str(screenshots / "deck-speaker-view.png"))
    finally:
        speaker.close()
    assert not errors, errors

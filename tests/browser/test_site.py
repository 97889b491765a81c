"""The course website (``make site``, tools/website.py) and a slide deck, read in headless Chromium.

The site in ``build/site/`` is served by a loopback ``http.server`` (search needs HTTP) and also opened
from disk (``file://``); the network guard of conftest.py blocks and records every request for a host
other than 127.0.0.1. From the landing page every page of the site is visited, following every local
link: it must load, typeset its equations with the bundled MathJax (MathJax output present, no raw TeX
left in the text), show every picture, and link only to pages, anchors and files that exist. Search
must find "reparameterization". A deck opened from disk must typeset its math, advance a slide and open its
speaker view.
Screenshots of the landing page, a seminar page (desktop and phone), the search results and a deck
go to ``build/screenshots/``.

The site is built first when ``build/site/index.html`` is missing (``make test-browser`` builds it).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest
from lab_server import REPO, free_port

pytestmark = pytest.mark.browser

SITE = REPO / "build" / "site"
SEMINAR_PAGE = "seminars/02_vae_questions.html"  # the seminar page of the screenshot
DECK = "slides/02_vae_questions.slides.html"  # the deck opened from disk
SEARCHED = "reparameterization"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 960}  # conftest.VIEWPORT
TABLET = {"width": 800, "height": 1100}
PAGE_WEIGHT = 2.5e6  # bytes a seminar page may load in all (HTML, scripts, styles, fonts, pictures)
SCRIPT_WEIGHT = 100e3  # bytes one script may weigh (but MathJax's components); no icon script at all
NOISE = re.compile(r"NBVAL_CHECK_OUTPUT|%config|in the checkpoint cache|from the checkpoint cache")
MATH_TIMEOUT = 60_000  # ms for MathJax to typeset one page (a seminar page holds ~200 equations)
# TeX that MathJax left untouched: \( \) \[ \] delimiters, $$, or $...$ around a TeX-looking body
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\n]*(?:\\[A-Za-z]+|[_^{}])[^$\n]*\$")

VISIBLE_TEXT = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll("pre, code, script, style, mjx-container, .highlight, textarea, [hidden]")
        .forEach(e => e.remove());
    return body.innerText;
}"""
MATH_DONE = """async () => {
    if (!window.MathJax) return null;
    if (!(MathJax.startup && MathJax.startup.promise)) return "MathJax loaded but did not start";
    await MathJax.startup.promise;
    await document.fonts.ready;  // the fonts its equations asked for: leaving earlier aborts their requests
    return "ok";
}"""
IMAGES = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = "eager"; });
    await Promise.all(images.map(img => img.decode().catch(() => null)));
    return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""
LINKS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'))"


@pytest.fixture(scope="module")
def site() -> Path:
    """``build/site/``, built now (tools/website.py) if it is not there."""
    if not (SITE / "index.html").is_file():
        try:
            from tools.website import build
        except ImportError as err:
            pytest.fail(f"build/site/ is missing and cannot be built here ({err}): run `make site` first")
        build()
    return SITE


@pytest.fixture(scope="module")
def site_url(site):
    """``http://127.0.0.1:<port>/``: build/site/ served by a quiet http.server in a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class Visit:
    """A page of the browser context that records failed requests and error responses."""

    def __init__(self, context) -> None:
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)
        self.failures: list[str] = []
        self.page.on("requestfailed", lambda r: self.failures.append(f"{r.url}: {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.failures.append(f"{r.url}: HTTP {r.status}"))
        self.page.on("pageerror", lambda e: self.failures.append(f"script error: {e}"))

    def open(self, url: str) -> list[str]:
        """Go to ``url``; wait for MathJax (when the page loads it); the problems found on the page."""
        self.failures.clear()
        answer = self.page.goto(url, wait_until="load")
        problems = [] if answer is None or answer.ok else [f"{url}: HTTP {answer.status}"]
        math = self.page.evaluate(MATH_DONE)
        if math not in (None, "ok"):
            problems.append(f"{url}: {math}")
        return problems

    def math_problems(self, url: str) -> list[str]:
        """Equations the page has but MathJax did not typeset, and raw TeX left in its text."""
        problems = []
        sources = self.page.locator("span.math, div.math").count()  # Sphinx's math: \(..\), \[..\]
        typeset = self.page.locator("mjx-container").count()
        if typeset < sources:
            problems.append(f"{url}: {sources} equations, {typeset} typeset by MathJax")
        raw = RAW_TEX.findall(self.page.evaluate(VISIBLE_TEXT))
        if raw:
            problems.append(f"{url}: raw TeX in the text: {raw[:5]}")
        return problems

    def image_problems(self, url: str) -> list[str]:
        return [
            f"{url}: the picture {i['src'][:120]} does not load" for i in self.page.evaluate(IMAGES) if not i["width"]
        ]

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def visit(browser_context):
    """``visit()``: a fresh recording page; the network guard is checked when the test ends."""
    context, guard = browser_context
    opened = []

    def _visit() -> Visit:
        opened.append(Visit(context))
        return opened[-1]

    yield _visit
    for v in opened:
        v.close()
    guard.check()


def _local_target(base: str, href: str) -> tuple[str, str] | None:
    """(url without fragment, fragment) for a link into the site, None for one leaving it."""
    url, fragment = urldefrag(urljoin(base, href))
    if urlparse(url).netloc != urlparse(base).netloc or urlparse(url).scheme != urlparse(base).scheme:
        return None
    return url, unquote(fragment)


def test_every_page_loads_typesets_its_math_shows_its_pictures_and_links_soundly(site_url, visit, screenshots):
    page, problems = visit(), []
    on_disk = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if "_static" not in p.parts)
    queue = [site_url + "index.html"] + [site_url + name for name in on_disk]  # linked or not
    seen, anchors, files = set(), {}, set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        problems += page.open(url)
        path = urlparse(url).path
        is_deck = "/slides/" in path
        if not is_deck and "search.html" not in path:  # search snippets quote the TeX sources
            problems += page.math_problems(url)
        problems += page.image_problems(url)
        if url == site_url + "index.html":
            page.page.screenshot(path=str(screenshots / "site-index.png"), full_page=True)
        if path.endswith(SEMINAR_PAGE):
            page.page.screenshot(path=str(screenshots / "site-seminar.png"))
            page.page.set_viewport_size(PHONE)  # as a student reads it on a phone
            page.page.screenshot(path=str(screenshots / "site-seminar-phone.png"))
            page.page.set_viewport_size(DESKTOP)
        ids = set(page.page.evaluate("() => Array.from(document.querySelectorAll('[id]'), e => e.id)"))
        anchors[url] = ids
        problems += [f"{url}: {f}" for f in page.failures if not f.split(":")[0].endswith("favicon.ico")]
        if is_deck:
            continue  # a deck's own links are reveal.js navigation; the deck test below drives one
        for href in page.page.evaluate(LINKS):
            target = _local_target(url, href)
            if target is None:
                continue
            target_url, fragment = target
            if target_url.endswith((".html", "/")):
                queue.append(target_url)
                if fragment:
                    files.add((url, target_url, fragment))
            else:
                files.add((url, target_url, None))
    for source, target, fragment in sorted(files, key=str):
        if fragment is None:
            file = SITE / unquote(urlparse(target).path).lstrip("/")
            if not file.is_file():
                problems.append(f"{source}: links to {target}, which is not there")
        elif target in anchors and fragment not in anchors[target]:
            problems.append(f"{source}: links to {target}#{fragment}, which has no such anchor")
    pages = {urlparse(u).path for u in seen}
    for wanted in ("/index.html", "/notation.html", "/search.html", "/" + SEMINAR_PAGE, "/" + DECK):
        assert wanted in pages, f"the crawl never reached {wanted}: {sorted(pages)}"
    assert len([p for p in pages if p.startswith("/seminars/")]) == len(list((REPO / "notebooks").glob("*.ipynb")))
    assert not problems, f"{len(problems)} problems on {len(seen)} pages:\n" + "\n".join(problems)


def test_the_site_opens_from_disk(site, visit):
    page, problems = visit(), []
    for name in ("index.html", SEMINAR_PAGE, "notation.html"):
        url = (site / name).as_uri()
        problems += page.open(url) + page.math_problems(url) + page.image_problems(url) + page.failures
    assert page.page.locator("mjx-container").count() > 0
    assert not problems, "\n".join(problems)


def test_search_finds_reparameterization_and_links_the_sections(site_url, visit, screenshots):
    page = visit()
    assert page.open(f"{site_url}search.html?q={SEARCHED}") == []
    results = page.page.locator("#search-results")
    results.get_by_text(re.compile(r"found \d+ page")).wait_for(timeout=30_000)
    page.page.wait_for_function(  # each summary arrives with its section's link
        "() => { const items = document.querySelectorAll('#search-results ul.search li');"
        " return items.length > 0 && Array.from(items).every(li => li.querySelector('p.context')); }",
        timeout=30_000,
    )
    page.page.wait_for_timeout(200)
    hits = page.page.locator("#search-results ul.search li > a").evaluate_all("links => links.map(a => a.href)")
    assert any("/seminars/02_vae_questions.html#" in h for h in hits), f"search for {SEARCHED!r} found {hits}"
    # an excerpt quotes equations as TeX; search-math.js typesets them (a cut-off one may stay raw)
    if re.search(r"\\\(.*?\\\)", results.inner_text()):
        results.locator("mjx-container").first.wait_for(timeout=30_000)
    page.page.screenshot(path=str(screenshots / "site-search.png"))
    for hit in hits:  # every result points at a section of its page, and the section is there
        url, fragment = urldefrag(hit)
        assert fragment, f"{hit}: a search result without a section anchor"
        if url.endswith(".html"):
            assert page.open(hit) == []
            assert page.page.evaluate("f => document.getElementById(f) !== null", unquote(fragment)), hit


def test_search_from_disk_says_it_needs_the_local_server(site, visit):
    page = visit()
    console: list[str] = []
    page.page.on("console", lambda m: m.type in ("error", "warning") and console.append(m.text))
    assert page.open((site / "search.html").as_uri() + f"?q={SEARCHED}") == []
    line = page.page.locator(".site-search-offline")
    line.wait_for(timeout=10_000)
    assert "local server" in line.inner_text()
    assert page.page.locator("#search-results ul.search li").count() == 0
    page.page.wait_for_timeout(500)
    assert not console and not page.failures, console + page.failures


def _pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html") if not {"_static", SLIDES} & set(p.parts)
    )


SLIDES = "slides"
VISIBLE = """() => Array.from(document.querySelectorAll(SELECTOR))
    .filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== "hidden")
    .map(e => e.textContent.trim())"""


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["390px", "800px"])
def test_the_menu_and_the_contents_open_on_a_phone_and_a_tablet(site_url, visit, screenshots, size):
    page = visit()
    page.page.set_viewport_size(size)
    assert page.open(site_url + SEMINAR_PAGE) == []
    width = size["width"]
    page.page.screenshot(path=str(screenshots / f"site-seminar-{width}px.png"))
    menu = page.page.locator("button.primary-toggle:visible")
    assert menu.count() == 1, "no visible menu button (☰)"
    menu.click()
    dialog = page.page.locator("#pst-primary-sidebar-modal")
    dialog.wait_for(state="visible", timeout=5_000)
    links = page.page.evaluate(VISIBLE.replace("SELECTOR", '"#pst-primary-sidebar-modal a"'))
    seminars = [p.stem for p in (REPO / "notebooks").glob("*.ipynb")]
    assert len(links) >= len(seminars) + 2, f"the menu shows {links}"
    assert "Notation" in links, links
    page.page.screenshot(path=str(screenshots / f"site-menu-{width}px.png"))
    page.page.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=5_000)
    contents = page.page.locator("button.secondary-toggle:visible")
    assert contents.count() == 1, "no visible contents button"
    contents.click()
    toc = page.page.locator("#pst-secondary-sidebar-modal")
    toc.wait_for(state="visible", timeout=5_000)
    entries = page.page.evaluate(VISIBLE.replace("SELECTOR", '"#pst-secondary-sidebar-modal nav a"'))
    assert any("Question 5" in e for e in entries), f"the contents show {entries}"
    cut = page.page.evaluate(
        """() => Array.from(document.querySelectorAll("#pst-secondary-sidebar-modal nav a"))
            .filter(a => a.offsetParent !== null && a.scrollWidth > a.clientWidth + 1).map(a => a.textContent.trim())"""
    )
    assert not cut, f"contents entries cut off: {cut}"
    page.page.screenshot(path=str(screenshots / f"site-contents-{width}px.png"))
    page.page.keyboard.press("Escape")


def test_the_menu_button_folds_the_sidebar_on_a_desktop(site_url, visit):
    page = visit()
    assert page.open(site_url + SEMINAR_PAGE) == []
    sidebar = page.page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    page.page.locator("button.primary-toggle:visible").click()
    sidebar.wait_for(state="hidden", timeout=5_000)  # the theme folds it (visibility: hidden, slid away)
    page.page.locator("button.primary-toggle:visible").click()
    sidebar.wait_for(state="visible", timeout=5_000)
    assert not page.page.locator("#pst-primary-sidebar-modal[open]").count()


def test_no_page_scrolls_sideways_on_a_phone_and_outputs_and_math_fit(site, site_url, visit, screenshots):
    page, problems = visit(), []
    page.page.set_viewport_size(PHONE)
    for name in _pages(site):
        assert page.open(site_url + name) == []
        page.page.wait_for_timeout(300)  # site.js boxes the wide equations once MathJax is done
        found = page.page.evaluate(
            """() => {
                const wide = document.documentElement.scrollWidth - window.innerWidth;
                const hidden = Array.from(document.querySelectorAll(".cell_output pre, .output pre"))
                    .filter(p => p.scrollWidth > p.clientWidth + 1).length;
                const clipped = Array.from(document.querySelectorAll("article mjx-container")).filter(m => {
                    const box = m.parentElement.getBoundingClientRect(), r = m.getBoundingClientRect();
                    const scrolls = /auto|scroll/.test(getComputedStyle(m).overflowX);
                    return r.right > box.right + 1 && !scrolls;
                }).length;
                const cut = Array.from(document.querySelectorAll(".bd-toc-nav a, .bd-sidenav a"))
                    .filter(a => a.scrollWidth > a.clientWidth + 1).map(a => a.textContent.trim());
                return {wide, hidden, clipped, cut};
            }"""
        )
        if found["wide"] > 0:
            problems.append(f"{name}: {found['wide']} px wider than a 390 px screen")
        if found["hidden"] or found["clipped"]:
            problems.append(f"{name}: {found['hidden']} outputs scroll sideways, {found['clipped']} equations cut off")
        if found["cut"]:
            problems.append(f"{name}: contents entries cut off: {found['cut']}")
        if name == "index.html":
            page.page.screenshot(path=str(screenshots / "site-index-390px.png"), full_page=True)
            height = page.page.evaluate("() => document.documentElement.scrollHeight")
            if height > 4000:
                problems.append(f"index.html: {height} px tall on a phone (a list of seminars should not be)")
    assert not problems, "\n".join(problems)


def test_the_noise_is_gone_and_only_seminar_pages_offer_a_download(site, site_url, visit):
    page, problems = visit(), []
    for name in _pages(site):
        assert page.open(site_url + name) == []
        text = page.page.evaluate("() => document.body.innerText + document.body.textContent")
        problems += [f"{name}: {m!r} on the page" for m in sorted(set(NOISE.findall(text)))]
        empty = page.page.evaluate(
            """() => Array.from(document.querySelectorAll("article section")).filter(s => {
                const rest = Array.from(s.children).filter(c => !/^H[1-6]$/.test(c.tagName));
                return rest.every(c => !c.textContent.trim() && !c.querySelector("img"));
            }).map(s => s.querySelector("h1, h2, h3, h4").textContent.trim())"""
        )
        problems += [f"{name}: the heading {h!r} has nothing under it" for h in empty]
        downloads = page.page.locator(".dropdown-download-buttons a[href*='_sources']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        if name.startswith("seminars/"):
            if not any(d.endswith(".ipynb") for d in downloads):
                problems.append(f"{name}: no download of its notebook ({downloads})")
        elif downloads:
            problems.append(f"{name}: offers {downloads} for download")
    assert not problems, "\n".join(problems)


def test_a_seminar_page_weighs_at_most_2_5_mb_with_no_heavy_icon_script(site_url, browser_context):
    context, guard = browser_context
    problems = []
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        page = context.new_page()
        sizes: dict[str, int] = {}
        page.on("requestfinished", lambda r, sizes=sizes: sizes.__setitem__(r.url, r.sizes()["responseBodySize"]))
        try:
            page.goto(f"{site_url}seminars/{notebook.stem}.html", wait_until="load")
            page.evaluate(IMAGES)  # every picture, lazy or not
            page.evaluate(MATH_DONE)  # and the fonts MathJax needs for every equation
            page.wait_for_load_state("networkidle")
        finally:
            page.close()
        total = sum(sizes.values())
        scripts = {  # MathJax's components typeset the equations; nothing else may be that heavy
            u: s
            for u, s in sizes.items()
            if urlparse(u).path.endswith(".js")
            and (s > SCRIPT_WEIGHT or "fontawesome" in u)
            and not urlparse(u).path.startswith("/_static/mathjax/")
        }
        if total > PAGE_WEIGHT:
            problems.append(f"{notebook.stem}: {total / 1e6:.2f} MB in {len(sizes)} files")
        problems += [f"{notebook.stem}: {u} weighs {s / 1e3:.0f} kB" for u, s in scripts.items()]
        print(f"{notebook.stem}: {total / 1e6:.2f} MB in {len(sizes)} files")
    guard.check()
    assert not problems, "\n".join(problems)


def test_widgets_say_they_need_a_kernel_and_progress_bars_are_gone(site_url, visit):
    page = visit()
    assert page.open(site_url + "seminars/01_em_gmm.html") == []
    assert page.page.get_by_text("Interactive widget: it needs a running kernel").count() == 1
    assert page.open(site_url + "seminars/03_vae_2d.html") == []
    text = page.page.evaluate("() => document.body.innerText")
    assert not re.search(r"\d+%\|", text), "a progress bar (tqdm) shows on the page"
    assert page.page.locator("script[type='application/vnd.jupyter.widget-view+json']").count() == 0


def test_a_deck_opened_from_disk_typesets_its_math_and_advances(site, visit, screenshots):
    page = visit()
    deck = site / DECK
    assert page.open(deck.as_uri()) == [], page.failures
    page.page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    assert page.page.locator("mjx-container").count() > 0, "no equation of the deck was typeset"
    raw = [m for m in RAW_TEX.findall(page.page.evaluate(VISIBLE_TEXT)) if m]
    assert not raw, f"raw TeX in the deck: {raw[:5]}"
    before = page.page.evaluate("() => Reveal.getIndices()")
    page.page.locator("body").press("ArrowRight")
    page.page.wait_for_function(
        "b => { const i = Reveal.getIndices(); return i.h !== b.h || i.v !== b.v; }", arg=before, timeout=10_000
    )
    after = page.page.evaluate("() => Reveal.getIndices()")
    assert (after["h"], after["v"]) != (before["h"], before["v"]), (before, after)
    page.page.screenshot(path=str(screenshots / "deck-from-disk.png"))
    with page.page.context.expect_page() as opened:  # the speaker view (notes plugin) works from disk too
        page.page.locator("body").press("s")
    speaker = opened.value
    try:
        speaker.locator("iframe").nth(1).wait_for(state="attached", timeout=15_000)  # current and upcoming
        current = speaker.frames[1]
        current.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        assert current.evaluate(MATH_DONE) == "ok"
        assert current.evaluate("() => document.querySelectorAll('mjx-container').length") > 0
    finally:
        speaker.close()
    assert not page.failures, page.failures

"""Browser tests: the notebooks run in JupyterLab in headless Chromium, as a student runs them.

They are marked ``browser`` and run only when the ``-m`` expression names that marker
(``make test-browser`` runs ``pytest -m browser tests/browser``); any other run, ``make test`` included,
reports them as skipped. They need Debian's ``chromium`` (``/usr/bin/chromium``, or ``$SEMINAR_CHROMIUM``)
and the Python package ``playwright``; Playwright's own browser download is never used.

One JupyterLab server (``lab_server.LabServer``) and one browser serve the whole session; each notebook
gets its own page, and its kernel is shut down when the test ends. Every request the browser makes to
a host other than 127.0.0.1 is blocked and recorded, and a test fails if there was one.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from urllib.parse import urlparse

import pytest
from lab_page import LabNotebook
from lab_server import REPO, LabServer

CHROMIUM = Path(os.environ.get("SEMINAR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # name resolution fails for every host but 127.0.0.1: nothing can leave by accident
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 960}
SCREENSHOTS = REPO / "build" / "screenshots"
LOCAL_SCHEMES = {"file", "data", "blob"}  # a page opened from disk (the website, a deck) reads files
INSTALL_HINT = "run `make test-browser`, which installs Debian's chromium and the playwright package"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: runs notebooks in JupyterLab in headless Chromium (make test-browser; skipped unless -m names it)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if re.search(r"\bbrowser\b", config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="browser test: `make test-browser` runs it (pytest -m browser tests/browser)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


class NetworkGuard:
    """Let the browser reach 127.0.0.1 (and files on disk) only; remember everything else it tried."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        if urlparse(url).hostname == "127.0.0.1" or urlparse(url).scheme in LOCAL_SCHEMES:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def websocket(self, socket) -> None:
        if urlparse(socket.url).hostname != "127.0.0.1":
            self.blocked.append(socket.url)

    def check(self) -> None:
        blocked, self.blocked = self.blocked, []
        assert not blocked, "the browser tried to reach beyond 127.0.0.1:\n" + "\n".join(blocked)


@pytest.fixture(scope="session")
def lab_server():
    """A JupyterLab server on 127.0.0.1 serving a stripped mirror of the repository (``SEMINAR_FAST=1``)."""
    server = LabServer()
    yield server
    killed = server.stop()
    if killed:
        warnings.warn(f"had to kill processes {killed} after stopping JupyterLab", stacklevel=1)


@pytest.fixture(scope="session")
def browser_context():
    """One headless Chromium (Debian's) for the session: a browser context and its network guard."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the Python package playwright is missing: {INSTALL_HINT}")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: {INSTALL_HINT} (or set SEMINAR_CHROMIUM)")
    guard = NetworkGuard()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            context.route("**/*", guard.route)
            yield context, guard
            context.close()
        finally:
            browser.close()
    guard.check()


@pytest.fixture
def open_notebook(lab_server, browser_context):
    """``open_notebook(path, source)``: a fresh page with the notebook at ``path`` (relative to the server's
    root; ``source`` is the file whose cells it holds) open and its kernel started. At the end of the
    test the page closes without saving, every kernel is shut down, and the network guard is checked."""
    context, guard = browser_context
    pages = []

    def _open(path: str, source: Path) -> LabNotebook:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("websocket", guard.websocket)
        pages.append(page)
        return LabNotebook(page, lab_server, path, source)

    yield _open
    for page in pages:
        page.close(run_before_unload=False)
    lab_server.shutdown_kernels()
    guard.check()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``build/screenshots/``: one PNG per notebook (scrolled to the first problem, or to its first slider)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

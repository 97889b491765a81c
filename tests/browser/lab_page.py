"""One notebook in JupyterLab, driven as a student drives it: open, Kernel → Restart Kernel and Run All
Cells…, look at what every cell shows, move the sliders.

What the page shows is read from the DOM (prompts, tracebacks, images, widgets); outputs of type
``error`` are also read from the notebook model (``window.jupyterapp``), because a ``SyntaxError``
prints no "Traceback" line. Cell numbers in messages are 1-based, as JupyterLab's status bar counts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:  # playwright is only needed when the browser tests run
    from lab_server import LabServer
    from playwright.sync_api import Locator, Page

RUN_ALL = "Restart Kernel and Run All Cells…"
WIDGET_FAILURES = ("Error displaying widget", "Loading widget...")

_CELLS_JS = """() => {
  const panels = document.querySelectorAll('.jp-NotebookPanel');
  if (panels.length !== 1) return {error: `${panels.length} notebook panels are open`};
  const dom = [...panels[0].querySelectorAll('.jp-Cell')];
  const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.content && w.content.model);
  const model = panel.content.model.cells;
  // innerText is empty for cells that content-visibility skips (off screen): fall back to textContent
  const text = e => e.innerText || e.textContent;
  const cells = dom.map((node, i) => {
    const out = node.querySelector('.jp-Cell-outputArea');
    const m = i < model.length ? model.get(i) : null;
    const outputs = m && m.outputs ? m.outputs.toJSON() : [];
    return {
      prompt: (node.querySelector('.jp-InputPrompt') || {}).textContent || '',
      errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
      stderr: [...node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                .map(text),
      images: [...node.querySelectorAll('img')].map(e => ({src: e.getAttribute('src') || '',
                                                           ok: e.complete && e.naturalWidth > 0})),
      shown: out ? text(out) : '',
    };
  });
  return {cells};
}"""

_KERNEL_JS = """() => {
  const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.content && w.content.model);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return kernel ? `${kernel.connectionStatus}/${kernel.status}` : 'none';
}"""

_DIGESTS_JS = """async (cell) => {
  const digest = async (buf) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', buf))]
      .map(b => b.toString(16).padStart(2, '0')).join('').slice(0, 16);
  const out = [];
  for (const e of cell.querySelectorAll('.jp-Cell-outputArea img, .jp-Cell-outputArea canvas')) {
    try {
      const src = e.tagName === 'CANVAS' ? e.toDataURL() : e.src;
      out.push(await digest(await (await fetch(src)).arrayBuffer()));
    } catch (err) { out.push('unreadable'); }
  }
  return out;
}"""


@dataclass
class CellView:
    """What one cell shows after the run (``number`` is 1-based)."""

    number: int
    kind: str
    head: str  # first line of the source
    tags: list[str]
    prompt: str
    errors: list[str]
    stderr: list[str]
    images: list[dict]
    shown: str

    @property
    def count(self) -> int | None:
        match = re.search(r"\[(\d+)\]", self.prompt)
        return int(match.group(1)) if match else None

    def where(self) -> str:
        prompt = f" {self.prompt.strip()}" if self.kind == "code" else ""
        return f"cell {self.number} ({self.kind}{prompt} `{self.head}`)"

    def showing(self, lines: int = 25) -> str:
        text = "\n".join(self.shown.rstrip().splitlines()[-lines:])
        return "  | " + text.replace("\n", "\n  | ") if text else "  | (no output)"


@dataclass
class SliderMove:
    """One slider moved by one step with the keyboard (readout ``before`` -> ``after``), and whether an
    image in its cell's output changed."""

    cell: int
    label: str
    before: str
    after: str
    changed: bool
    seconds: float


@dataclass
class Problem:
    """Something wrong on the page; ``kind``: error, image, widget, not run, order, timeout or page."""

    cell: int | None
    kind: str
    message: str


@dataclass
class NotebookRun:
    """The outcome of one run: every cell as shown, and the problems found."""

    path: str
    cells: list[CellView] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    retried: bool = False  # the first Run All was dropped by JupyterLab and started again

    def add(self, cell: CellView | None, kind: str, message: str) -> None:
        self.problems.append(Problem(cell.number if cell else None, kind, message))

    @property
    def first_problem_cell(self) -> int | None:
        return next((p.cell for p in self.problems if p.cell is not None), None)

    def describe(self) -> str:
        return "\n".join(f"- {p.message}" for p in self.problems)


class LabNotebook:
    """A page of JupyterLab with one notebook (``path`` relative to the server root) open."""

    def __init__(self, page: Page, server: LabServer, path: str, source: Path) -> None:
        self.page, self.path = page, path
        self.nb = nbformat.read(source, as_version=4)
        workspace = re.sub(r"[^A-Za-z0-9]+", "-", path)  # a fresh workspace: only this notebook opens
        page.goto(server.url(f"lab/workspaces/{workspace}/tree/{path}"))
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=90_000)
        self._wait_for(lambda: self._kernel() == "connected/idle", 120, "the kernel to start")
        tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if tab.count():  # fold the file browser away: more notebook in the screenshots
            tab.first.click()

    # -- running ---------------------------------------------------------------------------------
    def _kernel(self) -> str:
        """``"<connection>/<status>"`` of the notebook's kernel, e.g. ``"connected/idle"``; ``"none"``."""
        return self.page.evaluate(_KERNEL_JS)

    def _wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path}: waited {timeout:.0f} s for {what} (kernel {self._kernel()})")
            time.sleep(0.25)

    def _click_run_all(self) -> None:
        self.page.locator(".lm-MenuBar-itemLabel").get_by_text("Kernel", exact=True).first.click()
        self.page.locator(".lm-Menu-itemLabel").get_by_text(RUN_ALL, exact=True).click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.get_by_text("Restart Kernel?").wait_for()
        dialog.locator(".jp-mod-accept").click()  # "Restart"

    def restart_and_run_all(self, timeout: float) -> NotebookRun:
        """Kernel → Restart Kernel and Run All Cells…, confirm; wait until the kernel is idle and no cell
        is queued (``[*]``); then report what every cell shows.

        JupyterLab sometimes drops the queued cells when the restart races the kernel's start-up (every
        prompt falls back to ``[ ]`` and nothing ran); the run is then started once more, as a student would.
        """
        start = time.monotonic()
        self._click_run_all()
        has_code = any(c.cell_type == "code" and c.source.strip() for c in self.nb.cells)
        deadline, seen_queued, retried, quiet = start + timeout, False, False, 0
        while True:
            time.sleep(0.5)
            prompts, kernel = self._prompts(), self._kernel()
            running = [i for i, p in enumerate(prompts) if "*" in p]
            started = any(re.search(r"\[\d+\]", p) for p in prompts) or not has_code
            seen_queued = seen_queued or bool(running)
            idle = kernel == "connected/idle" and not running
            quiet = quiet + 1 if idle and started else 0
            if quiet >= 2:  # a second look: widgets and images render right after the last reply
                break
            if idle and seen_queued and not started and not retried:
                retried, seen_queued = True, False
                self._click_run_all()
            if kernel.endswith("/dead") or time.monotonic() > deadline:
                run = self.report(time.monotonic() - start)
                cell = run.cells[running[0]] if running and running[0] < len(run.cells) else None
                why = (
                    "the kernel died"
                    if kernel.endswith("/dead")
                    else f"the run did not finish within {timeout:.0f} s (kernel {kernel})"
                )
                where = f"running: {cell.where()}\n{cell.showing()}" if cell else "no cell is running"
                run.problems.insert(0, Problem(cell.number if cell else None, "timeout", f"{why}; {where}"))
                return run
        self._settle_widgets()
        run = self.report(time.monotonic() - start)
        run.retried = retried
        return run

    def _prompts(self) -> list[str]:
        return self.page.locator(".jp-NotebookPanel .jp-Cell").evaluate_all(
            "cells => cells.map(n => (n.querySelector('.jp-InputPrompt') || {}).textContent || '')"
        )

    def _settle_widgets(self, timeout: float = 30.0) -> None:
        """Give widget views a moment to leave "Loading widget..." (they render after the kernel replies)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.page.locator(".jp-NotebookPanel").first.text_content() or ""
            if "Loading widget..." not in text:
                return
            time.sleep(0.5)

    # -- looking ---------------------------------------------------------------------------------
    def report(self, seconds: float = 0.0) -> NotebookRun:
        """Every cell as the page shows it, and the problems: errors, tracebacks, broken images and
        widgets, code cells that did not run or ran out of order."""
        view = self.page.evaluate(_CELLS_JS)
        run = NotebookRun(self.path, seconds=seconds)
        if "error" in view:
            run.add(None, "page", view["error"])
            return run
        if len(view["cells"]) != len(self.nb.cells):
            run.add(None, "page", f"JupyterLab shows {len(view['cells'])} cells, the file has {len(self.nb.cells)}")
        for i, (cell, seen) in enumerate(zip(self.nb.cells, view["cells"])):
            head = next((line for line in cell.source.splitlines() if line.strip()), "")[:70]
            run.cells.append(
                CellView(
                    i + 1,
                    cell.cell_type,
                    head,
                    list(cell.metadata.get("tags", [])),
                    seen["prompt"],
                    seen["errors"],
                    seen["stderr"],
                    seen["images"],
                    seen["shown"],
                )
            )
        last, unrun = 0, []
        for cell in run.cells:
            expected_error = "raises-exception" in cell.tags
            tracebacks = [s for s in cell.stderr if "Traceback" in s]
            if (cell.errors or tracebacks) and not expected_error:
                what = "; ".join(cell.errors) or tracebacks[0].strip().splitlines()[-1]
                run.add(cell, "error", f"{cell.where()} shows an error: {what}\n{cell.showing()}")
            for image in cell.images:
                if not image["ok"]:
                    run.add(cell, "image", f"{cell.where()} shows a broken image: {image['src'][:80]}")
            for failure in WIDGET_FAILURES:
                if failure in cell.shown:
                    run.add(cell, "widget", f"{cell.where()} shows {failure!r}\n{cell.showing()}")
            if cell.kind == "code" and cell.head:
                if cell.count is None:
                    unrun.append(cell)
                elif cell.count <= last:
                    run.add(cell, "order", f"{cell.where()} ran out of order (after [{last}])")
                else:
                    last = cell.count
        if unrun:  # Run All stops at the first error: one line for all the cells it left
            numbers = ", ".join(str(c.number) for c in unrun)
            run.add(
                unrun[0],
                "not run",
                f"{len(unrun)} code cell(s) did not run: {numbers}; the first is {unrun[0].where()}",
            )
        return run

    def cell_locator(self, number: int) -> Locator:
        return self.page.locator(".jp-NotebookPanel .jp-Cell").nth(number - 1)

    def sliders(self) -> Locator:
        return self.page.locator(".jp-NotebookPanel .jp-Cell-outputArea .jupyter-widgets.widget-slider")

    def move_slider(self, index: int, timeout: float = 30.0) -> SliderMove:
        """Move slider ``index`` one step (ArrowRight, or ArrowLeft at its maximum) with the keyboard and
        wait up to ``timeout`` s for an image (or canvas) in the same cell's output to change."""
        slider = self.sliders().nth(index)
        slider.scroll_into_view_if_needed()
        number = slider.evaluate(
            "s => [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')].indexOf(s.closest('.jp-Cell')) + 1"
        )
        cell = self.cell_locator(number).element_handle()
        handle = slider.locator(".noUi-handle").first
        label = (slider.locator(".widget-label").all_text_contents() or [""])[0]
        readout = slider.locator(".widget-readout").first
        before_value = readout.inner_text().strip()
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        before = self.page.evaluate(_DIGESTS_JS, cell)
        start = time.monotonic()
        handle.focus()
        handle.press("ArrowLeft" if at_max else "ArrowRight")
        changed = False
        while not changed and time.monotonic() - start < timeout:
            time.sleep(0.25)
            after = self.page.evaluate(_DIGESTS_JS, cell)
            changed = after != before and "unreadable" not in after and self._kernel() == "connected/idle"
        return SliderMove(
            number, label.strip(), before_value, readout.inner_text().strip(), changed, time.monotonic() - start
        )

    def screenshot(self, path: Path, cell: int | None = None) -> Path:
        """A screenshot of the page, scrolled to ``cell`` (1-based) when given."""
        if cell is not None:
            for _ in range(2):  # the second time after off-screen cells took their real heights
                self.cell_locator(cell).evaluate("node => node.scrollIntoView({block: 'start'})")
                time.sleep(0.3)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        return path

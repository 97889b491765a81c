"""What the deck tests measure on each slide of a reveal.js deck, as one script run in the page.

``MEASURE_DECK`` visits every slide (``Reveal.slide(h, v, f)`` with every fragment shown, MathJax done)
and returns, per slide, its layout height in slide pixels and how far anything in it reaches past the
slide's right edge (or hides behind a horizontal scroll bar), with the cells it holds, so a failure
names the notebook cells to move to notes, fragments, sub-slides or ``skip``.
"""

MEASURE_DECK = """async () => {
    await MathJax.startup.promise;
    const config = Reveal.getConfig();
    const out = [];
    const stacks = Array.from(document.querySelectorAll(".reveal .slides > section"));
    for (let h = 0; h < stacks.length; h++) {
        const leaves = stacks[h].querySelector("section") ? Array.from(stacks[h].children).filter(
            s => s.tagName === "SECTION") : [stacks[h]];
        for (let v = 0; v < leaves.length; v++) {
            Reveal.slide(h, v, 1000);  // every fragment shown
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            const slide = leaves[v];
            const box = slide.getBoundingClientRect();
            const scale = box.width / slide.offsetWidth || 1;
            let overflow = 0, what = "";
            slide.querySelectorAll("*").forEach(e => {
                if (e.closest("aside.notes, mjx-assistive-mml")) return;
                const r = e.getBoundingClientRect();
                if (!r.width) return;
                const past = (r.right - box.right) / scale;
                const hidden = e.scrollWidth - e.clientWidth;
                const style = getComputedStyle(e);
                const scrolls = hidden > 1 && /auto|scroll|hidden/.test(style.overflowX) && e.clientWidth > 0;
                const amount = Math.max(past > 1 ? past : 0, scrolls ? hidden : 0);
                if (amount > overflow) { overflow = Math.round(amount); what = e.tagName.toLowerCase() + "." + (e.className && e.className.baseVal === undefined ? String(e.className).split(" ")[0] : ""); }
            });
            const cells = Array.from(slide.querySelectorAll("[id^='cell-id=']"), c => c.id.slice(8) + (window.DECK_CELL_HEIGHTS ? ":" + c.offsetHeight : ""));
            const heading = slide.querySelector("h1, h2, h3, h4, p");
            out.push({h, v, height: Math.round(slide.scrollHeight), overflow, what, cells,
                      notes: slide.querySelector("aside.notes") ? 1 : 0,
                      title: heading ? heading.textContent.trim() : ""});
        }
    }
    return {height: config.height, width: config.width, slides: out};
}"""

"""Sphinx configuration of the course website (built by ``python -m tools site``, i.e. ``make site``).

The build copies this folder into ``build/site-src/`` beside the pages it generates (the landing page
from ``seminars.toml``, the notation page ``notation.md``, both in this folder; the seminar notebooks
with their committed outputs; MathJax from ``node_modules/``) and runs Sphinx there: nothing is
executed and nothing is fetched.
"""

project = "Latent-variable generative models — seminars"
author = "the seminar authors"
copyright = "the seminar authors, MIT License"
html_title = "Latent-variable generative models"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "_extra", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]  # a notebook's title (H1) is followed by its subtitle (H3)

# --- the notebooks: shown as committed, never executed -------------------------------------------
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget manager from a CDN: widget outputs are replaced by a note beforehand
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "html_image", "colon_fence"]
nb_render_markdown_format = "myst"  # math in text/markdown outputs too (text/latex always is)
myst_heading_anchors = 3
myst_dmath_double_inline = True  # $$...$$ inside a paragraph or a list item (as JupyterLab shows it)

# --- math: MathJax 3 from _static/mathjax (copied from npm's `mathjax` package), never a CDN -------
# startup.js loads the TeX input, the CommonHTML output and the screen-reader copy as separate components
# (tools/website.py copies them): the combined tex-chtml.js would add MathJax's menu, 0.4 MB per page
mathjax_path = "mathjax/startup.js"
mathjax3_config = {
    "loader": {"load": ["input/tex", "output/chtml", "a11y/assistive-mml"]},
    "tex": {"tags": "ams"},
}

# --- the book theme -------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["site.css"]
# search-math.js typesets the TeX that search results quote; site.js makes the phone menu and contents
# buttons work, boxes wide equations, and points search results at the matching section
html_js_files = ["search-math.js", "site.js"]
html_extra_path = ["_extra"]  # the slide decks (slides/) and the student edition (downloads/)
html_copy_source = True  # the download button offers each seminar's .ipynb (only there: see setup)
html_show_sphinx = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": True,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "launch_buttons": {},
    "navigation_with_keys": False,
}
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says


def _no_download_but_notebooks(app, pagename, templatename, context, doctree):
    """The download button only on a seminar's page (its .ipynb); the landing and notation pages are
    generated Markdown (``index.md``), not something to download."""
    if context.get("page_source_suffix") != ".ipynb" and "header_buttons" in context:
        context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "download-buttons"]


def setup(app):
    app.connect("html-page-context", _no_download_but_notebooks, priority=900)  # after the theme's buttons

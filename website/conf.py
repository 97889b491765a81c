"""Sphinx configuration of the course website (built by ``python -m tools.website``, i.e. ``make site``).

The build copies this folder into ``build/site-src/`` beside the pages it generates (the landing page
and the notation page from README.md, the seminar notebooks with their committed outputs, MathJax
from ``node_modules/``) and runs Sphinx there: nothing is executed and nothing is fetched.
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
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {"tex": {"tags": "ams"}}

# --- the book theme -------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_js_files = ["search-math.js"]  # typesets the TeX that search results quote
html_extra_path = ["_extra"]  # the slide decks (slides/) and the student edition (downloads/)
html_copy_source = True  # the download button offers each seminar's .ipynb
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

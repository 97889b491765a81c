"""Maintainer tools of the seminar collection (not part of the installed ``seminar_utils`` package).

``python -m tools COMMAND`` (:mod:`tools.commands`, a module per command; ``python -m tools --help``) builds
the editions of the notebooks in ``notebooks/`` (the instructor edition, the only one written by hand):

- ``slides``  — a reveal.js deck per notebook (``build/slides/``), see :mod:`tools.slides`;
- ``student`` — the exercise edition of each notebook (``build/student/``), released by nbgrader from
  the tags translated in :mod:`tools.exercises`, see :mod:`tools.classroom`;
- ``grade``   — grades students' submissions, each in a sandbox (``grades.csv``, feedback), see
  :mod:`tools.classroom`, :mod:`tools.submissions`, :mod:`tools.sandbox` and :mod:`tools.feedback`;
- ``execute`` — re-executes the notebooks in full mode, in place, to refresh the committed outputs;
- ``site``    — the course website (``build/site/``), see :mod:`tools.website`.

:mod:`tools.paths` names the repository's folders once;
:mod:`tools.assets` copies the front-end assets (MathJax, reveal.js) from ``node_modules/``.
"""

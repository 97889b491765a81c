"""The pages grading writes: a student's feedback on one notebook, and each notebook's answers for the
instructor. One self-contained HTML file each (style inline, no script, nothing loaded); every piece of
text that came from a submission is escaped — it is written by students and may be hostile."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
.score { font-weight: bold; } .flag { color: #a40; } .ok { color: #161; } .bad { color: #a11; }
pre { background: #f6f6f6; padding: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
li { margin: .2rem 0; } table { border-collapse: collapse; } td, th { padding: .2rem .6rem; text-align: left; }
"""


@dataclass
class ExerciseReport:
    """One exercise as graded: its check cell, the check's key, score (``None``: graded by hand) and
    the verdict's lines, with flags and notes on what happened."""

    cell: str
    key: str | None
    score: float | None
    max_score: float
    lines: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _number(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def student_page(
    student: str,
    notebook: str,
    total: float,
    max_total: float,
    exercises: list[ExerciseReport],
    answers: list[tuple[str, str | None, float]],
    events: list[str],
    notes: list[str],
    unreadable: str = "",
) -> str:
    """The feedback ``student`` gets on ``notebook``: the score, each check's verdict, what was
    restored or dropped from the notebook and why, and the answers waiting for a human grader."""
    body = [f"<h1>{escape(notebook)} — feedback for {escape(student)}</h1>"]
    body.append(f'<p class="score">Score: {_number(total)} of {_number(max_total)} (autograded part)</p>')
    if unreadable:
        body.append(
            f'<p class="flag">Your notebook could not be read, so nothing in it was graded: {escape(unreadable)}</p>'
        )
        body.append("<p>Open it in JupyterLab, save it again and hand it in once more (or ask your instructor).</p>")
    if events:
        body.append("<h2>Your notebook was repaired before grading</h2><ul>")
        body += [f'<li class="flag">{escape(e)}</li>' for e in events]
        body.append("</ul><p>Locked cells (the lecture, the checks) always come from the release.</p>")
    if notes:
        body.append("<h2>Cells whose definitions could not be loaded</h2><ul>")
        body += [f"<li>{escape(n)}</li>" for n in notes]
        body.append("</ul>")
    for ex in exercises:
        body.append(f"<h2>{escape(ex.cell)}" + (f" — <code>{escape(ex.key)}</code>" if ex.key else "") + "</h2>")
        body.append(f'<p class="score">{_number(ex.score)} of {_number(ex.max_score)}</p>')
        if ex.lines:
            body.append("<ul>")
            for line in ex.lines:
                css = "ok" if line.startswith("✓") else "bad" if line.startswith("✗") else ""
                body.append(f'<li class="{css}">{escape(line)}</li>')
            body.append("</ul>")
        body += [f'<p class="flag">{escape(f)}</p>' for f in ex.flags]
    if answers:
        body.append("<h2>Your answers (graded by hand)</h2>")
        for cell, text, points in answers:
            body.append(f"<p><b>{escape(cell)}</b> ({_number(points)} point{'s' if points != 1 else ''})</p>")
            body.append(f"<pre>{escape(text) if text is not None else '(missing)'}</pre>")
    return _page(f"{notebook} — {student}", body)


def answers_page(notebook: str, questions: list[tuple[str, str]], answers: dict[str, dict[str, str | None]]) -> str:
    """Every student's answer to each question of ``notebook``, for grading by hand.

    ``questions``: ``(answer cell, the question's markdown)``; ``answers[student][cell]``: the text.
    """
    body = [f"<h1>{escape(notebook)} — answers to grade by hand</h1>"]
    body.append(
        "<p>Record scores in a CSV (<code>student,notebook,cell,score</code>) and pass it to "
        "<code>make grade MANUAL=FILE</code>.</p>"
    )
    for cell, question in questions:
        body.append(f"<h2>{escape(cell)}</h2><pre>{escape(question)}</pre><table>")
        for student in sorted(answers):
            text = answers[student].get(cell)
            shown = escape(text) if text is not None else "<i>(missing)</i>"
            body.append(f"<tr><th>{escape(student)}</th><td><pre>{shown}</pre></td></tr>")
        body.append("</table>")
    return _page(f"{notebook} — answers", body)

"""Grading a class: 30 students × the 5 seminar notebooks, generated, graded as `make grade` does.

Each submission is made from the release (``nbgrader generate_assignment``) and the instructor's
solutions, by a fixed draw: solved (every exercise and answer written), unsolved (the release as
handed out), half solved, or broken — one of invalid JSON, a solution that raises, one that kills its
process (``os.kill(os.getpid(), 9)``), a deleted exercise. Then :func:`tools.classroom.grade` grades
them all (each notebook in its own sandbox, ``--jobs`` at once) and this prints seconds per notebook
handed in — the whole run, setting up the course included — with the machine's cores and load; the
last line is one JSON object.

    python benchmarks/bench_grading.py [--students 30] [--jobs CORES] [--timeout 60]
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools import classroom  # noqa: E402
from tools.cells import read_notebook, source  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KINDS = ["solved", "solved", "unsolved", "half", "broken"]
BROKEN = ["invalid-json", "raises", "kills", "deleted"]


def _submission(released: nbformat.NotebookNode, instructor: nbformat.NotebookNode, kind: str, rng: random.Random):
    """One student's notebook (a NotebookNode, or text for a damaged file) of the given kind."""
    nb, by_id = copy.deepcopy(released), {c.get("id"): c for c in instructor.cells}
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    chosen = solutions if kind in ("solved", "broken") else solutions[: len(solutions) // 2] if kind == "half" else []
    for cell in chosen:
        cell.source = source(by_id[cell.id])
    if kind != "broken":
        return nb
    how = rng.choice(BROKEN)
    code = [c for c in solutions if c.cell_type == "code"]
    if how == "invalid-json":
        return nbformat.writes(nb)[: rng.randrange(10, 2000)]
    if how == "deleted" and code:
        nb.cells.remove(rng.choice(code))
    elif code:  # the exercise's first definition redefined after it, failing
        cell = rng.choice(code)
        node = next(n for n in ast.parse(source(cell)).body if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
        body = "raise ValueError('oops')" if how == "raises" else "import os; os.kill(os.getpid(), 9)"
        if isinstance(node, ast.ClassDef):
            extra = f"class {node.name}:\n    def __init__(self, *args, **kwargs):\n        {body}\n"
        else:
            extra = f"def {node.name}(*args, **kwargs):\n    {body}\n"
        cell.source = f"{source(cell)}\n\n\n{extra}"
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        released = classroom.release(NOTEBOOKS, base / "student")
        kinds: dict[str, int] = {}
        for s in range(args.students):
            student = base / "subs" / f"student{s:02d}"
            student.mkdir(parents=True)
            for path, rel in zip(NOTEBOOKS, released):
                kind = rng.choice(KINDS)
                kinds[kind] = kinds.get(kind, 0) + 1
                nb = _submission(nbformat.read(rel, as_version=4), read_notebook(path), kind, rng)
                if isinstance(nb, str):
                    (student / path.name).write_text(nb, encoding="utf-8")
                else:
                    nbformat.write(nb, student / path.name)
        handed_in = args.students * len(NOTEBOOKS)
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        table = classroom.grade(
            base / "subs", base / "out", base / "course", NOTEBOOKS, timeout=args.timeout, jobs=args.jobs
        )
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()[0]
        with table.open(encoding="utf-8") as f:
            totals = [r for r in csv.DictReader(f) if r["cell"] == "total"]
    per = seconds / handed_in
    print(f"{args.students} students × {len(NOTEBOOKS)} notebooks = {handed_in} handed in ({kinds})")
    print(f"graded in {seconds:.0f} s on {args.jobs} jobs ({os.cpu_count()} cores): {per:.2f} s per notebook handed in")
    print(f"load average (1 min) before {load_before:.1f}, after {load_after:.1f}; {len(totals)} total rows")
    summary = {
        "notebooks_handed_in": handed_in,
        "seconds": round(seconds, 1),
        "seconds_per_notebook": round(per, 3),
        "jobs": args.jobs,
        "cores": os.cpu_count(),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "total_rows": len(totals),
    }
    print(json.dumps(summary))
    return 0 if len(totals) == handed_in else 1


if __name__ == "__main__":
    sys.exit(main())

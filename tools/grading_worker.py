"""The half of grading that runs student code: inside the sandbox, one process per submitted notebook.

``python grading_worker.py JOB OUT``: ``JOB`` (JSON, written by :mod:`tools.sandbox`) lists the code
cells whose definitions make the namespace (the release's cells, the student's solutions and cells
substituted), the checks to run and the resource limits. The worker lowers its limits, builds the
namespace cell by cell (:func:`seminar_utils.exercises.definitions.definitions`: imports, functions,
classes and literal constants — nothing else runs), then calls each check's ``run`` half and saves
its result as plain data (``OUT/<i>.pt``, ``torch.save`` of :func:`seminar_utils.exercises.plain`)
the moment it has it. ``OUT/progress`` says what it is doing (one JSON line per step), so the grader
knows which cell or check was running when the process died or ran out of time.

Everything written here is untrusted: student code runs in this process and may overwrite any of
it. The grader reads it as data only (``torch.load(weights_only=True)``, :func:`plain` again) and
judges it in its own process. This file imports only the standard library and ``seminar_utils``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import sys
import time
import traceback


def _limit(which: int, value: int) -> None:
    if value > 0:
        resource.setrlimit(which, (value, value))


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:300]}" if text else type(err).__name__


def main(job_path: str, out: str) -> int:
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    limits = job["limits"]
    _limit(resource.RLIMIT_AS, limits["memory"])
    _limit(resource.RLIMIT_CPU, limits["cpu"])
    _limit(resource.RLIMIT_FSIZE, limits["fsize"])
    _limit(resource.RLIMIT_CORE, 0)
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

    progress = open(os.path.join(out, "progress"), "a", encoding="utf-8")

    def step(**what) -> None:
        progress.write(json.dumps({**what, "t": round(time.monotonic(), 3)}) + "\n")
        progress.flush()

    step(phase="start")
    import torch

    from seminar_utils.exercises import get_check, plain
    from seminar_utils.exercises.definitions import definitions

    torch.set_num_threads(1)
    for i, path in enumerate(job["check_modules"]):
        spec = importlib.util.spec_from_file_location(f"_grading_checks_{i}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    checks = {key: get_check(key) for _, key in job["checks"]}
    save, replace, join = torch.save, os.replace, os.path.join  # held before any student code runs

    notes = []
    ns: dict = {"__name__": "__main__"}
    skip = set(job["skip"])
    for label, source in job["cells"]:
        if label in skip:
            continue
        step(phase="cell", label=label)
        try:
            code = definitions(source)
            if code:
                exec(compile(code, f"<{label}>", "exec"), ns)
        except BaseException as err:  # a cell's error is that cell's, SystemExit included
            notes.append(f"{label}: {_describe(err)} while loading its definitions")
    with open(join(out, "notes.json"), "w", encoding="utf-8") as f:
        json.dump(notes, f)
    step(phase="built")

    for index, key in job["checks"][job["start"] :]:
        found = checks[key]
        step(phase="check", index=index)
        missing = [n for n in found.names if n not in ns]
        if missing:
            result = {"status": "missing", "message": f"{', '.join(missing)} not defined"}
        else:
            try:
                result = {"status": "ok", "data": plain(found.run(ns))}
            except NotImplementedError:
                result = {"status": "error", "message": f"{', '.join(found.names)}: not written yet"}
            except BaseException as err:  # the student's code raised (MemoryError, SystemExit, ...)
                where = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("<")]
                at = (
                    f" (in {where[-1].name}, {where[-1].filename.strip('<>')}, line {where[-1].lineno})"
                    if where
                    else ""
                )
                result = {"status": "error", "message": f"raised {_describe(err)}{at}"}
        try:
            save(result, join(out, f"{index}.tmp"))
        except BaseException as err:  # too large for the file-size limit, or unsavable
            save(
                {"status": "error", "message": f"the result could not be saved ({_describe(err)})"},
                join(out, f"{index}.tmp"),
            )
        replace(join(out, f"{index}.tmp"), join(out, f"{index}.pt"))
        step(phase="done", index=index)
    step(phase="end")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""Run one submitted notebook's definitions and checks in a sandbox, and take back what it produced.

Each submitted notebook gets its own process, :mod:`tools.grading_worker`, started by bubblewrap
(``bwrap``, Debian's ``bubblewrap`` package) with

- every namespace unshared (``--unshare-all``): no network (a loopback of its own, nothing listening),
  its own process ids, no view of the grader's other processes; ``--die-with-parent`` and a session
  of its own; all capabilities dropped, user ``nobody`` inside;
- a file system of read-only binds of only what the worker needs — the system's ``/usr`` (``/lib``,
  ``/bin`` as links), the loader's cache, the Python installation, the virtual environment, the
  package folder ``seminar_utils/`` — a private ``/tmp`` (tmpfs), a private input folder ``/job``
  (the job: the release's code cells with this student's solutions, the worker, extra check modules)
  and a private output folder ``/out``. The repository root, ``notebooks/``, the course directory
  (instructor source, gradebook), the folder of submissions and the grader's output are not there;
- resource limits set by the worker before any student code runs: address space (``--memory-mb``),
  CPU seconds, the size of a file it writes, no core files.

The grader watches the worker's progress file: a cell or a check that runs longer than ``timeout``
seconds, or a submission over its whole budget, has its sandbox killed (the process group: bwrap
and everything in it). A worker that dies (killed by a signal, out of memory, ``os._exit``) loses
only the step it was in: the grader records it and starts a fresh sandbox for the rest.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import seminar_utils

WORKER = Path(__file__).with_name("grading_worker.py")
PACKAGE = Path(seminar_utils.__file__).resolve().parent
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
POLL = 0.05  # seconds between looks at a running sandbox


class SandboxError(RuntimeError):
    """The sandbox cannot run on this machine (the message says what to install or change)."""


@dataclass(frozen=True)
class Limits:
    """What one submitted notebook may use: ``timeout`` seconds per cell and per check, ``startup``
    seconds to start Python and import torch, ``memory_mb`` of address space, ``file_mb`` per file
    written; the whole notebook at most ``startup + timeout × (checks + 2)`` seconds."""

    timeout: float = 60.0
    startup: float = 180.0
    memory_mb: int = 6144
    file_mb: int = 64

    def __post_init__(self):
        for name in ("timeout", "startup", "memory_mb", "file_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")


def _python_dirs() -> list[Path]:
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    dirs.add(Path(sys.prefix))  # the venv as named (its python is a link into base_prefix)
    return sorted(dirs)


def bwrap_argv(job: Path, out: Path) -> list[str]:
    """The bubblewrap command line that runs the worker on ``job/job.json`` writing into ``out``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed: grading runs each submission in it. "
            "Install it with `apt-get install bubblewrap` (make grade does that as root)"
        )
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    argv += ["--uid", "65534", "--gid", "65534"]
    # the private /tmp first: the binds below land on top of it, so a checkout or a venv that lives
    # under /tmp (a CI clone) is still there, and nothing else of the real /tmp is
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in SYSTEM:
        p = Path(d)
        if p.is_symlink():
            argv += ["--symlink", os.readlink(p), d]
        elif p.is_dir():
            argv += ["--ro-bind", d, d]
    for f in ETC:
        if Path(f).exists():
            argv += ["--ro-bind", f, f]
    for d in _python_dirs():
        argv += ["--ro-bind", str(d), str(d)]
    argv += ["--ro-bind", str(PACKAGE), str(PACKAGE)]
    argv += ["--ro-bind", str(job), "/job", "--bind", str(out), "/out", "--chdir", "/tmp"]
    argv += ["--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp"]
    argv += ["--setenv", "MPLBACKEND", "Agg", "--setenv", "MPLCONFIGDIR", "/tmp"]
    argv += ["--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONHASHSEED", "0"]
    argv += ["--setenv", "SEMINAR_FAST", os.environ.get("SEMINAR_FAST", "1")]
    argv += [sys.executable, "-I", "/job/grading_worker.py"]
    return argv


@functools.cache
def problem() -> str | None:
    """Why the sandbox cannot run here (``None`` when it can): tried once with a trivial command."""
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        (Path(tmp) / "job").mkdir()
        (Path(tmp) / "out").mkdir()
        try:
            argv = bwrap_argv(Path(tmp) / "job", Path(tmp) / "out")
        except SandboxError as err:
            return str(err)
        argv = argv[: argv.index(sys.executable)] + [sys.executable, "-I", "-c", "print('ok')"]
        run = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if run.returncode != 0 or run.stdout.strip() != "ok":
        return f"bubblewrap does not run here (exit {run.returncode}: {run.stderr.strip()[:300]})"
    return None


@dataclass
class Outcome:
    """What came back from one submitted notebook: each check's result file (``results[index]``) or
    why there is none (``failures[index]``), notes on cells that could not be loaded, and seconds."""

    results: dict[int, Path] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _progress(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[-200_000:]
    except OSError:
        return []
    steps = []
    for line in text.splitlines():
        try:
            step = json.loads(line)
        except ValueError:
            continue
        if isinstance(step, dict) and isinstance(step.get("phase"), str):
            steps.append(step)
    return steps


def _death(code: int) -> str:
    sig = code - 128 if code > 128 else -code if code < 0 else 0
    if sig == signal.SIGKILL:
        return "the process was killed (signal 9: killed itself, or ran out of memory)"
    if sig:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"the process crashed ({name})"
    return f"the process exited (status {code}) before it finished"


def run(
    workdir: Path,
    cells: list[tuple[str, str]],
    checks: list[tuple[int, str]],
    check_modules: list[Path],
    limits: Limits,
) -> Outcome:
    """Build the namespace of ``cells`` (``(label, source)``) and run ``checks`` (``(index, key)``) in
    sandboxes under ``workdir`` (a fresh folder of the grader's), restarting past a step that died."""
    begin = time.monotonic()
    budget = limits.startup + limits.timeout * (len(checks) + 2)
    job = workdir / "job"
    job.mkdir(parents=True)
    shutil.copyfile(WORKER, job / WORKER.name)
    modules = []
    for i, path in enumerate(check_modules):
        shutil.copyfile(path, job / f"checks_{i}.py")
        modules.append(f"/job/checks_{i}.py")
    outcome, skip, start = Outcome(), [], 0
    for attempt in range(len(cells) + len(checks) + 2):
        if start >= len(checks) and checks:
            break
        out = workdir / f"out{attempt}"
        out.mkdir()
        spec = {
            "cells": cells,
            "skip": skip,
            "checks": checks,
            "start": start,
            "check_modules": modules,
            "limits": {
                "memory": int(limits.memory_mb * 2**20),
                "cpu": int(budget) + 1,
                "fsize": int(limits.file_mb * 2**20),
            },
        }
        (job / "job.json").write_text(json.dumps(spec), encoding="utf-8")
        argv = bwrap_argv(job, out) + ["/job/job.json", "/out"]
        with (out.parent / f"log{attempt}").open("wb") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            seen, since, why = None, time.monotonic(), None
            while proc.poll() is None:
                time.sleep(POLL)
                steps = _progress(out / "progress")
                last = steps[-1] if steps else {"phase": "start"}
                if last != seen:
                    seen, since = last, time.monotonic()
                allowed = limits.startup if last["phase"] == "start" else limits.timeout
                if time.monotonic() - since > allowed:
                    why = f"timed out (over {allowed:g} s)"
                elif time.monotonic() - begin > budget:
                    why = f"the notebook ran out of time ({budget:g} s in all)"
                if why:
                    _kill(proc)
                    break
            code = proc.wait()
        for index, _ in checks[start:]:
            path = out / f"{index}.pt"
            if path.is_file() and index not in outcome.results:
                outcome.results[index] = path
        notes = out / "notes.json"
        if notes.is_file() and not outcome.notes:
            try:
                found = json.loads(notes.read_text(encoding="utf-8", errors="replace")[:100_000])
                outcome.notes = [str(n)[:400] for n in found][:50] if isinstance(found, list) else []
            except ValueError:
                pass
        steps = _progress(out / "progress")
        if steps and steps[-1]["phase"] == "end" and why is None:
            break
        what = why or _death(code)
        last = steps[-1] if steps else {"phase": "start"}
        if "ran out of time" in what or last["phase"] == "start":
            if last["phase"] == "start" and why is None:
                tail = (out.parent / f"log{attempt}").read_bytes()[-600:].decode("utf-8", "replace").strip()
                what = f"the sandbox failed to start: {what}; {tail}"
            for index, _ in checks[start:]:
                if index not in outcome.results:
                    outcome.failures[index] = what
            break
        if last["phase"] == "cell" and isinstance(last.get("label"), str) and last["label"] not in skip:
            skip.append(last["label"])
            outcome.notes.append(f"{last['label']}: {what} while loading its definitions (left out)")
            continue
        done = [i for i, _ in checks].index
        if last["phase"] == "check" and last.get("index") in [i for i, _ in checks]:
            failed = last["index"]
        else:  # "built" or "done": between steps
            pending = [i for i, _ in checks[start:] if i not in outcome.results]
            if not pending:
                break
            failed = pending[0]
        outcome.failures.setdefault(failed, what)
        start = done(failed) + 1
    outcome.seconds = time.monotonic() - begin
    return outcome


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # bwrap and everything in its session
    except ProcessLookupError:
        pass

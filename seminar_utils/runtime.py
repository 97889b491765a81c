"""Runtime helpers: choosing a device (:func:`get_device`, the one device resolver), seeding, and the
fast mode used by the tests.

Every notebook starts with ``device = get_device()`` and ``seed_everything(...)``; sizes that make a
notebook slow (epochs, dataset sizes, Monte Carlo samples) come from :func:`by_mode`, which gives the
full-mode value to people and a small one when the environment variable ``SEMINAR_FAST=1`` is set
(as ``make test`` does).
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar

import numpy as np
import torch
from torch import nn

__all__ = [
    "atomic_file",
    "available_devices",
    "by_mode",
    "expand_path",
    "get_device",
    "is_fast_mode",
    "module_device_dtype",
    "seed_everything",
    "storage_dir",
    "to_numpy",
    "umask",
]

T = TypeVar("T")

_FALSE = {"", "0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """Names of the devices torch can use here, e.g. ``['cpu', 'cuda', 'cuda:0', 'cuda:1']``."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names.append("cuda")
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available():
        names.append("mps")
    return names


def get_device(
    device: torch.device | str | None = None, *, default: torch.device | None = None, float64: bool = False
) -> torch.device:
    """The device to compute on: the package's one device resolver.

    ``device`` (a name such as ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, or a ``torch.device``)
    if it is available here; a name that is unknown or not available is a ``ValueError`` that lists
    the available ones. When ``device`` is None: ``default`` if given (``fit`` passes the model's
    device), else the environment variable ``SEMINAR_DEVICE``, else CUDA if present, then Apple
    MPS, then the CPU. ``float64=True`` gives the CPU instead of MPS, which has no float64.
    """
    source = "device"
    if device is None and default is None:
        device = os.environ.get("SEMINAR_DEVICE", "").strip() or None
        source = "SEMINAR_DEVICE"
    if device is None:
        chosen = default if default is not None else _best_device()
    elif isinstance(device, (str, torch.device)):
        available = available_devices()
        wanted = str(device).strip().lower()
        if wanted not in available:
            raise ValueError(f"{source}={str(device)!r} is not available here; available: {', '.join(available)}")
        chosen = torch.device(wanted)
    else:
        raise ValueError(f"{source} must be a device name such as 'cpu' or 'cuda:0', got {device!r}")
    return torch.device("cpu") if float64 and chosen.type == "mps" else chosen


def _best_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("mps") if _mps_available() else torch.device("cpu")


def module_device_dtype(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and dtype of the module's first parameter (CPU, float32 for one without parameters)."""
    p = next(module.parameters(), None)
    return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)


def to_numpy(value) -> np.ndarray:
    """``value`` (a tensor on any device, with or without gradient, a NumPy array or nested lists)
    as a float64 NumPy array on the CPU: the figures' conversion, which checks nothing."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).numpy()
    return np.asarray(value, dtype=np.float64)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Run torch's CPU operations on ``n`` threads inside the block; the previous number is restored
    after it, also when it raises (small networks are as fast on one thread, conv networks use every core)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (threads), got {n!r}")
    previous = torch.get_num_threads()
    if n != previous:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def is_fast_mode() -> bool:
    """True when ``SEMINAR_FAST`` is set to 1/true/yes/on (the tests' small sizes)."""
    value = os.environ.get("SEMINAR_FAST", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"SEMINAR_FAST must be 1 or 0 (or true/false), got {value!r}")


def by_mode(full: T, fast: T) -> T:
    """``full`` for people running a notebook, ``fast`` under ``SEMINAR_FAST=1`` (the tests).

    Example: ``n_epochs = by_mode(full=100, fast=3)``.
    """
    return fast if is_fast_mode() else full


def expand_path(value: str | os.PathLike, name: str) -> Path:
    """``value`` as a ``Path`` with a leading ``~`` or ``~user`` expanded; a ``~user`` that names no
    user here (or a ``~`` without a home folder) is a ``ValueError`` naming ``name``."""
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"{name} must be a path (a string or a pathlib.Path), got {type(value).__name__}")
    try:
        return Path(value).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory"
        head = str(value).split(os.sep, 1)[0]
        raise ValueError(
            f"{name}={str(value)!r}: {head!r} is not a home folder here (no such user, or no HOME); "
            "give the folder as an absolute path"
        ) from None


def storage_dir(env_var: str, name: str) -> Path:
    """Where the package keeps files of one kind (``name``: "data", "checkpoints").

    ``$env_var`` if set; else ``<repo>/<name>`` when running from a checkout of this repository
    (git-ignored there); else ``~/.cache/seminar_utils/<name>``.
    """
    if os.environ.get(env_var):
        return expand_path(os.environ[env_var], env_var)
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file():
        return repo / name
    return Path.home() / ".cache" / "seminar_utils" / name


_UMASK_LOCK = threading.Lock()


def umask() -> int:
    """The process's umask, read without changing it (Linux: /proc/self/status), else by setting and
    restoring it under a lock (the other threads of this package never see the temporary value)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only once fully written: a unique temporary file in the
    same folder, flushed to disk, then renamed over ``path`` (atomic on one file system). It gets the
    permissions an ordinary ``open()`` would give under the umask (``0o666 & ~umask``), not
    ``mkstemp``'s 0o600, so a cache in a shared folder is readable by those the umask lets read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(handle, 0o666 & ~umask())
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

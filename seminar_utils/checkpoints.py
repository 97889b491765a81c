"""A checkpoint cache for :func:`seminar_utils.training.fit`: train once, load instantly after.

:func:`fit_cached` keys a run by everything that decides its result — the model (its class, config,
layer structure and *initial* weights), every argument of :func:`fit` that changes the weights (read
from ``fit``'s own signature, defaults included) and the data — and stores the trained weights with
the :class:`~seminar_utils.training.History` under ``<directory>/<name>-<key>.pt``. A later call with
the same key loads that file (``torch.load(weights_only=True)``) instead of training; any change
gives another key, so a stale model is never loaded.

Faults lose nothing:

* a file that cannot be read, is damaged (a SHA-256 digest of config, weights and History is stored
  and checked: one flipped bit, or no digest at all, is damaged) or does not fit the model is
  reported (:class:`CheckpointWarning`), the model is left exactly as it was, and it is trained again;
* files (:func:`~seminar_utils.runtime.atomic_file`: mode ``0o666 & ~umask``, as ``open()`` gives)
  are written to a unique temporary file in the same folder and then renamed, so two kernels
  (or a notebook and ``make execute``) saving the same run never collide and a reader never sees a
  half-written file;
* a folder that cannot be created or written (read-only, full disk) is reported with a
  :class:`CheckpointWarning` naming it, and the trained model and its History are returned anyway.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ._checks import as_tensor
from .runtime import atomic_file, expand_path, get_device, module_device_dtype, storage_dir
from .training import History, fit

__all__ = [
    "CheckpointError",
    "CheckpointWarning",
    "cached_json",
    "config_key",
    "default_checkpoint_dir",
    "fingerprint",
    "fit_cached",
    "load_checkpoint",
    "run_config",
    "save_checkpoint",
]

FORMAT = 2
# fit's arguments that cannot change the trained weights; every other one is part of the key
NOT_IN_KEY = ("model", "train", "test", "device", "progress", "callback", "test_name")


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read, or that belongs to another configuration."""


class CheckpointWarning(UserWarning):
    """A checkpoint was not used or not saved (the message says which and why)."""


def default_checkpoint_dir() -> Path:
    """``$SEMINAR_CHECKPOINT_DIR``, else ``<repo>/checkpoints`` in a checkout, else ``~/.cache``."""
    return storage_dir("SEMINAR_CHECKPOINT_DIR", "checkpoints")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"name must be a file-name-safe string (letters, digits, _ . -), got {name!r}")
    return name


def fingerprint(*tensors) -> str:
    """A SHA-256 hex digest of the tensors' shapes, dtypes and values (on any device)."""
    digest = hashlib.sha256()
    for tensor in tensors:
        if isinstance(tensor, TensorDataset):
            tensor = tensor.tensors[0]
        t = tensor if isinstance(tensor, torch.Tensor) else as_tensor(tensor, "data", integers="cast")
        t = t.detach().cpu().contiguous()
        digest.update(f"{tuple(t.shape)}|{t.dtype}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def run_config(model: nn.Module, train, test=None, **fit_kwargs: Any) -> dict[str, Any]:
    """Everything that decides a :func:`fit` run's result, as a JSON-able dict.

    ``fit_kwargs`` are bound to ``fit``'s signature (a ``ValueError`` for an argument it does not
    take, or a missing ``epochs``), its defaults filled in; ``loss_kwargs`` schedules are recorded
    by their value at every epoch. Call it with the model *before* training: its initial weights
    are part of the key.
    """
    try:
        bound = inspect.signature(fit).bind(model, train, test, **fit_kwargs)
    except TypeError as error:
        raise ValueError(f"fit_kwargs do not fit fit's signature: {error}") from None
    bound.apply_defaults()
    settings = {k: v for k, v in bound.arguments.items() if k not in NOT_IN_KEY}
    epochs = settings["epochs"]
    schedules = settings.get("loss_kwargs") or {}
    if isinstance(schedules, Mapping) and isinstance(epochs, int):
        settings["loss_kwargs"] = {
            name: [float(f(epoch)) for epoch in range(1, epochs + 1)] if callable(f) else f
            for name, f in sorted(schedules.items())
        }
    state = model.state_dict()
    return {
        "format": FORMAT,
        "model": {
            "class": type(model).__name__,
            "config": json.loads(json.dumps(getattr(model, "config", None), default=repr)),
            "structure": repr(model),
            "initial_weights": fingerprint(*state.values()) + f"|{list(state)}",
        },
        "fit": json.loads(json.dumps(settings, sort_keys=True, default=repr)),
        "data": {"train": fingerprint(train), "test": None if test is None else fingerprint(test)},
    }


def config_key(config: Mapping[str, Any]) -> str:
    """A short hex key (16 characters) of a :func:`run_config` dict."""
    text = json.dumps(config, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _digest(config: str, state_dict: Mapping[str, Any], history: Any) -> str:
    """SHA-256 of a checkpoint's contents: the config string, every tensor (name, dtype, shape, bytes,
    in name order) and the History dict (as canonical JSON)."""
    digest = hashlib.sha256(config.encode())
    for name in sorted(state_dict):
        if not isinstance(state_dict[name], torch.Tensor):
            raise CheckpointError(f"its state_dict entry {name!r} is not a tensor")
        digest.update(f"|{name}|{fingerprint(state_dict[name])}".encode())
    digest.update(json.dumps(history, sort_keys=True, default=repr).encode())
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike, model: nn.Module, config: Mapping[str, Any], history: History) -> Path:
    """Write the weights, the config and the history to ``path``, atomically (see the module's doc).

    An ``OSError`` (a folder that cannot be created or written, a full disk) propagates, and no
    partial file is left behind.
    """
    path = Path(path)
    payload = {
        "config": json.dumps(config, sort_keys=True, default=repr),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": history.as_dict(),
    }
    payload["digest"] = _digest(payload["config"], payload["state_dict"], payload["history"])
    with atomic_file(path) as file:
        torch.save(payload, file)
    return path


def load_checkpoint(path: str | os.PathLike, model: nn.Module, config: Mapping[str, Any]) -> History:
    """Load ``path`` into ``model`` (in place, left in eval mode) and return the stored History.

    ``CheckpointError`` when the file is unreadable, not a checkpoint, damaged (its contents do not
    match the digest stored with them, or it has none), stored for another config, holds no valid
    History, or its tensors do not fit the model; the model is then left exactly as it was.
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(f"{path.name} is unreadable ({type(error).__name__}: {error})") from error
    if not isinstance(payload, dict) or not {"config", "state_dict", "history"} <= set(payload):
        raise CheckpointError(f"{path.name} is not a checkpoint written by save_checkpoint")
    if "digest" not in payload:
        raise CheckpointError(f"{path.name} has no digest (written by an older seminar_utils): it cannot be checked")
    try:
        intact = payload["digest"] == _digest(payload["config"], payload["state_dict"], payload["history"])
    except (CheckpointError, TypeError, AttributeError, ValueError) as error:  # e.g. a config that is no string
        raise CheckpointError(f"{path.name} is damaged ({error})") from error
    if not intact:
        raise CheckpointError(f"{path.name} is damaged: its contents do not match the digest stored with them")
    if payload["config"] != json.dumps(config, sort_keys=True, default=repr):
        raise CheckpointError(f"{path.name} was saved for another configuration")
    try:
        history = History.from_dict(payload["history"])
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path.name} holds no valid history ({error})") from error
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, TypeError, KeyError, AttributeError) as error:
        model.load_state_dict(before)  # load_state_dict may have copied some tensors before failing
        raise CheckpointError(f"{path.name} does not fit the model ({error})") from error
    model.eval()
    return history


def _exists(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a folder we may not read: as if there were no file
        return False


def _save_or_warn(what: str, path: Path, save: Callable[[], Any]) -> bool:
    try:
        save()
    except OSError as error:
        warnings.warn(
            f"could not save {what} to {path} ({type(error).__name__}: {error}); the result is returned "
            "but the next run computes it again. Set SEMINAR_CHECKPOINT_DIR (or directory=) to a writable folder.",
            CheckpointWarning,
            stacklevel=3,
        )
        return False
    return True


def fit_cached(
    model: nn.Module,
    train,
    test=None,
    *,
    name: str = "model",
    directory: str | os.PathLike | None = None,
    retrain: bool = False,
    verbose: bool = True,
    **fit_kwargs: Any,
) -> History:
    """:func:`~seminar_utils.training.fit` with a cache: load the checkpoint of this exact run or train and save.

    ``fit_kwargs`` are :func:`fit`'s (``epochs`` required). The file is ``<directory>/<name>-<key>.pt``
    (``directory`` defaults to :func:`default_checkpoint_dir`); ``retrain=True`` ignores an existing
    file. Returns the run's History; the model ends in eval mode on its device, as after :func:`fit`.
    """
    _check_name(name)
    config = run_config(model, train, test, **fit_kwargs)
    device = get_device(fit_kwargs.get("device"), default=module_device_dtype(model)[0])  # fit's error
    folder = expand_path(directory, "directory") if directory is not None else default_checkpoint_dir()
    path = folder / f"{name}-{config_key(config)}.pt"
    if not retrain and _exists(path):
        try:
            history = load_checkpoint(path, model, config)
        except CheckpointError as error:
            warnings.warn(f"checkpoint not used, training again: {error}", CheckpointWarning, stacklevel=2)
        else:
            model.to(device)
            if verbose:
                print(f"Loaded {name} from the checkpoint cache: {history.summary()} (not rerun)")
            return history
    history = fit(model, train, test, **fit_kwargs)
    saved = _save_or_warn(f"the trained {name}", path, lambda: save_checkpoint(path, model, config, history))
    if verbose and saved:
        print(f"Saved {name} in the checkpoint cache (the next run loads it)")
    return history


def _json_digest(config: Any, result: Any) -> str:
    return hashlib.sha256(json.dumps([config, result], sort_keys=True).encode()).hexdigest()


def cached_json(
    name: str, config: Mapping[str, Any], compute: Callable[[], dict], directory: str | os.PathLike | None = None
) -> dict:
    """``compute()`` once per ``config``: its result (a JSON-able dict) is kept as ``<name>-<key>.json``.

    For evaluations that are slow but fully determined by ``config`` (e.g. an IWAE estimate, keyed
    by the weights' :func:`fingerprint`, the data's and the settings). The file holds a SHA-256
    digest of its config and result; an unreadable, damaged (digest missing or not matching) or
    mismatched file is reported (:class:`CheckpointWarning`) and computed again; a folder that
    cannot be written is reported too, and the result returned.
    """
    _check_name(name)
    folder = expand_path(directory, "directory") if directory is not None else default_checkpoint_dir()
    path = folder / f"{name}-{config_key(config)}.json"
    canonical = json.loads(json.dumps(config, sort_keys=True, default=repr))
    if _exists(path):
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("config") != canonical:
                raise CheckpointError(f"{path.name} was saved for another configuration")
            if stored.get("digest") != _json_digest(stored.get("config"), stored.get("result")):
                raise CheckpointError(f"{path.name} is damaged: no digest, or one that does not match its contents")
            return stored["result"]
        except (OSError, ValueError, KeyError, AttributeError, CheckpointError) as error:
            warnings.warn(f"cached result not used, computing again: {error}", CheckpointWarning, stacklevel=2)
    result = compute()
    kept = json.loads(json.dumps(result))  # as a later run reads it back
    text = json.dumps({"config": canonical, "result": kept, "digest": _json_digest(canonical, kept)}, indent=1)

    def save() -> None:
        with atomic_file(path) as file:
            file.write(text.encode("utf-8"))

    _save_or_warn(f"the result {name}", path, save)
    return result

"""A checkpoint cache for :func:`seminar_utils.training.fit`: train once, load instantly after.

:func:`fit_cached` keys a run by everything that decides its result — the model (its class,
config, layer structure and *initial* weights), the training settings and the data — and stores
the trained weights with the :class:`~seminar_utils.training.History` under
``<directory>/<name>-<key>.pt``. A later call with the same key loads that file with
``torch.load(weights_only=True)`` instead of training; any change of configuration gives another
key, so a stale model is never loaded. A file that cannot be read or does not match is reported
(a :class:`CheckpointWarning`) and the model is trained again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from .runtime import storage_dir
from .training import History, fit

__all__ = ["CheckpointError", "CheckpointWarning", "default_checkpoint_dir", "fingerprint",
           "run_config", "config_key", "save_checkpoint", "load_checkpoint", "fit_cached", "cached_json"]

FORMAT = 1
# fit's arguments that change the trained weights (device, progress and callback do not)
FIT_KEYS = ("epochs", "batch_size", "lr", "weight_decay", "beta", "grad_clip", "seed", "patience")
_FIT_DEFAULTS = {"batch_size": 128, "lr": 1e-3, "weight_decay": 0.0, "beta": 1.0, "grad_clip": None,
                 "seed": 0, "patience": None}


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read, or that belongs to another configuration."""


class CheckpointWarning(UserWarning):
    """A checkpoint was found but not used (see the message); the model is trained again."""


def default_checkpoint_dir() -> Path:
    """``$SEMINAR_CHECKPOINT_DIR``, else ``<repo>/checkpoints`` in a checkout, else ``~/.cache``."""
    return storage_dir("SEMINAR_CHECKPOINT_DIR", "checkpoints")


def _as_tensor(data) -> torch.Tensor:
    if isinstance(data, TensorDataset):
        data = data.tensors[0]
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    if not isinstance(data, torch.Tensor):
        raise ValueError(f"data must be a tensor, a numpy array or a TensorDataset, got {type(data).__name__}")
    return data


def fingerprint(*tensors) -> str:
    """A SHA-256 hex digest of the tensors' shapes, dtypes and values (on any device)."""
    digest = hashlib.sha256()
    for tensor in tensors:
        t = _as_tensor(tensor).detach().cpu().contiguous()
        digest.update(f"{tuple(t.shape)}|{t.dtype}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def run_config(model: nn.Module, train, test=None, **fit_kwargs: Any) -> dict[str, Any]:
    """Everything that decides a :func:`fit` run's result, as a JSON-able dict.

    Call it with the model *before* training: its initial weights are part of the key.
    """
    unknown = set(fit_kwargs) - set(FIT_KEYS) - {"device", "progress", "callback"}
    if unknown:
        raise ValueError(f"fit_kwargs has arguments fit does not take: {sorted(unknown)}")
    if "epochs" not in fit_kwargs:
        raise ValueError("fit_kwargs must give epochs")
    fit_config = {key: fit_kwargs.get(key, _FIT_DEFAULTS.get(key)) for key in FIT_KEYS}
    if callable(fit_config["beta"]):  # a schedule: its values are what decides the run
        epochs = fit_config["epochs"]
        fit_config["beta"] = [float(fit_config["beta"](epoch)) for epoch in range(1, int(epochs) + 1)]
    state = model.state_dict()
    return {
        "format": FORMAT,
        "model": {
            "class": type(model).__name__,
            "config": json.loads(json.dumps(getattr(model, "config", None), default=repr)),
            "structure": repr(model),
            "initial_weights": fingerprint(*state.values()) + f"|{list(state)}",
        },
        "fit": fit_config,
        "data": {"train": fingerprint(train), "test": None if test is None else fingerprint(test)},
    }


def config_key(config: Mapping[str, Any]) -> str:
    """A short hex key (16 characters) of a :func:`run_config` dict."""
    text = json.dumps(config, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_checkpoint(path: str | os.PathLike, model: nn.Module, config: Mapping[str, Any],
                    history: History) -> Path:
    """Write the weights, the config and the history to ``path`` (atomically: a crash leaves no half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": json.dumps(config, sort_keys=True, default=repr),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": history.as_dict(),
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return path


def load_checkpoint(path: str | os.PathLike, model: nn.Module, config: Mapping[str, Any]) -> History:
    """Load ``path`` into ``model`` (in place) and return the stored :class:`History`.

    ``CheckpointError`` when the file is unreadable, not a checkpoint, or stored for another config.
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many kinds for a damaged file
        raise CheckpointError(f"{path.name} is unreadable ({type(error).__name__}: {error})") from error
    if not isinstance(payload, dict) or not {"config", "state_dict", "history"} <= set(payload):
        raise CheckpointError(f"{path.name} is not a checkpoint written by save_checkpoint")
    if payload["config"] != json.dumps(config, sort_keys=True, default=repr):
        raise CheckpointError(f"{path.name} was saved for another configuration")
    try:
        model.load_state_dict(payload["state_dict"])
        names = {f.name for f in fields(History)}
        history = History(**{k: v for k, v in payload["history"].items() if k in names})
    except (RuntimeError, TypeError, AttributeError) as error:
        raise CheckpointError(f"{path.name} does not fit the model ({error})") from error
    model.eval()
    return history


def fit_cached(model: nn.Module, train, test=None, *, name: str = "model",
               directory: str | os.PathLike | None = None, retrain: bool = False,
               verbose: bool = True, **fit_kwargs: Any) -> History:
    """:func:`~seminar_utils.training.fit` with a cache: load the checkpoint of this exact run or train and save.

    ``fit_kwargs`` are :func:`fit`'s (``epochs`` required). The file is
    ``<directory>/<name>-<key>.pt`` (``directory`` defaults to :func:`default_checkpoint_dir`);
    ``retrain=True`` ignores an existing file. Returns the run's History; the model ends in eval mode
    on its device, as after :func:`fit`.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"name must be a file-name-safe string (letters, digits, _ . -), got {name!r}")
    config = run_config(model, train, test, **fit_kwargs)
    folder = Path(directory).expanduser() if directory is not None else default_checkpoint_dir()
    path = folder / f"{name}-{config_key(config)}.pt"
    if path.exists() and not retrain:
        if fit_kwargs.get("device") is not None:
            model.to(fit_kwargs["device"])
        try:
            history = load_checkpoint(path, model, config)
        except CheckpointError as error:
            warnings.warn(f"checkpoint not used, training again: {error}", CheckpointWarning, stacklevel=2)
        else:
            if verbose:
                print(f"Loaded {name} from {path.name}: {len(history)} epochs, "
                      f"{sum(history.epoch_seconds):.0f} s of training saved")
            return history
    history = fit(model, train, test, **fit_kwargs)
    save_checkpoint(path, model, config, history)
    if verbose:
        print(f"Trained {name} in {sum(history.epoch_seconds):.0f} s; saved {path.name} "
              f"(the next run loads it)")
    return history


def cached_json(name: str, config: Mapping[str, Any], compute: Callable[[], dict],
                directory: str | os.PathLike | None = None) -> dict:
    """``compute()`` once per ``config``: its result (a JSON-able dict) is kept as ``<name>-<key>.json``.

    For evaluations that are slow but fully determined by ``config`` (e.g. an IWAE estimate, keyed
    by the weights' :func:`fingerprint`, the data's and the settings). An unreadable or mismatched
    file is reported (:class:`CheckpointWarning`) and computed again.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"name must be a file-name-safe string (letters, digits, _ . -), got {name!r}")
    folder = Path(directory).expanduser() if directory is not None else default_checkpoint_dir()
    path = folder / f"{name}-{config_key(config)}.json"
    canonical = json.loads(json.dumps(config, sort_keys=True, default=repr))
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("config") != canonical:
                raise CheckpointError(f"{path.name} was saved for another configuration")
            return stored["result"]
        except (OSError, ValueError, KeyError, AttributeError, CheckpointError) as error:
            warnings.warn(f"cached result not used, computing again: {error}", CheckpointWarning, stacklevel=2)
    result = compute()
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"config": canonical, "result": result}, indent=1), encoding="utf-8")
    os.replace(partial, path)
    return result

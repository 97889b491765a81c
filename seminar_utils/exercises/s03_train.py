"""Checks of seminar 03, continued: the training loop (the conventions are in
:mod:`seminar_utils.exercises.s03`).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from .core import Check, Verdict, close, register
from .s03_parts import (
    F64,
    number,
)

# ------------------------------------------------------------------------------------------ train
_TRAIN = {"epochs": 3, "batch_size": 16, "lr": 0.05, "beta": 0.7}
_N_TRAIN = 50
_W0 = (0.5, -1.0, 0.3)


def _train_data() -> torch.Tensor:
    i = torch.arange(_N_TRAIN, dtype=F64)
    return torch.stack([i / 10, torch.sin(i)], dim=1)  # every row different: a row names its point


def _terms(w: torch.Tensor, x: torch.Tensor, beta: float) -> dict[str, torch.Tensor]:
    """A deterministic loss_terms: a Gaussian with mean w[:2] and log σ = w[2], a 'KL' on w."""
    recon = (0.5 * (x - w[:2]) ** 2 * torch.exp(-2 * w[2]) + w[2]).sum(-1)
    kl = 0.5 * (w**2).sum() + 0.0 * x[:, 0]
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


class _Recorder(nn.Module):
    """A model whose loss_terms records each call: the points, β, the mode, whether gradients are on."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(_W0, dtype=F64))
        self.calls: list[dict] = []

    def loss_terms(self, x, beta: float = 1.0):
        self.calls.append(
            {"x": x.detach().clone(), "beta": number(beta), "training": self.training, "grad": torch.is_grad_enabled()}
        )
        return _terms(self.w, x, beta)


def _history(history):
    if not isinstance(history, Mapping):
        return f"a {type(history).__name__}"
    out = {}
    for key, values in history.items():
        try:
            out[str(key)] = [number(v) for v in values]
        except TypeError:
            out[str(key)] = f"a {type(values).__name__}"
    return out


def _run_train(ns):
    runs = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3036)
        for seed in (0, 0, 1):
            model = _Recorder()
            model.eval()  # as after an earlier call: train must switch it to training mode
            history = ns["train"](model, _train_data(), seed=seed, **_TRAIN)
            runs.append(
                {
                    "history": _history(history),
                    "calls": model.calls,
                    "w": model.w.detach(),
                    "training_after": model.training,
                }
            )
            torch.randn(5)  # the global random state moves on between the runs
    return runs


def _replay(calls) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """Adam on the mean loss of the recorded batches, in order: the weights and each batch's term sums."""
    w = nn.Parameter(torch.tensor(_W0, dtype=F64))
    optimizer = torch.optim.Adam([w], lr=_TRAIN["lr"])
    sums = []
    for call in calls:
        terms = _terms(w, call["x"], _TRAIN["beta"])
        optimizer.zero_grad()
        terms["loss"].mean().backward()
        optimizer.step()
        sums.append({k: v.detach().sum().item() for k, v in terms.items()})
    return w.detach(), sums


def _batch_indices(calls, x: torch.Tensor) -> list[list[int]] | None:
    rows = {tuple(r): i for i, r in enumerate(x.tolist())}
    try:
        return [[rows[tuple(r)] for r in call["x"].double().reshape(-1, 2).tolist()] for call in calls]
    except KeyError:
        return None


def _epochs(batches: list[list[int]]) -> list[list[int]] | None:
    """The batches grouped into epochs of exactly _N_TRAIN points (None when they do not add up)."""
    epochs, current = [], []
    for batch in batches:
        current += batch
        if len(current) == _N_TRAIN:
            epochs.append(current)
            current = []
        elif len(current) > _N_TRAIN:
            return None
    return epochs if not current else None


def _history_lines(history: dict, batches: list, epochs: list, sums: list) -> list:
    """``history``'s values against the means, over each epoch's points, of the replayed steps' values."""
    expected, start = {k: [] for k in ("loss", "recon", "kl")}, 0
    for epoch in epochs:
        n_batches, total = 0, 0
        while total < len(epoch):
            total += len(batches[start + n_batches])
            n_batches += 1
        for k in expected:
            expected[k].append(sum(s[k] for s in sums[start : start + n_batches]) / _N_TRAIN)
        start += n_batches
    lines = [
        close(
            f"history[{k!r}]: the mean over each epoch's points of the steps' values",
            torch.tensor(history[k]),
            expected[k],
            atol=1e-9,
        )
        for k in ("loss", "recon", "kl")
    ]
    return [*lines, (history["loss"][-1] < history["loss"][0], "the loss fell")]


def _seed_lines(data, batches: list | None, x: torch.Tensor) -> list:
    """The same seed repeats the run (data[1] against data[0]); another (data[2]) changes the order."""
    first, again, other = data[0], data[1], data[2]
    same = again["history"] == first["history"] and torch.equal(again["w"], first["w"])
    other_batches = _batch_indices([c for c in other["calls"] if c["grad"]], x)
    return [
        (same, "the same seed gives the same history and weights (torch.manual_seed / a generator of seed)"),
        (other_batches is not None and other_batches != batches, "another seed gives another order"),
    ]


def _judge_train(data) -> Verdict:
    x = _train_data()
    first = data[0]
    steps = [c for c in first["calls"] if c["grad"]]
    history = first["history"]
    n_epochs, bs = _TRAIN["epochs"], _TRAIN["batch_size"]
    lines = []
    shape_ok = isinstance(history, dict) and all(
        isinstance(history.get(k), list)
        and len(history[k]) == n_epochs
        and all(isinstance(v, float) for v in history[k])
        for k in ("loss", "recon", "kl")
    )
    lines.append((shape_ok, f"returns {{term: [one number per epoch]}} for loss, recon and kl ({n_epochs} epochs)"))
    batches = _batch_indices(steps, x)
    epochs = None if batches is None else _epochs(batches)
    sizes_ok = batches is not None and all(0 < len(b) <= bs for b in batches)
    each_once = (
        epochs is not None and len(epochs) == n_epochs and all(sorted(e) == list(range(_N_TRAIN)) for e in epochs)
    )
    lines.append(
        (
            sizes_ok and each_once,
            f"one step per mini-batch of at most batch_size = {bs} points; each epoch takes every point exactly once",
        )
    )
    if each_once:
        lines.append((len({tuple(e) for e in epochs}) == n_epochs, "a new random order of the points in every epoch"))
    lines.append(
        (bool(steps) and all(c["beta"] == _TRAIN["beta"] for c in steps), f"loss_terms gets beta = {_TRAIN['beta']}")
    )
    lines.append((bool(steps) and all(c["training"] for c in steps), "the steps run in training mode (model.train())"))
    lines.append((first["training_after"] is False, "the model is left in eval mode (model.eval())"))
    if not (sizes_ok and each_once):
        return Verdict.of(*lines)
    w, sums = _replay(steps)
    lines.append(
        close(
            "the weights after Adam(lr) on the mean loss of each batch (gradients zeroed every step)",
            first["w"],
            w,
            atol=1e-7,
        )
    )
    if shape_ok:
        lines += _history_lines(history, batches, epochs, sums)
    return Verdict.of(*lines, *_seed_lines(data, batches, x))


register(Check("03_vae_2d/train", ("train",), _run_train, _judge_train, references=("seminar_utils.training.fit",)))

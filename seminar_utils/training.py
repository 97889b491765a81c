"""Training any model: :func:`fit` (Adam, a progress bar, a per-epoch :class:`History`).

A model is trainable here when it has ``loss_terms(x, **loss_kwargs) -> dict[str, Tensor]``: a few
named per-example values, each ``(batch,)``, one of them ``"loss"``. :func:`fit` minimizes the mean
of ``terms["loss"]`` over each mini-batch and records the mean of every term, per epoch, on the
training and the test set. The VAE's terms are ``loss`` (−ELBO, or recon + β·KL), ``recon`` and
``kl`` (:meth:`seminar_utils.vae.VAE.loss_terms`); a flow or a plain density model would return
``{"loss": -log_prob(x)}``. The curves of any run are drawn by
:func:`seminar_utils.figures_training.plot_history`.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import as_examples, check_int, check_real, history_problem
from .runtime import get_device, module_device_dtype

__all__ = ["FitOptions", "History", "evaluate", "fit"]

Schedule = float | Callable[[int], float]


@dataclass
class History:
    """Per-epoch figures of a :func:`fit` run: means over the set of each term of ``loss_terms``.

    ``train[name]`` and ``test[name]`` are lists of floats, one per epoch (``test`` is empty without
    a test set). Training figures are running means over the epoch's mini-batches, taken while the
    weights change (and with the model in training mode); test figures are measured after the epoch
    with the model in eval mode. ``settings[name]`` holds each ``loss_kwargs`` value per epoch (e.g. a
    β schedule); ``best_epoch`` (counted from 1) is the epoch with the lowest test ``monitor`` term,
    None without a test set; ``stopped_early`` tells whether ``patience`` ended the run;
    ``test_name`` names the held-out set (e.g. "validation") in :meth:`summary` and in plots.
    """

    train: dict[str, list[float]] = field(default_factory=dict)
    test: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)
    settings: dict[str, list[float]] = field(default_factory=dict)
    monitor: str = "loss"
    best_epoch: int | None = None
    stopped_early: bool = False
    test_name: str = "test"

    def __len__(self) -> int:
        return len(self.epoch_seconds)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict (what a checkpoint stores); :meth:`from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """The History of :meth:`as_dict`'s output; a ``ValueError`` for anything else."""
        if not isinstance(data, Mapping) or not {"train", "test", "epoch_seconds"} <= set(data):
            raise ValueError("data must be a dict written by History.as_dict")
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        history = cls(**known)
        if problem := history_problem(history):  # a damaged or foreign file: summary() and plots would fail later
            raise ValueError(f"data must be a History fit could write: {problem}")
        return history

    def comparable(self) -> bool:
        """True when every epoch minimized the same objective (no ``loss_kwargs`` schedule changed it),
        so that the test values, and hence ``best_epoch``, can be compared across epochs."""
        return all(len(set(values)) <= 1 for values in self.settings.values())

    def summary(self) -> str:
        """One line: epochs, seconds, the last training and test ``monitor`` values, the best epoch
        (left out when a schedule changed the objective from epoch to epoch)."""
        if not len(self):
            return "no epoch trained"
        name, best = self.monitor, self.best_epoch
        text = f"{len(self)} epochs in {sum(self.epoch_seconds):.0f} s"
        train, test = self.train.get(name) or [], self.test.get(name) or []
        text += f"; train {name} {train[-1]:.4g}" if train else ""
        if test:
            text += f", {self.test_name} {name} {test[-1]:.4g}"
            if self.comparable() and type(best) is int and 1 <= best <= len(test):  # a hand-made one may lack it
                text += f" (best {test[best - 1]:.4g} at epoch {best}{', stopped early' if self.stopped_early else ''})"
        return text


def _loss_terms(model: nn.Module, x: torch.Tensor, kwargs: Mapping[str, float]) -> dict[str, torch.Tensor]:
    """``model.loss_terms(x, **kwargs)``, checked: a dict of per-example tensors with a ``"loss"``."""
    terms = model.loss_terms(x, **kwargs)
    if not isinstance(terms, Mapping) or "loss" not in terms:
        raise ValueError(
            f"{type(model).__name__}.loss_terms(x) must return a dict of per-example tensors with a "
            f"'loss' entry, got {type(terms).__name__}"
            + (f" with keys {sorted(terms)}" if isinstance(terms, Mapping) else "")
        )
    for name, value in terms.items():
        if not isinstance(value, torch.Tensor) or value.shape != (len(x),):
            raise ValueError(
                f"{type(model).__name__}.loss_terms(x)[{name!r}] must be per example, shape ({len(x)},), "
                f"got {tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}"
            )
    return terms


@torch.no_grad()
def evaluate(
    model: nn.Module, data, batch_size: int = 512, loss_kwargs: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The mean of every ``loss_terms`` value over ``data`` ``(N, ...)``, in eval mode, no gradients.

    The model's training mode is restored afterwards; ``data`` is moved to the model's device and
    cast to its dtype (the dtype of its first parameter).
    """
    batch_size = check_int(batch_size, "batch_size")
    data = as_examples(data, "data").to(*module_device_dtype(model))
    was_training = model.training
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    try:
        for start in range(0, len(data), batch_size):
            terms = _loss_terms(model, data[start : start + batch_size], dict(loss_kwargs or {}))
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + value.detach().double().sum()
    finally:
        model.train(was_training)
    return {name: float(total) / len(data) for name, total in sums.items()}


def _schedules(loss_kwargs: Mapping[str, Schedule] | None) -> dict[str, Callable[[int], float]]:
    """``loss_kwargs`` as functions of the epoch, checked on the first epoch."""
    if loss_kwargs is None:
        return {}
    if not isinstance(loss_kwargs, Mapping):
        raise ValueError(f"loss_kwargs must be a dict of numbers or functions of the epoch, got {loss_kwargs!r}")
    schedules = {
        name: value if callable(value) else (lambda epoch, value=value: value) for name, value in loss_kwargs.items()
    }
    _epoch_kwargs(schedules, 1)
    return schedules


def _epoch_kwargs(schedules: Mapping[str, Callable[[int], float]], epoch: int) -> dict[str, float]:
    return {name: check_real(f(epoch), f"loss_kwargs[{name!r}]({epoch})") for name, f in schedules.items()}


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _NotFinite(Exception):
    """A NaN or inf loss, where it happened in words (:func:`fit` restores the weights and raises)."""


class EarlyStopping:
    """The best epoch by a test figure (lowest first), its weights, and whether ``patience`` epochs
    have passed without a better one (never with ``patience=None``)."""

    def __init__(self, patience: int | None):
        self.patience, self.since_best = patience, 0
        self.best_value, self.best_epoch, self.best_state = math.inf, None, None

    def update(self, model: nn.Module, epoch: int, value: float) -> int | None:
        """Record the epoch's ``value``; the best epoch so far."""
        if value < self.best_value:
            self.best_value, self.best_epoch, self.best_state, self.since_best = value, epoch, _snapshot(model), 0
        else:
            self.since_best += 1
        return self.best_epoch

    def should_stop(self) -> bool:
        return self.patience is not None and self.since_best >= self.patience

    def restore_best(self, model: nn.Module) -> None:
        """The best epoch's weights back in ``model`` (early stopping on: ``patience`` given)."""
        if self.patience is not None and self.best_state is not None:
            model.load_state_dict(self.best_state)


def _restored(model: nn.Module, stopper: EarlyStopping, last_good, epoch: int, where: _NotFinite) -> FloatingPointError:
    """After a NaN or inf loss: the best weights so far (else those of the last completed epoch) back
    in ``model``, and the error that says so."""
    model.load_state_dict(stopper.best_state if stopper.best_state is not None else last_good)
    kept = f"the best epoch ({stopper.best_epoch})" if stopper.best_state is not None else f"epoch {epoch - 1}"
    return FloatingPointError(
        f"{where}; the weights after {kept} were restored. Try a smaller lr, grad_clip or check the model's outputs"
    )


class _Bar:
    """One tqdm bar over every batch of the run: the epoch as its description, the last loss after it."""

    def __init__(self, epochs: int, batches: int, progress: bool):
        self.epochs, self.batches, self.epoch = epochs, batches, 0
        self.tqdm = tqdm(total=epochs * batches, disable=not progress, unit="batch", leave=True)

    def step(self, loss: float) -> None:
        self.tqdm.set_description(f"epoch {self.epoch}/{self.epochs}", refresh=False)
        self.tqdm.set_postfix(loss=f"{loss:.4g}", refresh=False)
        self.tqdm.update(1)


def _train_epoch(model, x_train, optimizer, order, opt: FitOptions, kwargs, bar: _Bar) -> dict[str, float]:
    """One pass of Adam over ``x_train`` in a random order; the mean of every term over the epoch."""
    model.train()
    perm = torch.randperm(len(x_train), generator=order).to(x_train.device)
    sums: dict[str, torch.Tensor] = {}
    for b, batch in enumerate(perm.split(opt.batch_size)):
        terms = _loss_terms(model, x_train[batch], kwargs)
        loss = terms["loss"].mean()
        if not math.isfinite(value := loss.item()):
            raise _NotFinite(f"the loss is {value} at epoch {bar.epoch}, batch {b + 1} (of {bar.batches})")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if opt.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), opt.grad_clip)
        optimizer.step()
        for name, term in terms.items():
            sums[name] = sums.get(name, 0.0) + term.detach().double().sum()
        bar.step(value)
    return {name: float(total) / len(x_train) for name, total in sums.items()}


def _test_epoch(model, x_test, opt: FitOptions, kwargs, epoch: int) -> dict[str, float]:
    """:func:`evaluate` on the test set, its ``monitor`` term required and finite."""
    figures = evaluate(model, x_test, 4 * opt.batch_size, kwargs)
    if opt.monitor not in figures:
        raise ValueError(f"monitor={opt.monitor!r} is not a term of loss_terms: {sorted(figures)}")
    if not math.isfinite(figures[opt.monitor]):
        raise _NotFinite(f"the test {opt.monitor} is {figures[opt.monitor]} after epoch {epoch}")
    return figures


def _append(record: dict[str, list[float]], figures: Mapping[str, float]) -> None:
    for name, value in figures.items():
        record.setdefault(name, []).append(value)


def _fit_data(model: nn.Module, train, test, patience: int | None, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``fit``'s model and data checked at the door; the model moved to ``device`` (default: where it
    is), the data moved there too and cast to the model's dtype."""
    if not callable(getattr(model, "loss_terms", None)):
        raise ValueError(
            f"model must have a loss_terms(x) method (see seminar_utils.training), got {type(model).__name__}"
        )
    if patience is not None and test is None:
        raise ValueError("patience (early stopping on the test loss) needs a test set")
    device = get_device(device, default=module_device_dtype(model)[0])
    x_train = as_examples(train, "train")
    x_test = None if test is None else as_examples(test, "test")
    if x_test is not None and x_test.shape[1:] != x_train.shape[1:]:
        raise ValueError(
            f"test examples must have the shape of train's {tuple(x_train.shape[1:])}, got {tuple(x_test.shape[1:])}"
        )
    model.to(device)
    dtype = module_device_dtype(model)[1]  # float64 data for a float32 model (or back) is cast to it
    return x_train.to(device, dtype), None if x_test is None else x_test.to(device, dtype)


@dataclass
class FitOptions:
    """The settings of :func:`fit` beside ``epochs`` (each is one of its keyword arguments), checked once.

    ``batch_size``, ``lr``, ``weight_decay``: Adam's mini-batch size, step size and L2 penalty; ``grad_clip``
    clips the gradients' total norm. ``loss_kwargs`` are passed to ``loss_terms`` each epoch: numbers, or
    functions of the epoch (from 1), e.g. a KL warm-up ``{"beta": lambda epoch: min(1.0, epoch / 10)}``.
    ``monitor`` names the test term that picks the best epoch; ``patience`` stops when it has not improved
    for that many epochs and restores the best weights. ``seed`` seeds torch's global generator (e.g. the
    ε of a VAE) and the batch order: the same seed on the CPU gives the same weights. ``device``: where to
    train (default: where the model is); model and data are moved there, and the data are cast to the
    model's dtype (float64 data for a float32 model become float32). ``progress``: a bar, then a one-line
    summary. ``callback(epoch, model, history)`` runs after each epoch. ``test_name`` names the held-out
    set in the summary and the plots (e.g. "validation").
    """

    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float | None = None
    loss_kwargs: Mapping[str, Schedule] | None = None
    monitor: str = "loss"
    patience: int | None = None
    seed: int = 0
    device: torch.device | str | None = None
    progress: bool = True
    callback: Callable[[int, nn.Module, History], None] | None = None
    test_name: str = "test"

    def __post_init__(self) -> None:
        self.batch_size = check_int(self.batch_size, "batch_size")
        self.lr = check_real(self.lr, "lr", low=0.0)
        self.weight_decay = check_real(self.weight_decay, "weight_decay", low=0.0, strict=False)
        self.grad_clip = check_real(self.grad_clip, "grad_clip", low=0.0, allow_none=True)
        self.patience = check_int(self.patience, "patience", allow_none=True)
        self.seed = check_int(self.seed, "seed", low=0, high=2**63)
        self.schedules = _schedules(self.loss_kwargs)

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> FitOptions:
        """``fit``'s keyword arguments as options; a ``TypeError`` naming any it does not take."""
        if unknown := sorted(set(options) - {f.name for f in fields(cls)}):
            known = ", ".join(f.name for f in fields(cls))
            raise TypeError(f"fit() got unexpected keyword arguments {unknown}; it takes epochs and {known}")
        return cls(**options)


def _seeded(seed: int) -> torch.Generator:
    """Seed torch's global generator (the ε of a VAE); a generator of its own for the batch order."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def fit(model: nn.Module, train, test=None, *, epochs: int, **options: Any) -> History:
    """Train ``model`` with Adam on the mean of ``model.loss_terms(x)["loss"]`` over mini-batches.

    ``train``/``test``: tensors ``(N, ...)`` (numpy arrays, or a TensorDataset whose first tensor is x);
    ``options``: :class:`FitOptions` (``lr``, ``batch_size``, ``patience``, ``loss_kwargs``, ``seed``, ...).
    A NaN or inf loss raises ``FloatingPointError`` naming the epoch and the batch, after restoring the best
    weights so far (with a test set) or those of the last completed epoch. The model ends in eval mode.
    """
    epochs, opt = check_int(epochs, "epochs"), FitOptions.of(options)
    x_train, x_test = _fit_data(model, train, test, opt.patience, opt.device)
    order, optimizer = _seeded(opt.seed), torch.optim.Adam(model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay)
    history, stopper = History(monitor=opt.monitor, test_name=str(opt.test_name)), EarlyStopping(opt.patience)
    last_good = _snapshot(model)  # the weights after the last epoch whose every loss was finite
    bar = _Bar(epochs, math.ceil(len(x_train) / opt.batch_size), opt.progress)
    try:
        for bar.epoch in range(1, epochs + 1):
            start_time, kwargs = time.perf_counter(), _epoch_kwargs(opt.schedules, bar.epoch)
            _append(history.train, _train_epoch(model, x_train, optimizer, order, opt, kwargs, bar))
            _append(history.settings, kwargs)
            if x_test is not None:
                figures = _test_epoch(model, x_test, opt, kwargs, bar.epoch)
                _append(history.test, figures)
                history.best_epoch = stopper.update(model, bar.epoch, figures[opt.monitor])
            last_good = _snapshot(model)
            history.epoch_seconds.append(time.perf_counter() - start_time)
            if opt.callback is not None:
                opt.callback(bar.epoch, model, history)
            if stopper.should_stop() and bar.epoch < epochs:
                history.stopped_early = True
                break
        stopper.restore_best(model)
    except _NotFinite as where:  # the one restore-and-raise path
        raise _restored(model, stopper, last_good, bar.epoch, where) from None
    finally:
        bar.tqdm.close()
        model.eval()
    if opt.progress:
        print(history.summary())
    return history


# fit's signature as Jupyter's help, run_config's cache key and the tests read it: every option by name
fit.__signature__ = inspect.Signature(
    [
        *list(inspect.signature(fit).parameters.values())[:4],
        *(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default) for f in fields(FitOptions)),
    ],
    return_annotation=History,
)

"""Training a VAE: :func:`fit` (Adam, a progress bar, a per-epoch :class:`History`).

The loss is −ELBO in nats per example; ``History`` keeps it with its two terms for the training
and the test set, so the curves of a run can be drawn with :func:`seminar_utils.plotting.plot_history`.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset
from tqdm.auto import tqdm

from ._checks import check_int, check_real, module_device_dtype
from .runtime import available_devices, get_device, is_fast_mode

__all__ = ["History", "fit", "vae_2d_recipe"]


@dataclass
class History:
    """Per-epoch figures of a :func:`fit` run, in nats per example (means over the set).

    ``*_loss`` = −ELBO; ``*_recon`` = −E_q log p(x | z, θ) (the reconstruction loss); ``*_kl`` =
    KL(q(z | x, φ) ‖ p(z)); so ``loss = recon + beta · kl`` with that epoch's ``beta`` (1: −ELBO).
    Training figures are running means over
    the epoch's batches; test figures are measured after the epoch (``model.eval()``, one z sample).
    ``best_epoch`` is the epoch (counted from 1) with the lowest test −ELBO (recon + kl), None
    without a test set.
    """

    train_loss: list[float] = field(default_factory=list)
    train_recon: list[float] = field(default_factory=list)
    train_kl: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_recon: list[float] = field(default_factory=list)
    test_kl: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    beta: list[float] = field(default_factory=list)
    best_epoch: int | None = None

    def __len__(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict:
        return asdict(self)


def _as_data(data, name: str) -> torch.Tensor:
    if isinstance(data, TensorDataset):
        data = data.tensors[0]
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    if not isinstance(data, torch.Tensor):
        raise ValueError(f"{name} must be a tensor (N, ...), a numpy array or a TensorDataset, "
                         f"got {type(data).__name__}")
    if data.dim() < 2 or data.shape[0] == 0:
        raise ValueError(f"{name} must be (N, ...) with N > 0 examples, got shape {tuple(data.shape)}")
    if not data.is_floating_point():
        data = data.float()
    if not torch.isfinite(data).all():
        raise ValueError(f"{name} must be finite, got NaN or inf")
    return data


def _device(device, model: nn.Module) -> torch.device:
    """The device to train on: ``device`` if available here, else where the model's parameters are."""
    if device is None:
        return module_device_dtype(model)[0]
    try:
        return get_device(str(device))
    except ValueError:
        raise ValueError(f"device={str(device)!r} is not available here; available: "
                         f"{', '.join(available_devices())}") from None


@torch.no_grad()
def _evaluate(model: nn.Module, data: torch.Tensor, batch_size: int, beta: float) -> tuple[float, float, float]:
    """Mean (−ELBO, −reconstruction, KL) over ``data`` in nats per example."""
    was_training = model.training
    model.eval()
    sums = torch.zeros(3, dtype=torch.float64, device=data.device)
    for start in range(0, len(data), batch_size):
        out = model.elbo(data[start:start + batch_size], beta=beta)
        sums += torch.stack([-out.elbo.sum(), -out.reconstruction.sum(), out.kl.sum()]).double()
    model.train(was_training)
    loss, recon, kl = (sums / len(data)).tolist()
    return loss, recon, kl


def fit(model: nn.Module, train, test=None, *, epochs: int, batch_size: int = 128, lr: float = 1e-3,
        weight_decay: float = 0.0, beta: float | Callable[[int], float] = 1.0,
        grad_clip: float | None = None,
        device: torch.device | str | None = None, seed: int = 0, progress: bool = True,
        patience: int | None = None,
        callback: Callable[[int, nn.Module, History], None] | None = None) -> History:
    """Train ``model`` (a :class:`~seminar_utils.models.VAE`) by maximizing the ELBO with Adam.

    ``train``/``test``: tensors ``(N, ...)`` (numpy arrays or a TensorDataset whose first tensor is
    x). ``device``: where to train (default: where the model's parameters are; a name that is not
    available here is a ``ValueError`` listing the available ones); the model and the data are
    moved there. Numbers may be Python or NumPy scalars. ``beta`` weighs the KL term: a number,
    or a function of the epoch (from 1), e.g. the warm-up ``lambda epoch: min(1.0, epoch / 10)``.
    ``seed`` seeds torch's global generator (the ε of the ELBO) and the batch order: the same seed
    on the CPU gives the same parameters. ``grad_clip`` clips the gradients' total norm;
    ``patience`` stops when the test −ELBO (recon + kl, whatever β) has not improved for that many
    epochs and restores the best weights; ``callback(epoch, model, history)`` runs after every
    epoch (from 1). A NaN/inf loss raises ``FloatingPointError`` naming the epoch and the batch.
    The model is left in eval mode.
    """
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    lr = check_real(lr, "lr", low=0.0)
    weight_decay = check_real(weight_decay, "weight_decay", low=0.0, strict=False)
    beta_of = beta if callable(beta) else (lambda epoch, value=beta: value)
    check_real(beta_of(1), "beta", low=0.0, strict=False)
    grad_clip = check_real(grad_clip, "grad_clip", low=0.0, allow_none=True)
    patience = check_int(patience, "patience", low=1, allow_none=True)
    seed = check_int(seed, "seed", low=0)
    if patience is not None and test is None:
        raise ValueError("patience (early stopping on the test loss) needs a test set")
    device = _device(device, model)
    model.to(device)
    x_train = _as_data(train, "train").to(device)
    x_test = None if test is None else _as_data(test, "test").to(device)
    if x_test is not None and x_test.shape[1:] != x_train.shape[1:]:
        raise ValueError(f"test examples must have the shape of train's {tuple(x_train.shape[1:])}, "
                         f"got {tuple(x_test.shape[1:])}")

    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = History()
    n_batches = math.ceil(len(x_train) / batch_size)
    best_loss, best_state, since_best = math.inf, None, 0
    bar = tqdm(total=epochs * n_batches, disable=not progress, unit="batch", leave=True)
    try:
        for epoch in range(1, epochs + 1):
            start_time = time.perf_counter()
            beta = check_real(beta_of(epoch), f"beta({epoch})", low=0.0, strict=False)
            model.train()
            perm = torch.randperm(len(x_train), generator=order).to(device)
            sums = torch.zeros(3, dtype=torch.float64, device=device)
            seen, running = 0, 0.0
            for b in range(n_batches):
                x = x_train[perm[b * batch_size:(b + 1) * batch_size]]
                out = model.elbo(x, beta=beta)
                loss = -out.elbo.mean()
                value = loss.item()
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"the loss is {value} at epoch {epoch}, batch {b + 1} (of {n_batches}); "
                        f"try a smaller lr, grad_clip or check the model's outputs")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                optimizer.step()
                terms = torch.stack([-out.elbo.sum(), -out.reconstruction.sum(), out.kl.sum()])
                sums += terms.detach().double()
                seen, running = seen + len(x), running + value * len(x)
                bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)
                bar.set_postfix(loss=f"{running / seen:.3f}", refresh=False)
                bar.update(1)
            for key, value in zip(("train_loss", "train_recon", "train_kl"), (sums / seen).tolist()):
                getattr(history, key).append(value)
            if x_test is not None:
                test_figures = _evaluate(model, x_test, 4 * batch_size, beta)
                if not math.isfinite(test_figures[0]):
                    raise FloatingPointError(f"the test loss is {test_figures[0]} after epoch {epoch}")
                for key, value in zip(("test_loss", "test_recon", "test_kl"), test_figures):
                    getattr(history, key).append(value)
                neg_elbo = test_figures[1] + test_figures[2]
                if neg_elbo < best_loss:
                    best_loss, since_best, history.best_epoch = neg_elbo, 0, epoch
                    if patience is not None:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    since_best += 1
            history.epoch_seconds.append(time.perf_counter() - start_time)
            history.beta.append(float(beta))
            if x_test is not None:
                bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", test=f"{history.test_loss[-1]:.3f}")
            if callback is not None:
                callback(epoch, model, history)
            if patience is not None and since_best >= patience:
                break
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def vae_2d_recipe(fast: bool | None = None) -> dict:
    """The VAE of the 2D seminar and its sizes, one source for notebook 03 and its benchmark.

    ``{"model": kwargs of mlp_vae, "data": kwargs of load_2d, "fit": kwargs of fit, "iwae_k": K,
    "kl_warmup_epochs": E}`` (the notebook's remedy on the moons: β rising linearly to 1 over E epochs).
    ``fast`` (default: :func:`~seminar_utils.runtime.is_fast_mode`) shrinks only the sizes that
    cost time (epochs, K): the data stay the same, so their statistics do not depend on the mode.
    """
    fast = is_fast_mode() if fast is None else bool(fast)
    return {
        "model": {"x_dim": 2, "z_dim": 2, "hidden": (64, 64), "likelihood": "gaussian"},
        "data": {"n_train": 10_000, "n_test": 2_000, "seed": 0},
        "fit": {"epochs": 2 if fast else 40, "batch_size": 128, "lr": 2e-3, "seed": 0},
        "iwae_k": 20 if fast else 1000,
        "kl_warmup_epochs": 10,
    }

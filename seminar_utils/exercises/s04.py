"""Checks of seminar 04 (a VAE that draws digits): the shifted copies of section 4.

``shifted_copies`` is checked on images whose edges are not blank (random values everywhere, two
channels, H ≠ W): on MNIST digits, whose border is 0, a wrap-around ``torch.roll`` or an edge copied
outwards would give the same numbers as the zero fill the exercise asks for. The copies may come in
any order: the check matches them one to one against the package's.
"""

from __future__ import annotations

import torch

from ..mnist import shifted_copies
from .core import Check, Verdict, register

_SHIFTS = (1, 2, 0)  # max_shift values tried, in this order


def _images() -> torch.Tensor:
    """3 images (3, 2, 5, 6): two channels, H ≠ W, no blank edge, every value distinct."""
    g = torch.Generator().manual_seed(404)
    return torch.rand(3, 2, 5, 6, generator=g, dtype=torch.float64) + 0.5  # in [0.5, 1.5): never 0


def _run_shifted_copies(ns):
    return [ns["shifted_copies"](_images(), s) for s in _SHIFTS]


def _same_copies(what: str, ours, reference: torch.Tensor, atol: float = 1e-9) -> tuple[bool, str]:
    """``ours`` holds exactly the images of ``reference`` (N, C, H, W), in any order."""
    if isinstance(ours, bool) or not isinstance(ours, torch.Tensor):
        return False, f"{what}: got a {type(ours).__name__}, expected a tensor of shape {tuple(reference.shape)}"
    if ours.is_complex() or ours.dtype == torch.bool:
        return False, f"{what}: got a {ours.dtype} tensor, expected real numbers"
    if ours.shape != reference.shape:
        n, rest = reference.shape[0], tuple(reference.shape[1:])
        return False, f"{what}: shape {tuple(ours.shape)}, expected {tuple(reference.shape)} ({n} copies of {rest})"
    ours = ours.detach().double().flatten(1)
    reference = reference.double().flatten(1)
    if not bool(torch.isfinite(ours).all()):
        return False, f"{what}: your result holds NaN or inf"
    distances = torch.cdist(reference, ours, p=float("inf"))  # (M, M): largest pixel difference
    missing = int((distances.min(dim=1).values > atol).sum())
    extra = int((distances.min(dim=0).values > atol).sum())
    if missing or extra:
        return False, (
            f"{what}: {missing} of the {len(reference)} expected copies are not in your result and {extra} of "
            "yours are none of them (a pixel that moves out at one edge must not come back at the other, "
            "and the pixels that move in are 0)"
        )
    return True, f"{what}: every copy, exactly once (any order)"


def _judge_shifted_copies(data) -> Verdict:
    x = _images()
    lines = []
    for s, ours in zip(_SHIFTS, data):
        n = (2 * s + 1) ** 2
        copies = "the image itself only (1 copy)" if n == 1 else f"{n} copies"
        what = f"max_shift = {s}, {copies} of 3 images (2, 5, 6) with no blank edge"
        lines.append(_same_copies(what, ours, shifted_copies(x, s)))
    return Verdict.of(*lines)


register(
    Check(
        "04_vae_images/shifted_copies",
        ("shifted_copies",),
        _run_shifted_copies,
        _judge_shifted_copies,
        references=("seminar_utils.mnist.shifted_copies", "seminar_utils.recipes.shifted_copies"),
    )
)

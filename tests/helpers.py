"""Helpers that several test modules share (a test module never imports another test module).

The repository's folders come from :mod:`tools.paths` (``from tools.paths import ROOT``), computed once.
"""

from __future__ import annotations

import ast
import re

import nbformat
import torch
import torch.distributions as D

from seminar_utils.vae import VAE, MLPDecoder, MLPEncoder, mlp_vae

PUNCTUATION_ONLY = re.compile(r"^[\s()\[\]{},:;.]*$")


def body_lines(src: str) -> set[str]:
    """Stripped lines of every function body (docstrings aside) in ``src``: the solution itself.

    Lines of punctuation only (a closing bracket) are left out: any code has them.
    """
    lines, found = src.splitlines(), set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            has_doc = ast.get_docstring(node) is not None
            start = node.body[0].end_lineno if has_doc else node.body[0].lineno - 1  # 0-based
            while not has_doc and start > node.lineno and lines[start - 1].strip().startswith("#"):
                start -= 1  # comments above the first statement
            stop = node.end_lineno
            while (
                stop < len(lines)
                and lines[stop].strip().startswith("#")
                and (len(lines[stop]) - len(lines[stop].lstrip()) > node.col_offset)
            ):
                stop += 1  # indented comments after the last statement
            found |= {ln.strip() for ln in lines[start:stop]}
    return {ln for ln in found if ln and not PUNCTUATION_ONLY.match(ln)}


def tagged_notebook(*cells: tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    """A notebook of ``(kind, source, tags)`` cells, ``kind`` being "code" or "markdown"."""
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    return nbformat.v4.new_notebook(cells=[make[kind](src, metadata={"tags": t}) for kind, src, t in cells])


def binary_images(n: int = 8, seed: int = 0) -> torch.Tensor:
    """``n`` random black-and-white 28 × 28 images (about 30 % of pixels on), shape ``(n, 1, 28, 28)``."""
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) > 0.7).float()


def tiny_bernoulli_vae(seed: int = 0, hidden: tuple[int, ...] = (8,)) -> VAE:
    """A Bernoulli VAE of 6-dimensional binary data with a 2-D latent space, its weights drawn with ``seed``."""
    torch.manual_seed(seed)
    return VAE(MLPEncoder(6, 2, hidden), MLPDecoder(2, 6, hidden, likelihood="bernoulli"), likelihood="bernoulli")


# A linear-Gaussian VAE (no hidden layers) whose marginal and posterior are known in closed form:
# p(z) = N(0, I), p(x | z) = N(W z + b, diag s²) with W diagonal, so p(z | x) is a diagonal Gaussian.
W = torch.tensor([2.0, 0.5], dtype=torch.float64)
B = torch.tensor([1.0, -2.0], dtype=torch.float64)
S = torch.tensor([0.7, 1.5], dtype=torch.float64)


def linear_vae(exact_encoder: bool = True) -> VAE:
    """That VAE in float64; with ``exact_encoder`` its encoder is the exact posterior, so every importance
    weight is p(x) and the IWAE bound is log p(x) exactly."""
    vae = mlp_vae(2, 2, hidden=()).double()
    with torch.no_grad():
        dec = vae.decoder.net[0]  # outputs (mu_x, log_sigma_x)
        dec.weight.zero_()
        dec.weight[:2] = torch.diag(W)
        dec.bias[:2], dec.bias[2:] = B, S.log()
        if exact_encoder:  # posterior: var = 1/(1 + w²/s²), mean = var·w/s²·(x − b)
            var = 1.0 / (1.0 + W**2 / S**2)
            enc = vae.encoder.net[0]
            enc.weight.zero_()
            enc.weight[:2] = torch.diag(var * W / S**2)
            enc.bias[:2], enc.bias[2:] = -var * W / S**2 * B, 0.5 * var.log()
    return vae


def linear_marginal() -> D.MultivariateNormal:
    """p(x) of :func:`linear_vae`: N(b, diag(w² + s²))."""
    return D.MultivariateNormal(B, covariance_matrix=torch.diag(W**2 + S**2))

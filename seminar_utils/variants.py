"""The VAE variants of seminar 06: any posterior family, any prior, trained on the ELBO or the IWAE bound.

:class:`VariantVAE` has an encoder network (x → the family's ``n_params`` numbers per example), a
family (:mod:`seminar_utils.posteriors`), a decoder (``z → logits`` or ``(mu_x, log_sigma_x)``, as
in :mod:`seminar_utils.vae`) and a prior (:mod:`seminar_utils.priors`). Every bound is built from
the log importance weights log w_k = log p(x | z_k) + log p(z_k) − log q(z_k | x), z_k ~ q:

* the ELBO is their mean (a Monte Carlo KL, the same estimator for every family and prior);
* the IWAE bound L_K = log (1/K) Σ_k w_k (:func:`iwae_objective`, Burda, Grosse & Salakhutdinov
  2016); its gradient is Σ_k w̃_k ∇ log w_k with the normalized weights w̃ = softmax(log w)
  (:func:`normalized_weights`).

``train_k`` = 1 trains on the ELBO, ``train_k`` > 1 on L_K. The per-digit optimization of q's
parameters (the amortization and approximation gaps) and the active units are in
:mod:`seminar_utils.gaps`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from . import losses
from ._checks import as_tensor, check_choice, check_int
from .posteriors import posterior_family
from .priors import MixturePrior, StandardNormalPrior
from .runtime import module_device_dtype
from .vae import LIKELIHOODS, MLPDecoder, mlp

__all__ = ["VariantVAE", "iwae_objective", "mlp_variant", "normalized_weights"]


def iwae_objective(log_w) -> torch.Tensor:
    """L_K = log (1/K) Σ_k exp(log w_k) of ``log_w`` ``(K, ...)``: ``(...)`` (a stable log-mean-exp)."""
    log_w = as_tensor(log_w, "log_w", min_dim=1)
    return losses.log_mean_exp(log_w, dim=0)


def normalized_weights(log_w) -> torch.Tensor:
    """w̃_k = w_k / Σ_j w_j of ``log_w`` ``(K, ...)`` along the first dimension (a softmax): ``(K, ...)``."""
    log_w = as_tensor(log_w, "log_w", min_dim=1)
    return torch.softmax(log_w, dim=0)


class VariantVAE(nn.Module):
    """A VAE with a pluggable posterior family and prior (see the module docstring)."""

    def __init__(
        self,
        encoder: nn.Module,
        family: nn.Module,
        decoder: nn.Module,
        prior: nn.Module,
        likelihood: str = "bernoulli",
        train_k: int = 1,
    ):
        super().__init__()
        self.likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
        self.train_k = check_int(train_k, "train_k")
        self.encoder, self.family, self.decoder, self.prior = encoder, family, decoder, prior
        self.z_dim = family.z_dim
        self.config = {
            "likelihood": self.likelihood,
            "train_k": self.train_k,
            **{
                name: {"class": type(m).__name__, **dict(getattr(m, "config", {}) or {})}
                for name, m in (("family", family), ("decoder", decoder), ("prior", prior))
            },
        }

    def _as_input(self, x) -> torch.Tensor:
        device, dtype = module_device_dtype(self)
        x = as_tensor(x, "x", min_dim=2, integers="cast", dtype=dtype, device=device, finite=True)
        if x.shape[0] == 0:
            raise ValueError(f"x must be (batch, ...) with batch > 0, got {tuple(x.shape)}")
        return x

    def posterior_params(self, x) -> torch.Tensor:
        """The encoder's parameters of q(z | x) ``(batch, family.n_params)``."""
        return self.encoder(self._as_input(x).flatten(1))

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | z) for ``z`` ``(S, batch, z_dim)``: ``(S, batch)``."""
        n, batch = z.shape[:2]
        out = self.decoder(z.reshape(n * batch, -1))
        x_rep = x.unsqueeze(0).expand(n, *x.shape).reshape(n * batch, *x.shape[1:])
        if self.likelihood == "bernoulli":
            values = losses.bernoulli_log_likelihood(x_rep, out)
        else:
            values = losses.gaussian_log_likelihood(x_rep, out[0], out[1])
        return values.reshape(n, batch)

    def log_weights_from(self, x, params: torch.Tensor, k: int) -> torch.Tensor:
        """log w_k = log p(x | z_k) + log p(z_k) − log q(z_k) for ``k`` draws of the q given by
        ``params`` ``(batch, n_params)``: ``(k, batch)``."""
        x = self._as_input(x)
        z, log_q = self.family.rsample(params, check_int(k, "k"))
        return self.log_likelihood(x, z) + self.prior.log_prob(z) - log_q

    def log_weights(self, x, k: int, chunk_size: int | None = None) -> torch.Tensor:
        """:meth:`log_weights_from` the encoder's q, ``chunk_size`` draws at a time: ``(k, batch)``."""
        x = self._as_input(x)
        params = self.posterior_params(x)
        k = check_int(k, "k")
        chunk = check_int(chunk_size, "chunk_size", allow_none=True) or k
        return torch.cat([self.log_weights_from(x, params, min(chunk, k - s)) for s in range(0, k, chunk)])

    def elbo(self, x, n_samples: int = 1) -> torch.Tensor:
        """The ELBO of each example, ``(batch,)``: the mean of ``n_samples`` log weights."""
        return self.log_weights(x, n_samples).mean(dim=0)

    def iwae(self, x, k: int, chunk_size: int | None = None) -> torch.Tensor:
        """The IWAE bound L_k of each example, ``(batch,)``."""
        return iwae_objective(self.log_weights(x, k, chunk_size))

    def loss_terms(self, x) -> dict[str, torch.Tensor]:
        """What ``fit`` minimizes: ``loss`` = −L_{train_k} (−ELBO for train_k = 1), and ``neg_elbo``,
        −(the mean of the same train_k log weights), per example."""
        log_w = self.log_weights(x, self.train_k)
        return {"loss": -iwae_objective(log_w), "neg_elbo": -log_w.mean(dim=0)}

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` decoder means (probabilities for a Bernoulli decoder) at z ~ p(z)."""
        device, dtype = module_device_dtype(self)
        z = self.prior.sample(n, generator=generator).to(device=device, dtype=dtype)
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out[0]


def mlp_variant(
    x_dim: int,
    z_dim: int,
    hidden: Sequence[int] = (256, 256),
    family: str = "diagonal",
    prior: str = "normal",
    train_k: int = 1,
    n_layers: int = 4,
    n_components: int = 10,
    likelihood: str = "bernoulli",
    out_shape: Sequence[int] | None = None,
    output_bias: torch.Tensor | None = None,
) -> VariantVAE:
    """An MLP :class:`VariantVAE`: ``family`` "diagonal", "full" or "planar" (``n_layers``), ``prior``
    "normal" or "mixture" (``n_components``), trained on L_{train_k}; the decoder of
    :class:`~seminar_utils.vae.MLPDecoder` with ``likelihood`` and ``out_shape``. ``output_bias``
    (``(x_dim,)``, e.g. the logits of the mean training pixel) starts the decoder's last bias there,
    so that the first epochs do not spend their steps learning the average image."""
    q = posterior_family(family, z_dim, n_layers)
    if prior == "normal":
        p = StandardNormalPrior(z_dim)
    elif prior == "mixture":
        p = MixturePrior(z_dim, n_components)
    else:
        raise ValueError(f"prior must be 'normal' or 'mixture', got {prior!r}")
    decoder = MLPDecoder(z_dim, x_dim, tuple(reversed(hidden)), likelihood=likelihood, out_shape=out_shape)
    if output_bias is not None:
        bias = decoder.net[-1].bias
        output_bias = as_tensor(output_bias, "output_bias", dtype=bias.dtype).flatten()
        if output_bias.shape != bias.shape:
            raise ValueError(f"output_bias must hold {bias.numel()} numbers, got {output_bias.numel()}")
        with torch.no_grad():
            bias.copy_(output_bias)
    return VariantVAE(mlp(x_dim, tuple(hidden), q.n_params), q, decoder, p, likelihood, train_k)

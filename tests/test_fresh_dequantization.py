"""Dequantization noise drawn afresh for training (seminar 05): redequantize and FreshDequantization."""

import pytest
import torch
from torch import nn

from seminar_utils.mnist import FreshDequantization, dequantize, redequantize
from seminar_utils.training import fit


def _grey(n=64, seed=0):
    levels = torch.randint(0, 256, (n, 1, 28, 28), generator=torch.Generator().manual_seed(seed))
    levels[0] = 255  # the top bin, where float32 rounding could reach 1.0
    return levels.float() / 255


def test_redequantize_keeps_every_level_and_draws_new_noise():
    y = dequantize(_grey(), seed=3)
    torch.manual_seed(0)
    fresh = redequantize(y)
    assert fresh.dtype == y.dtype and fresh.shape == y.shape
    assert torch.equal(torch.floor(fresh * 256), torch.floor(y * 256))  # the same bin k for every pixel
    assert bool((fresh < 1).all()) and bool((fresh >= 0).all())
    assert (fresh != y).float().mean() > 0.99  # new noise nearly everywhere
    u = fresh.double() * 256 - torch.floor(fresh.double() * 256)  # the new u, uniform on [0, 1)
    assert abs(u.mean().item() - 0.5) < 0.01 and abs(u.var().item() - 1 / 12) < 0.01
    torch.manual_seed(0)
    assert torch.equal(redequantize(y), fresh)  # the global generator's seed repeats it


def test_redequantize_refuses_values_outside_the_unit_interval():
    with pytest.raises(ValueError, match="y must hold dequantized"):
        redequantize(torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match="y must hold a floating dtype"):
        redequantize(torch.tensor([3, 4]))


class _Recorder(nn.Module):
    """A model whose loss is the mean squared distance of its input from a learned constant."""

    def __init__(self):
        super().__init__()
        self.c = nn.Parameter(torch.zeros(()))
        self.seen = []

    def loss_terms(self, x):
        self.seen.append(x.detach().clone())
        return {"loss": ((x - self.c) ** 2).flatten(1).mean(dim=1)}


def test_fresh_dequantization_redraws_in_training_and_not_in_evaluation():
    y = dequantize(_grey(8), seed=1)
    wrapped = FreshDequantization(_Recorder())
    wrapped.train()
    wrapped.loss_terms(y)
    wrapped.loss_terms(y)
    first, second = wrapped.model.seen
    assert not torch.equal(first, second) and not torch.equal(first, y)
    assert torch.equal(torch.floor(first * 256), torch.floor(y * 256))
    wrapped.eval()
    wrapped.loss_terms(y)
    assert torch.equal(wrapped.model.seen[-1], y)  # evaluation: the fixed noise, as given


def test_fit_on_fresh_noise_learns_the_mean_and_validates_on_fixed_noise():
    grey = _grey(32)
    y_fit, y_val = dequantize(grey, seed=0), dequantize(grey, seed=1)
    wrapped = FreshDequantization(_Recorder())
    history = fit(wrapped, y_fit, y_val, epochs=30, batch_size=8, lr=0.05, progress=False)
    # the loss's minimizer is the mean pixel value, the same under any noise (within Monte Carlo error)
    assert wrapped.model.c.item() == pytest.approx(y_fit.mean().item(), abs=0.01)
    validated = [x for x in wrapped.model.seen if x.shape[0] == len(y_val) and torch.equal(x, y_val)]
    assert len(validated) == len(history.test["loss"])  # every validation pass saw y_val unchanged

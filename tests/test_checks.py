"""seminar_utils._checks: the shared argument checks (their users' tests cover the messages in context)."""

import math

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from seminar_utils._checks import (
    as_examples,
    as_latents,
    as_tensor,
    check_choice,
    check_int,
    check_real,
    shape_of,
)


def test_integers_of_any_integral_type_and_never_bools():
    assert check_int(np.int64(3), "n") == 3 and type(check_int(np.uint8(3), "n")) is int
    assert check_int(None, "n", allow_none=True) is None
    assert check_int(0, "seed", low=0) == 0
    for bad, match in [
        (0, "n must be a positive integer, got 0"),
        (True, "n must be"),
        (2.0, "n must be"),
        (None, "n must be a positive integer, got None"),
    ]:
        with pytest.raises(ValueError, match=match):
            check_int(bad, "n")
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*63\)"):
        check_int(2**63, "seed", low=0, high=2**63)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 0 or None"):
        check_int(-1, "max_iter", low=0, allow_none=True)


def test_reals_of_any_real_type_finite_and_bounded():
    assert check_real(np.float32(0.5), "lr", low=0.0) == 0.5 and type(check_real(np.float32(0.5), "lr")) is float
    assert check_real(0, "weight_decay", low=0.0, strict=False) == 0.0
    assert check_real(np.int64(2), "std", low=0.0) == 2.0
    assert check_real(None, "grad_clip", low=0.0, allow_none=True) is None
    for bad in (0.0, -1.0, math.nan, math.inf, True, "1", torch.tensor(1.0)):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            check_real(bad, "lr", low=0.0)
    with pytest.raises(ValueError, match=">= 0"):
        check_real(-1e-9, "beta", low=0.0, strict=False)


# ----------------------------------------------------------------------------- as_tensor, as_examples
def test_as_tensor_returns_real_tensors_as_they_are():
    x = torch.randn(3, 2, requires_grad=True)
    assert as_tensor(x, "x") is x  # no copy, gradients kept
    assert as_tensor(x, "x", detach=True).requires_grad is False
    from_numpy = as_tensor(np.ones((2, 2)), "x")
    assert from_numpy.dtype == torch.float64 and from_numpy.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert as_tensor([[1, 2]], "x", integers="cast", array_like=True).dtype == torch.float32
    assert as_tensor(torch.arange(3), "x", integers="cast", dtype=torch.float64).dtype == torch.float64


@pytest.mark.parametrize(
    "value, kwargs, match",
    [
        (torch.zeros(2, dtype=torch.complex64), {}, "x must hold real numbers, got complex"),
        (np.zeros(2, dtype=np.complex128), {}, "x must hold real numbers, got complex"),
        ([1j, 2.0], {"array_like": True}, "x must hold real numbers, got complex"),
        (torch.zeros(2, dtype=torch.bool), {}, "x must hold numbers, got dtype torch.bool"),
        (np.zeros(2, dtype=bool), {}, "x must hold numbers, got dtype bool"),
        (np.array(["a", "b"]), {}, "x must hold numbers"),
        (np.array([object()]), {}, "x must hold numbers"),
        (torch.zeros(2, device="meta"), {}, "x is a meta tensor"),
        (torch.arange(3), {}, "x must hold a floating dtype, got torch.int64"),
        ([1.0, 2.0], {}, "x must be a torch tensor or a numpy array, got list"),
        (torch.zeros(2, 3), {"ndim": 3}, r"x must be 3-D, got shape \(2, 3\)"),
        (torch.zeros(3), {"min_dim": 2}, "x must have at least 2 dimensions"),
        (torch.tensor([0.0, math.nan]), {"finite": True}, "x must be finite"),
        (torch.tensor([math.inf]), {"finite": True}, "x must be finite"),
    ],
)
def test_as_tensor_refuses_what_is_not_a_real_tensor_naming_the_argument(value, kwargs, match):
    with pytest.raises(ValueError, match=match):
        as_tensor(value, "x", **kwargs)


def test_as_examples_takes_tensors_arrays_and_datasets():
    x = torch.randn(5, 2)
    assert as_examples(x, "train") is x
    assert torch.equal(as_examples(TensorDataset(x, torch.zeros(5)), "train"), x)
    ints = as_examples(np.ones((4, 3), dtype=np.uint8), "train")
    assert ints.dtype == torch.float32 and ints.shape == (4, 3)
    for bad, match in [
        (torch.zeros(0, 2), "train must hold N > 0 examples"),
        (torch.zeros(3), "train must have at least 2 dimensions"),
        (torch.tensor([[math.nan, 0.0]]), "train must be finite"),
        (torch.zeros(3, 2, dtype=torch.complex64), "train must hold real numbers"),
        ([[0.0, 1.0]], "train must be a tensor"),
    ]:
        with pytest.raises(ValueError, match=match):
            as_examples(bad, "train")


def test_shape_of():
    assert shape_of(torch.zeros(2, 3)) == "(2, 3)" and shape_of([1]) == "list"


def test_a_choice_is_one_of_the_named_strings():
    assert check_choice("gaussian", "likelihood", ("gaussian", "bernoulli")) == "gaussian"
    for bad in ("Gaussian", None, 1):
        with pytest.raises(ValueError, match=r"likelihood must be one of \('gaussian', 'bernoulli'\), got"):
            check_choice(bad, "likelihood", ("gaussian", "bernoulli"))


def test_latents_are_batches_of_z_dim_vectors_named_in_errors():
    assert as_latents(torch.tensor([[0.0, 1.0]]), 2).shape == (1, 2)
    for bad in (torch.zeros(2), torch.zeros(3, 4), torch.zeros(1, 2, 2)):
        with pytest.raises(ValueError, match=r"code must be \(n, 2\), got"):
            as_latents(bad, 2, name="code", rows="n")

"""seminar_utils._checks: the shared argument checks (their users' tests cover the messages in context)."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from seminar_utils._checks import (LOG_2PI, check_int, check_real, module_device_dtype, points_2d,
                                   positive_float, positive_int)


def test_integers_of_any_integral_type_and_never_bools():
    assert positive_int(np.int64(3), "n") == 3 and type(positive_int(np.uint8(3), "n")) is int
    assert positive_int(None, "n", allow_none=True) is None
    assert check_int(0, "seed", low=0) == 0
    for bad, match in [(0, "n must be a positive integer, got 0"), (True, "n must be"), (2.0, "n must be"),
                       (None, "n must be a positive integer, got None")]:
        with pytest.raises(ValueError, match=match):
            positive_int(bad, "n")
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*63\)"):
        check_int(2**63, "seed", low=0, high=2**63)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 0 or None"):
        check_int(-1, "max_iter", low=0, allow_none=True)


def test_reals_of_any_real_type_finite_and_bounded():
    assert check_real(np.float32(0.5), "lr", low=0.0) == 0.5 and type(check_real(np.float32(0.5), "lr")) is float
    assert check_real(0, "weight_decay", low=0.0, strict=False) == 0.0
    assert positive_float(np.int64(2), "std") == 2.0
    for bad in (0.0, -1.0, math.nan, math.inf, True, "1", torch.tensor(1.0)):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            check_real(bad, "lr", low=0.0)
    with pytest.raises(ValueError, match=">= 0"):
        check_real(-1e-9, "beta", low=0.0, strict=False)


def test_log_2pi_and_the_device_of_a_module():
    assert LOG_2PI == pytest.approx(math.log(2 * math.pi), rel=1e-15)
    assert module_device_dtype(nn.Linear(2, 2).double()) == (torch.device("cpu"), torch.float64)
    assert module_device_dtype(nn.ReLU()) == (torch.device("cpu"), torch.float32)  # no parameters


def test_points_2d():
    out = points_2d(torch.tensor([[1.0, 2.0]], dtype=torch.float32))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.tolist() == [[1.0, 2.0]]
    assert points_2d([[0, 1], [2, 3]]).shape == (2, 2)
    for bad, match in [(np.zeros((3, 3)), r"X must be \(n, 2\)"), (np.zeros((0, 2)), r"\(n, 2\) with n >= 1"),
                       (np.zeros(4), "X must be 2-D"), (np.array([[0.0, np.nan]]), "NaN"),
                       ([["a", "b"]], "numeric")]:
        with pytest.raises(ValueError, match=match):
            points_2d(bad, "X")

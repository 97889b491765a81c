"""seminar_utils.runtime.get_device, the package's one device resolver, as fit, fit_cached and the EM
estimator use it: a given device must be available, None falls back on a default, float64 avoids MPS."""

import numpy as np
import pytest
import torch
from torch import nn

from seminar_utils.gmm import GaussianMixtureEM
from seminar_utils.runtime import available_devices, get_device, module_device_dtype, to_numpy


def test_a_given_device_is_used_if_available_and_refused_with_the_list_otherwise():
    assert get_device("cpu") == torch.device("cpu") and get_device(torch.device("cpu")) == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")
    listed = ", ".join(available_devices())
    with pytest.raises(ValueError, match=rf"device='cuda:99' is not available here; available: {listed}$"):
        get_device("cuda:99")
    with pytest.raises(ValueError, match="device must be a device name such as 'cpu'"):
        get_device(0)


def test_none_gives_the_default_before_the_environment(monkeypatch):
    monkeypatch.setenv("SEMINAR_DEVICE", "cpu")
    assert get_device(default=torch.device("meta")) == torch.device("meta")  # the default is not looked up
    assert get_device() == torch.device("cpu")


def test_float64_computes_on_the_cpu_instead_of_mps():
    assert get_device(default=torch.device("mps"), float64=True) == torch.device("cpu")
    assert get_device(default=torch.device("mps")) == torch.device("mps")
    assert get_device("cpu", float64=True) == torch.device("cpu")


def test_the_device_of_a_module_is_its_first_parameter_s():
    assert module_device_dtype(nn.Linear(2, 2).double()) == (torch.device("cpu"), torch.float64)
    assert module_device_dtype(nn.ReLU()) == (torch.device("cpu"), torch.float32)  # no parameters


def test_the_em_estimator_resolves_its_device_with_the_same_message():
    with pytest.raises(ValueError, match="device='cuda:99' is not available here"):
        GaussianMixtureEM(2, device="cuda:99").fit(torch.randn(10, 2))


def test_to_numpy_brings_any_tensor_to_a_float64_cpu_array():
    weights = torch.tensor([[0.5, 1.5]], requires_grad=True)
    out = to_numpy(weights * 2)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.tolist() == [[1.0, 3.0]]
    assert to_numpy([[1, 2]]).dtype == np.float64 and to_numpy(np.arange(3)).tolist() == [0.0, 1.0, 2.0]

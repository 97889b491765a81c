import random

import numpy as np
import pytest
import torch

from seminar_utils import available_devices, by_mode, get_device, is_fast_mode, seed_everything
from seminar_utils.runtime import num_threads
from tools.paths import ROOT


def test_default_device_follows_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("SEMINAR_DEVICE", raising=False)
    expected = (
        "cuda"
        if torch.cuda.is_available()
        else ("mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    )
    assert get_device().type == expected


def test_seminar_device_overrides(monkeypatch):
    monkeypatch.setenv("SEMINAR_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("CPU") == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "cuda:99", "mps:7"])
def test_unknown_or_unavailable_device_lists_the_available_ones(monkeypatch, bad):
    monkeypatch.setenv("SEMINAR_DEVICE", bad)
    with pytest.raises(ValueError, match="SEMINAR_DEVICE") as info:
        get_device()
    for name in available_devices():
        assert name in str(info.value)


def test_unavailable_cuda_is_an_error_without_cuda(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    monkeypatch.setenv("SEMINAR_DEVICE", "cuda")
    with pytest.raises(ValueError, match="available: cpu"):
        get_device()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_index_is_honoured(monkeypatch):
    monkeypatch.setenv("SEMINAR_DEVICE", "cuda:0")
    assert get_device() == torch.device("cuda:0")


def test_seed_everything_repeats_python_numpy_and_torch():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3).tolist()

    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "7", True])
def test_seed_must_be_a_non_negative_integer(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


@pytest.mark.parametrize("value, fast", [("1", True), ("true", True), ("0", False), ("", False)])
def test_by_mode_reads_seminar_fast(monkeypatch, value, fast):
    monkeypatch.setenv("SEMINAR_FAST", value)
    assert is_fast_mode() is fast
    assert by_mode(full=100, fast=3) == (3 if fast else 100)


def test_by_mode_full_when_unset(monkeypatch):
    monkeypatch.delenv("SEMINAR_FAST", raising=False)
    assert by_mode(full=100, fast=3) == 100


def test_garbage_in_seminar_fast_is_an_error(monkeypatch):
    monkeypatch.setenv("SEMINAR_FAST", "maybe")
    with pytest.raises(ValueError, match="SEMINAR_FAST"):
        is_fast_mode()


def test_storage_dir_prefers_the_variable_then_the_checkout(monkeypatch, tmp_path):
    from seminar_utils.runtime import storage_dir

    monkeypatch.setenv("SEMINAR_TEST_DIR", str(tmp_path / "x"))
    assert storage_dir("SEMINAR_TEST_DIR", "data") == tmp_path / "x"
    monkeypatch.delenv("SEMINAR_TEST_DIR")
    repo = ROOT
    assert storage_dir("SEMINAR_TEST_DIR", "checkpoints") == repo / "checkpoints"


def test_num_threads_sets_and_restores_the_thread_count_also_after_an_error():
    previous = torch.get_num_threads()
    with num_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == previous
    with pytest.raises(RuntimeError, match="inside"), num_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == previous
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n must be a positive integer"), num_threads(bad):
            pass

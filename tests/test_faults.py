"""Faults lose nothing, second round (issue 23): damaged and foreign checkpoints, cache permissions,
bad input to the evaluation code, malformed notebooks, remote pictures in decks, and the site
builder's folders. Each test here failed on the code before the fix."""

from __future__ import annotations

import json
import math
import os
import pwd
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
from helpers import tiny_bernoulli_vae

from seminar_utils.checkpoints import (
    CheckpointWarning,
    cached_json,
    default_checkpoint_dir,
    fit_cached,
    run_config,
    save_checkpoint,
)
from seminar_utils.evaluation import iwae_by_k
from seminar_utils.losses import bits_per_dim, gaussian_log_likelihood_fixed
from seminar_utils.mnist import dequantize
from seminar_utils.training import History, evaluate, fit
from seminar_utils.vae import VAE
from tools import commands, website
from tools.cells import EditionError, read_notebook
from tools.paths import ROOT
from tools.slides import build_deck

FIT = {"epochs": 2, "batch_size": 16, "lr": 1e-2, "seed": 0, "progress": False}


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(48, 6, generator=g) > 0.5).float(), (torch.rand(16, 6, generator=g) > 0.5).float()


def run(tmp_path, data, verbose=False, **overrides):
    """fit_cached on a tiny VAE: the model, its History and the epochs actually trained."""
    model, calls = tiny_bernoulli_vae(), []
    history = fit_cached(
        model,
        *data,
        name="tiny",
        directory=tmp_path,
        verbose=verbose,
        callback=lambda epoch, m, h: calls.append(epoch),
        **{**FIT, **overrides},
    )
    return model, history, calls


def trained_without_cache(data) -> tuple[VAE, History]:
    model = tiny_bernoulli_vae()
    return model, fit(model, *data, **FIT)


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name


# ------------------------------------------------------------------------ damaged checkpoints
def test_one_flipped_bit_in_a_stored_weight_warns_and_retrains(tmp_path, data):
    model, _, _ = run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    weight = model.state_dict()["encoder.net.0.weight"].contiguous().numpy().tobytes()
    raw = bytearray(path.read_bytes())
    at = raw.find(weight)
    assert at >= 0 and raw.find(weight, at + 1) < 0  # the tensor's bytes, stored once, uncompressed
    raw[at + 3] ^= 0x40  # the top bit of the first float's exponent: a weight ~1e38 times off
    path.write_bytes(bytes(raw))
    damaged = torch.load(path, weights_only=True)["state_dict"]["encoder.net.0.weight"]
    assert damaged.abs().max() > 1e30  # the flip reached the stored weight
    with pytest.warns(CheckpointWarning, match="damaged"):
        retrained, history, calls = run(tmp_path, data)
    assert calls == [1, 2]
    reference, expected = trained_without_cache(data)
    assert_same_weights(retrained, reference)
    assert history.train == expected.train and history.test == expected.test
    _, _, calls = run(tmp_path, data)  # rewritten intact: loads now
    assert calls == []


def test_a_checkpoint_without_a_digest_is_treated_as_damaged(tmp_path, data):
    # what seminar_utils wrote before digests were stored: the same payload, no "digest" entry
    model, history, _ = run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    payload = torch.load(path, weights_only=True)
    del payload["digest"]
    torch.save(payload, path)
    with pytest.warns(CheckpointWarning, match="no digest"):
        _, _, calls = run(tmp_path, data)
    assert calls == [1, 2]
    assert "digest" in torch.load(path, weights_only=True)  # rewritten with one


def test_a_flipped_digit_in_a_cached_result_warns_and_computes_again(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"nll": 91.25, "n": 3}

    assert cached_json("metrics", {"k": 5}, compute, directory=tmp_path) == {"nll": 91.25, "n": 3}
    (path,) = tmp_path.glob("metrics-*.json")
    path.write_text(path.read_text(encoding="utf-8").replace("91.25", "81.25"), encoding="utf-8")
    with pytest.warns(CheckpointWarning, match="damaged"):
        assert cached_json("metrics", {"k": 5}, compute, directory=tmp_path) == {"nll": 91.25, "n": 3}
    assert len(calls) == 2
    assert cached_json("metrics", {"k": 5}, compute, directory=tmp_path)["nll"] == 91.25  # rewritten intact
    assert len(calls) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"best_epoch": 7},  # an epoch the run does not have (summary raised IndexError)
        {"best_epoch": None},  # a test set but no best epoch (summary raised TypeError)
        {"best_epoch": True},
        {"train": {"loss": ["1.0", "2.0"], "recon": [1.0, 1.0], "kl": [1.0, 1.0]}},  # not numbers
        {"monitor": "nll"},  # not a term of the run
        {"epoch_seconds": [0.1, "x"]},
        {"stopped_early": "no"},
    ],
    ids=["best-out-of-range", "best-missing", "best-bool", "strings", "monitor", "seconds", "stopped"],
)
def test_a_stored_history_that_does_not_fit_the_format_warns_and_retrains(tmp_path, data, change):
    model, history, _ = run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    bad = History(**{**history.as_dict(), **change})
    save_checkpoint(path, model, run_config(tiny_bernoulli_vae(), *data, **FIT), bad)  # a valid digest of a bad History
    with pytest.warns(CheckpointWarning, match="no valid history"):
        _, loaded, calls = run(tmp_path, data, verbose=True)  # (the summary it prints used to crash)
    assert calls == [1, 2] and (loaded.train, loaded.test) == (history.train, history.test)
    with pytest.raises(ValueError, match="data"):
        History.from_dict(bad.as_dict())


def test_history_summary_survives_a_missing_or_out_of_range_best_epoch():
    base = {"train": {"loss": [3.0, 2.0]}, "test": {"loss": [2.5, 2.25]}, "epoch_seconds": [1.0, 2.0]}
    for best in (None, 0, 3, 99):
        text = History(**base, best_epoch=best).summary()
        assert text == "2 epochs in 3 s; train loss 2, test loss 2.25"  # the best epoch left out
    assert History(**base, best_epoch=2).summary().endswith("(best 2.25 at epoch 2)")


# -------------------------------------------------------------------------- cache permissions
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077], ids=["022", "027", "077"])
def test_cache_files_get_the_permissions_of_an_ordinary_open_under_the_umask(tmp_path, data, umask):
    old = os.umask(umask)
    try:
        run(tmp_path / "cache", data)
        cached_json("result", {"a": 1}, lambda: {"b": 2}, directory=tmp_path / "cache")
        (tmp_path / "plain").write_text("x")  # what open() gives under this umask
    finally:
        os.umask(old)
    expected = (tmp_path / "plain").stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    files = sorted((tmp_path / "cache").iterdir())
    assert [f.suffix for f in files] == [".json", ".pt"]
    for file in files:
        assert file.stat().st_mode & 0o777 == expected, (file.name, oct(file.stat().st_mode))


def test_cache_files_follow_the_umask_in_a_fresh_process(tmp_path):
    # the umask of a process started with it (as a JupyterHub's kernel is), not one changed in-process
    code = (
        "from seminar_utils.checkpoints import cached_json\n"
        f"cached_json('r', {{'a': 1}}, lambda: {{'b': 2}}, directory={str(tmp_path)!r})\n"
    )
    subprocess.run(["/bin/sh", "-c", f'umask 022 && exec "{sys.executable}" -c "$0"', code], check=True, cwd=ROOT)
    (file,) = tmp_path.glob("r-*.json")
    assert file.stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------------- storage folders
def _no_such_user() -> str:
    name = "nosuchuser23"
    with pytest.raises(KeyError):
        pwd.getpwnam(name)
    return name


def test_a_checkpoint_dir_under_an_unknown_user_is_a_value_error_naming_the_variable(monkeypatch, tmp_path, data):
    user = _no_such_user()
    monkeypatch.setenv("SEMINAR_CHECKPOINT_DIR", f"~{user}/x")
    with pytest.raises(ValueError, match=rf"SEMINAR_CHECKPOINT_DIR='~{user}/x'.*absolute path"):
        default_checkpoint_dir()
    with pytest.raises(ValueError, match=rf"directory='~{user}/y'"):
        fit_cached(tiny_bernoulli_vae(), *data, directory=f"~{user}/y", verbose=False, **FIT)
    with pytest.raises(ValueError, match="directory="):
        cached_json("r", {}, dict, directory=f"~{user}/y")


# --------------------------------------------------------------------------------- fit's dtype
class Quadratic(torch.nn.Module):
    """A plain model: its loss_terms use x as given (a VAE's casts x itself, this one does not)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(6, 3)

    def loss_terms(self, x):
        return {"loss": (self.linear(x) ** 2).sum(dim=1)}


def test_fit_casts_float64_data_to_a_float32_model(data):
    reference = Quadratic()
    expected = fit(reference, *data, **FIT)
    model = Quadratic()
    history = fit(model, data[0].double(), data[1].double(), **FIT)  # torch's dtype error before
    assert history.train == expected.train and history.test == expected.test
    assert_same_weights(model, reference)
    assert next(model.parameters()).dtype == torch.float32
    assert evaluate(model, data[1].double()) == evaluate(reference, data[1])


def test_fit_casts_float32_data_to_a_float64_model(data):
    model = Quadratic().double()
    history = fit(model, *data, **FIT)
    assert next(model.parameters()).dtype == torch.float64 and len(history) == 2
    assert evaluate(model, data[1])["loss"] == pytest.approx(history.test["loss"][-1], rel=1e-12)


# --------------------------------------------------------------------------------- iwae_by_k
@pytest.fixture
def log_weights():
    return torch.randn(12, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def test_iwae_by_k_takes_one_integer_k_as_a_list_of_one(log_weights):
    one = iwae_by_k(log_weights, 3)
    assert one == iwae_by_k(log_weights, [3]) and one["k"] == [3] and one["groups"] == [4]
    estimates = torch.logsumexp(log_weights.reshape(4, 3, 5), dim=1) - math.log(3)
    assert one["nll"][0] == pytest.approx(-estimates.mean().item(), rel=1e-12)


@pytest.mark.parametrize(
    "weights, ks, match",
    [
        (None, [], "ks must hold at least one K"),
        ("nan", [1], "log_weights must be finite"),
        ("inf", [1], "log_weights must be finite"),
        (torch.zeros(12, 0), [1], r"S >= 1 draws of N >= 1 examples, got shape \(12, 0\)"),
        (torch.zeros(0, 3), [1], r"got shape \(0, 3\)"),
        (None, "3", "ks must be a list of positive integers"),
        (None, None, "ks must be a list of positive integers"),
    ],
    ids=["no-k", "nan", "inf", "no-examples", "no-draws", "string", "none"],
)
def test_iwae_by_k_refuses_bad_input_naming_it(log_weights, weights, ks, match):
    if weights is None:
        weights = log_weights
    elif isinstance(weights, str):
        value, weights = float(weights), log_weights.clone()
        weights[2, 1] = value
    with pytest.raises(ValueError, match=match):
        iwae_by_k(weights, ks)


def test_iwae_by_k_refuses_a_k_that_does_not_divide_the_draws(log_weights):
    # already refused before issue 23; kept so that it stays so
    with pytest.raises(ValueError, match="must divide the 12 draws, got 5"):
        iwae_by_k(log_weights, [1, 5])


# ----------------------------------------------------------------------------- bits_per_dim
@pytest.mark.parametrize(
    "nll, match",
    [
        (torch.tensor([1.0 + 2.0j]), "nll must hold real numbers"),
        (torch.tensor([1.0, math.nan]), "nll must be finite"),
        (torch.tensor([math.inf]), "nll must be finite"),
        (torch.tensor([True]), "nll must hold numbers"),
    ],
    ids=["complex", "nan", "inf", "bool"],
)
def test_bits_per_dim_refuses_tensors_that_are_not_finite_real_numbers(nll, match):
    with pytest.raises(ValueError, match=match):
        bits_per_dim(nll, 784)


def test_bits_per_dim_of_a_tensor_keeps_its_gradient():
    nll = torch.tensor([784.0 * math.log(2.0), 0.0], requires_grad=True)
    bits = bits_per_dim(nll, 784)
    assert bits.tolist() == pytest.approx([1.0, 0.0])
    bits.sum().backward()
    assert nll.grad.tolist() == pytest.approx([1 / (784 * math.log(2.0))] * 2)


# ----------------------------------------------------------------- gaussian_log_likelihood_fixed
@pytest.mark.parametrize("sigma", [1e-170, 1e-200, 5e-324])
def test_fixed_sigma_gaussian_with_a_tiny_sigma_is_its_limit_not_a_math_error(sigma):
    x = torch.tensor([[0.25, -1.0, 3.0], [0.25, -1.0, 3.5]], dtype=torch.float64)
    mean = torch.tensor([[0.25, -1.0, 3.0]] * 2, dtype=torch.float64)
    value = gaussian_log_likelihood_fixed(x, mean, sigma)
    # an exact fit: −D(½ log 2π + log σ), finite; any other x: −inf (the density's limit in float64)
    assert value[0].item() == pytest.approx(-3 * (0.5 * math.log(2 * math.pi) + math.log(sigma)), rel=1e-12)
    assert value[1].item() == -math.inf


def test_fixed_sigma_gaussian_with_a_huge_sigma_is_finite():
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    mean = torch.zeros(1, 2, dtype=torch.float64)
    value = gaussian_log_likelihood_fixed(x, mean, 1e200).item()
    assert math.isfinite(value)
    assert value == pytest.approx(-2 * (0.5 * math.log(2 * math.pi) + math.log(1e200)), rel=1e-12)


# ------------------------------------------------------------------------------- dequantize
def test_dequantize_takes_the_raw_integer_levels_as_the_same_bins():
    levels = torch.arange(256, dtype=torch.uint8).reshape(4, 64)
    y = dequantize(levels, seed=5)
    assert y.dtype == torch.float32
    assert torch.equal(y, dequantize(levels.float() / 255, seed=5))  # k and k/255: the same result
    assert torch.equal(torch.floor(y * 256).to(torch.uint8), levels)  # each level in its own bin
    assert torch.equal(dequantize(levels.numpy(), seed=5), y)
    with pytest.raises(ValueError, match="grey levels k in 0 … 255; got values from 0 to 300"):
        dequantize(torch.tensor([[0, 300]]))
    with pytest.raises(ValueError, match=r"k/255 .* \(or the integer levels k, e.g. uint8\)"):
        dequantize(levels.float())  # float levels 0 … 255: not k/255


@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_dequantize_of_an_empty_batch_is_empty(dtype):
    y = dequantize(torch.zeros(0, 1, 28, 28, dtype=dtype))
    assert y.shape == (0, 1, 28, 28) and y.dtype == torch.float32


# -------------------------------------------------------------------------- malformed notebooks
def _malformed(tmp_path: Path) -> dict[str, Path]:
    files = {
        "deep": '{"cells": ' + "[" * 100_000 + "]" * 100_000 + ', "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        "deep-metadata": '{"cells": [], "metadata": {"x": ' + "[" * 150 + "]" * 150 + '}, "nbformat": 4, '
        '"nbformat_minor": 5}',
        "long-int": '{"cells": [], "metadata": {}, "nbformat": ' + "4" * 5000 + ', "nbformat_minor": 5}',
        "long-int-metadata": '{"cells": [], "metadata": {"n": -' + "7" * 4000 + '}, "nbformat": 4, '
        '"nbformat_minor": 5}',
    }
    for name, text in files.items():
        (tmp_path / f"{name}.ipynb").write_text(text, encoding="utf-8")
    return {name: tmp_path / f"{name}.ipynb" for name in files}


def test_read_notebook_refuses_deep_nesting_and_long_integers_in_one_line(tmp_path):
    for name, path in _malformed(tmp_path).items():
        with pytest.raises(EditionError) as caught:
            read_notebook(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: not a notebook (") and "\n" not in message, name
        assert len(message) < 300, name
        assert ("deep" in message) if name.startswith("deep") else ("digits" in message), name


@pytest.mark.parametrize("command", ["slides", "student"])
def test_the_editions_print_one_line_for_a_malformed_notebook(tmp_path, command):
    for name, path in _malformed(tmp_path).items():
        if command == "student" and name not in ("deep", "long-int"):
            continue  # the same reader: two cases suffice for the slower command
        done = subprocess.run(
            [sys.executable, "-m", "tools", command, str(path), "--out", str(tmp_path / "out")]
            + (["--course", str(tmp_path / "course")] if command == "student" else []),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 1, (name, done.stderr[-500:])
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {path}: not a notebook"), name
        assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------ remote deck pictures
@pytest.mark.parametrize(
    "markdown, url",
    [
        ("Our logo: ![logo](https://example.org/logo.png)", "https://example.org/logo.png"),
        ('<img src="//cdn.example.org/x.svg" width="40">', "//cdn.example.org/x.svg"),
        ("![](http://example.org/a.gif)", "http://example.org/a.gif"),
    ],
    ids=["markdown-https", "html-protocol-relative", "markdown-http"],
)
def test_a_deck_refuses_a_picture_from_the_web_naming_the_notebook_and_the_url(tmp_path, markdown, url):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_markdown_cell(markdown)]
    )
    path = tmp_path / "notebooks" / "remote.ipynb"
    with pytest.raises(EditionError) as caught:
        build_deck(nb, path, root=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}, cell 1") and repr(url) in message and "offline" in message


def test_a_deck_still_takes_data_urls(tmp_path):
    png = "data:image/png;base64,iVBORw0KGgo="
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"![dot]({png})")])
    assert png in build_deck(nb, tmp_path / "data.ipynb", root=tmp_path)


# --------------------------------------------------------------------- the site builder's folders
@pytest.fixture
def users_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "public_html"
    folder.mkdir()
    (folder / "index.html").write_text("my home page", encoding="utf-8")
    (folder / "photos").mkdir()
    (folder / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    return folder


def _assert_untouched(folder: Path) -> None:
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "index.html",
        "photos",
        "photos/cat.jpg",
    ]
    assert (folder / "index.html").read_text(encoding="utf-8") == "my home page"


def _stop_after_deleting(monkeypatch, sources: bool = False):
    """Keep the build short: Sphinx, the decks (and, unless ``sources``, the assembly of the Sphinx
    sources) are stand-ins; a build that got that far had already deleted what it would delete."""

    def no_slides(*args, **kwargs):
        raise website.SiteError("stopped by the test")

    monkeypatch.setattr(website, "write_slides", no_slides)
    if not sources:
        monkeypatch.setattr(website, "write_sources", lambda src: src.mkdir(parents=True, exist_ok=True) or [])
    try:  # `make test` runs before `make site` installs Sphinx: the refusals need none
        import sphinx.cmd.build
    except ModuleNotFoundError:
        return
    monkeypatch.setattr(
        sphinx.cmd.build, "build_main", lambda args: Path(args[-1]).mkdir(parents=True, exist_ok=True) or 0
    )


def test_the_site_builder_refuses_an_out_folder_it_did_not_make(tmp_path, users_folder, monkeypatch, capsys):
    _stop_after_deleting(monkeypatch)
    assert commands.main(["site", "--out", str(users_folder), "--src", str(tmp_path / "src")]) == 1
    _assert_untouched(users_folder)
    error = capsys.readouterr().err
    assert error.startswith(f"error: --out {users_folder} is not empty") and "nothing was deleted" in error


def test_the_site_builder_refuses_a_src_folder_it_did_not_make(tmp_path, users_folder, monkeypatch, capsys):
    _stop_after_deleting(monkeypatch, sources=True)
    assert commands.main(["site", "--src", str(users_folder), "--out", str(tmp_path / "site")]) == 1
    _assert_untouched(users_folder)
    assert capsys.readouterr().err.startswith(f"error: --src {users_folder} is not empty")
    with pytest.raises(website.SiteError, match="is not empty"):
        website.write_sources(users_folder)  # called directly too
    _assert_untouched(users_folder)
    assert not (tmp_path / "site").exists()  # refused before anything was written


def test_the_site_builder_empties_only_folders_it_marked(tmp_path, users_folder):
    fresh = website.own_folder(tmp_path / "new" / "site", "--out")
    assert sorted(p.name for p in fresh.iterdir()) == [website.MARKER]
    (fresh / "stale.html").write_text("from an earlier build", encoding="utf-8")
    assert sorted(p.name for p in website.own_folder(fresh, "--out").iterdir()) == [website.MARKER]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sorted(p.name for p in website.own_folder(empty, "--out").iterdir()) == [website.MARKER]
    with pytest.raises(website.SiteError, match="not empty and is not an earlier build"):
        website.own_folder(users_folder, "--out")
    _assert_untouched(users_folder)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(website.SiteError, match="is not a folder"):
        website.own_folder(tmp_path / "file", "--out")
    with pytest.raises(website.SiteError, match="two separate folders"):
        website.build(tmp_path / "one", tmp_path / "one" / "src")


def test_the_default_folders_count_as_the_builders_own():
    assert website.DEFAULT_OUT == ROOT / "build" / "site" and website.DEFAULT_SRC == ROOT / "build" / "site-src"
    assert website._ours(website.DEFAULT_OUT) and website._ours(website.DEFAULT_SRC)
    assert not website._ours(ROOT) and not website._ours(ROOT / "build")


def test_the_json_of_a_valid_notebook_is_read_as_before(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", execution_count=12345678901234567890)])
    path = tmp_path / "ok.ipynb"
    nbformat.write(nb, path)
    assert read_notebook(path).cells[0].execution_count == 12345678901234567890
    assert json.loads(path.read_text())["nbformat"] == 4

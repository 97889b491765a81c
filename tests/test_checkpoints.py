import json
import os
import subprocess
import sys
import warnings

import pytest
import torch
from helpers import tiny_bernoulli_vae
from torch import nn

from seminar_utils.checkpoints import (
    CheckpointError,
    CheckpointWarning,
    cached_json,
    config_key,
    default_checkpoint_dir,
    fingerprint,
    fit_cached,
    load_checkpoint,
    run_config,
    save_checkpoint,
)
from seminar_utils.training import History, fit
from tools.paths import ROOT

FIT = {"epochs": 2, "batch_size": 16, "lr": 1e-2, "seed": 0, "progress": False}


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(48, 6, generator=g) > 0.5).float(), (torch.rand(16, 6, generator=g) > 0.5).float()


def run(tmp_path, data, model=None, calls=None, **overrides):
    """fit_cached on a tiny VAE; ``calls`` collects the epochs actually trained."""
    model = tiny_bernoulli_vae() if model is None else model
    calls = [] if calls is None else calls
    kwargs = {**FIT, **overrides}
    history = fit_cached(
        model,
        data[0],
        data[1],
        name="tiny",
        directory=tmp_path,
        verbose=False,
        callback=lambda epoch, m, h: calls.append(epoch),
        **kwargs,
    )
    return model, history, calls


def test_second_run_loads_the_same_weights_and_history_without_training(tmp_path, data):
    first, history, calls = run(tmp_path, data)
    assert calls == [1, 2] and len(list(tmp_path.glob("tiny-*.pt"))) == 1
    second, loaded, calls = run(tmp_path, data)
    assert calls == []  # not trained again
    assert loaded == history
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert not second.training  # eval mode, as after fit


def test_the_loaded_model_is_the_trained_one_not_the_initial_one(tmp_path, data):
    trained, _, _ = run(tmp_path, data)
    fresh = tiny_bernoulli_vae()
    loaded, _, _ = run(tmp_path, data, model=tiny_bernoulli_vae())
    x = data[1]
    torch.manual_seed(5)
    expected = trained.elbo(x).elbo
    torch.manual_seed(5)
    assert torch.allclose(loaded.elbo(x).elbo, expected)
    torch.manual_seed(5)
    assert not torch.allclose(fresh.elbo(x).elbo, expected)


@pytest.mark.parametrize(
    "change",
    [
        {"overrides": {"epochs": 3}},
        {"overrides": {"lr": 5e-3}},
        {"overrides": {"seed": 1}},
        {"overrides": {"weight_decay": 1e-4}},
        {"overrides": {"loss_kwargs": {"beta": 0.5}}},
        {"overrides": {"grad_clip": 1.0}},
        {"overrides": {"batch_size": 8}},
        {"model": lambda: tiny_bernoulli_vae(seed=1)},
        {"model": lambda: tiny_bernoulli_vae(hidden=(9,))},
        {"data": lambda d: (d[0][:40], d[1])},
        {"data": lambda d: (d[0], 1 - d[1])},
    ],
)
def test_a_changed_configuration_retrains(tmp_path, data, change):
    run(tmp_path, data)
    model = change.get("model", tiny_bernoulli_vae)()
    new_data = change.get("data", lambda d: d)(data)
    _, _, calls = run(tmp_path, new_data, model=model, **change.get("overrides", {}))
    assert calls != []
    assert len(list(tmp_path.glob("tiny-*.pt"))) == 2


def test_progress_device_and_callback_do_not_change_the_key(data):
    a = run_config(tiny_bernoulli_vae(), *data, epochs=2, progress=True, device="cpu")
    b = run_config(tiny_bernoulli_vae(), *data, epochs=2, progress=False, callback=print)
    assert config_key(a) == config_key(b)
    assert config_key(a) == config_key(run_config(tiny_bernoulli_vae(), *data, epochs=2, seed=0, lr=1e-3))
    assert config_key(a) != config_key(run_config(tiny_bernoulli_vae(), *data, epochs=3))


def test_a_corrupt_file_is_reported_and_retrained(tmp_path, data):
    run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    path.write_bytes(path.read_bytes()[:100])  # truncated, e.g. an interrupted copy
    with pytest.warns(CheckpointWarning, match="unreadable"):
        model, _, calls = run(tmp_path, data)
    assert calls == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, calls = run(tmp_path, data)  # rewritten: loads cleanly now
    assert calls == []


def test_a_file_saved_for_another_configuration_is_not_loaded(tmp_path, data):
    model, history, _ = run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    other = run_config(tiny_bernoulli_vae(), *data, epochs=7)
    save_checkpoint(path, model, other, history)  # right name, wrong content
    with pytest.raises(CheckpointError, match="another configuration"):
        load_checkpoint(path, tiny_bernoulli_vae(), run_config(tiny_bernoulli_vae(), *data, **FIT))
    with pytest.warns(CheckpointWarning, match="another configuration"):
        _, _, calls = run(tmp_path, data)
    assert calls == [1, 2]


def test_the_file_holds_plain_tensors_and_the_config_and_loads_weights_only(tmp_path, data):
    run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    payload = torch.load(path, weights_only=True)
    config = json.loads(payload["config"])
    assert config["fit"]["epochs"] == 2 and config["model"]["class"] == "VAE"
    assert path.name == f"tiny-{config_key(config)}.pt"
    assert all(isinstance(v, torch.Tensor) for v in payload["state_dict"].values())
    assert len(payload["history"]["train"]["loss"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left beside it


def test_a_state_dict_of_another_model_is_a_checkpoint_error(tmp_path, data):
    model, history, _ = run(tmp_path, data)
    config = run_config(tiny_bernoulli_vae(hidden=(9,)), *data, **FIT)
    path = save_checkpoint(tmp_path / "x.pt", model, config, history)
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(path, tiny_bernoulli_vae(hidden=(9,)), config)


def test_retrain_ignores_an_existing_checkpoint(tmp_path, data):
    run(tmp_path, data)
    calls = []
    fit_cached(
        tiny_bernoulli_vae(),
        *data,
        name="tiny",
        directory=tmp_path,
        retrain=True,
        verbose=False,
        callback=lambda e, m, h: calls.append(e),
        **FIT,
    )
    assert calls == [1, 2]


def test_messages_say_trained_then_loaded(tmp_path, data, capsys):
    fit_cached(tiny_bernoulli_vae(), *data, name="tiny", directory=tmp_path, **FIT)
    assert "Saved tiny" in capsys.readouterr().out
    history = fit_cached(tiny_bernoulli_vae(), *data, name="tiny", directory=tmp_path, **FIT)
    assert "Loaded tiny" in capsys.readouterr().out
    assert isinstance(history, History)


def test_fingerprint_sees_values_shapes_and_dtypes():
    x = torch.arange(6.0)
    assert fingerprint(x) == fingerprint(x.clone())
    assert fingerprint(x.reshape(3, 2)) == fingerprint(x.reshape(3, 2).numpy())  # a data set as a numpy array
    assert fingerprint(x) != fingerprint(x.reshape(2, 3))
    assert fingerprint(x) != fingerprint(x.double())
    y = x.clone()
    y[3] += 1e-6
    assert fingerprint(x) != fingerprint(y)
    assert fingerprint(x[::2]) == fingerprint(x[::2].contiguous())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "../evil"}, "name"),
        ({"name": "ok", "optimizer": "sgd"}, "optimizer"),
    ],
)
def test_bad_arguments_are_value_errors(tmp_path, data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_cached(tiny_bernoulli_vae(), *data, directory=tmp_path, epochs=1, **kwargs)


def test_epochs_are_required(data):
    with pytest.raises(ValueError, match="epochs"):
        run_config(tiny_bernoulli_vae(), *data)


def test_default_directory_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEMINAR_CHECKPOINT_DIR", str(tmp_path))
    assert default_checkpoint_dir() == tmp_path
    monkeypatch.delenv("SEMINAR_CHECKPOINT_DIR")
    assert default_checkpoint_dir().name == "checkpoints"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_checkpoint_trained_on_cuda_loads_on_the_cpu(tmp_path, data):
    trained, _, _ = run(tmp_path, data, device="cuda")
    loaded, _, calls = run(tmp_path, data)  # device is not part of the key
    assert calls == []
    assert next(loaded.parameters()).device.type == "cpu"
    for a, b in zip(trained.state_dict().values(), loaded.state_dict().values()):
        assert a.device.type == "cuda" and torch.equal(a.cpu(), b)


def test_cached_json_computes_once_per_config(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"nll": 81.5, "k": [1, 2]}

    assert cached_json("m", {"a": 1}, compute, directory=tmp_path) == {"nll": 81.5, "k": [1, 2]}
    assert cached_json("m", {"a": 1}, compute, directory=tmp_path) == {"nll": 81.5, "k": [1, 2]}
    assert len(calls) == 1
    cached_json("m", {"a": 2}, compute, directory=tmp_path)
    assert len(calls) == 2 and len(list(tmp_path.glob("m-*.json"))) == 2


def test_cached_json_recomputes_a_damaged_or_foreign_file(tmp_path):
    cached_json("m", {"a": 1}, lambda: {"v": 1}, directory=tmp_path)
    (path,) = tmp_path.glob("m-*.json")
    path.write_text("{not json")
    with pytest.warns(CheckpointWarning, match="computing again"):
        assert cached_json("m", {"a": 1}, lambda: {"v": 2}, directory=tmp_path) == {"v": 2}
    path.write_text(json.dumps({"config": {"a": 3}, "result": {"v": 3}}))
    with pytest.warns(CheckpointWarning, match="another configuration"):
        assert cached_json("m", {"a": 1}, lambda: {"v": 4}, directory=tmp_path) == {"v": 4}
    assert json.loads(path.read_text())["result"] == {"v": 4}


def test_a_beta_schedule_is_keyed_by_its_values(data):
    def key(beta):
        return config_key(run_config(tiny_bernoulli_vae(), *data, epochs=3, loss_kwargs={"beta": beta}))

    assert key(lambda epoch: min(1.0, epoch / 2)) == key(lambda e: min(1.0, e / 2))
    assert key(lambda epoch: min(1.0, epoch / 2)) != key(lambda epoch: min(1.0, epoch / 3))


# ----------------------------------------------------------------------------- faults lose nothing
def state_of(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_state(model, state) -> None:
    assert model.state_dict().keys() == state.keys()
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_a_file_whose_tensors_do_not_fit_leaves_the_model_untouched_and_retrains_cleanly(tmp_path, data):
    # a bigger model's weights saved under the small model's exact config, key and file name: some of
    # its tensors fit (the output biases), others do not (every tensor next to the hidden layer)
    config = run_config(tiny_bernoulli_vae(), *data, **FIT)
    path = tmp_path / f"tiny-{config_key(config)}.pt"
    big = tiny_bernoulli_vae(seed=3, hidden=(9,))
    save_checkpoint(path, big, config, History(train={"loss": [1.0]}, epoch_seconds=[1.0]))
    model = tiny_bernoulli_vae()
    before = state_of(model)
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(path, model, config)
    assert_same_state(model, before)  # bit for bit, the tensors that did fit included
    with pytest.warns(CheckpointWarning, match="does not fit"):
        trained, history, calls = run(tmp_path, data)
    assert calls == [1, 2]
    reference = tiny_bernoulli_vae()  # the same initial weights, trained without any cache
    expected = fit(reference, *data, **FIT)
    assert_same_state(trained, state_of(reference))
    assert history.train == expected.train and history.test == expected.test


def test_an_unwritable_folder_is_reported_and_the_result_returned(tmp_path, data):
    # a folder under a regular file cannot be created by anyone (root included, unlike chmod 0o500)
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    folder = blocker / "checkpoints"
    model = tiny_bernoulli_vae()
    with pytest.warns(CheckpointWarning, match=f"could not save the trained tiny to {folder}"):
        history = fit_cached(model, *data, name="tiny", directory=folder, verbose=False, **FIT)
    assert isinstance(history, History) and len(history) == 2
    reference = tiny_bernoulli_vae()
    assert history.train == fit(reference, *data, **FIT).train
    assert_same_state(model, state_of(reference))
    assert not model.training
    with pytest.warns(CheckpointWarning, match=f"could not save the result m to {folder}"):
        assert cached_json("m", {"a": 1}, lambda: {"v": 1}, directory=folder) == {"v": 1}
    assert blocker.read_text() == "not a folder"


def test_an_unavailable_device_is_refused_before_a_checkpoint_is_loaded(tmp_path, data):
    run(tmp_path, data)
    model = tiny_bernoulli_vae()
    before = state_of(model)
    with pytest.raises(ValueError, match=r"device='cuda:99' is not available here; available: "):
        fit_cached(model, *data, name="tiny", directory=tmp_path, verbose=False, device="cuda:99", **FIT)
    assert_same_state(model, before)


def test_saves_leave_no_temporary_files_even_when_writing_fails(tmp_path, data, monkeypatch):
    model, history, _ = run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    config = run_config(tiny_bernoulli_vae(), *data, **FIT)
    for _ in range(3):
        save_checkpoint(path, model, config, history)
    cached_json("m", {"a": 1}, lambda: {"v": 1}, directory=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, *(p.name for p in tmp_path.glob("m-*"))])
    good = path.read_bytes()

    def half_written(obj, file, *args, **kwargs):
        file.write(b"\x80\x02 half a pickle")
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(torch, "save", half_written)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        save_checkpoint(path, tiny_bernoulli_vae(seed=5), config, history)
    assert path.read_bytes() == good  # the old file is intact
    other = tmp_path / "new.pt"
    with pytest.raises(RuntimeError, match="disk unplugged"):
        save_checkpoint(other, model, config, history)
    assert not other.exists()

    def full_disk(obj, file, *args, **kwargs):
        file.write(b"\x80\x02 half a pickle")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.warns(CheckpointWarning, match="No space left"):
        fit_cached(tiny_bernoulli_vae(), *data, name="other", directory=tmp_path, verbose=False, **FIT)
    assert not list(tmp_path.glob("other-*")) and not list(tmp_path.glob(".*"))
    assert len(list(tmp_path.iterdir())) == 2  # the checkpoint and the json result, nothing else
    monkeypatch.undo()
    assert load_checkpoint(path, tiny_bernoulli_vae(), config) == history


RACE_SCRIPT = r"""
import json, os, sys, time
import torch
from torch import nn
from seminar_utils.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from seminar_utils.training import History

role, path, writer, n, sync = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
CONFIG = {"race": 1}


def model_of(value):
    model = nn.Sequential(nn.Linear(128, 128), nn.Linear(128, 64))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)
    return model


errors, torn, loads, seen = 0, 0, 0, set()
ready, done = os.path.join(sync, "reader-ready"), os.path.join(sync, "writer-done-")
if role == "write":
    deadline = time.monotonic() + 60
    while not os.path.exists(ready) and time.monotonic() < deadline:
        time.sleep(0.005)
    for i in range(n):
        value = float(1000 * writer + i)
        try:
            save_checkpoint(path, model_of(value), CONFIG, History(train={"loss": [value]}, epoch_seconds=[value]))
        except Exception as error:
            errors += 1
            print(repr(error), file=sys.stderr)
    open(done + str(writer), "w").close()
else:
    model = model_of(0.0)
    deadline = time.monotonic() + 60
    finished = lambda: all(os.path.exists(done + w) for w in ("1", "2"))
    while (loads < n or not finished()) and time.monotonic() < deadline:
        try:
            history = load_checkpoint(path, model, CONFIG)
        except Exception as error:
            errors += 1
            print(repr(error), file=sys.stderr)
            continue
        loads += 1
        value = history.epoch_seconds[0]
        values = torch.cat([p.detach().flatten() for p in model.parameters()]).unique().tolist()
        if values != [value] or history.train["loss"] != [value]:
            torn += 1
        seen.add(value)
        if loads == 1:
            open(ready, "w").close()
print(json.dumps({"errors": errors, "torn": torn, "loads": loads, "distinct": len(seen)}))
"""


def test_two_writers_and_a_reader_on_one_path_never_collide(tmp_path):
    # two kernels saving the same run while a third loads it: every load is one complete payload
    script = tmp_path / "race.py"
    script.write_text(RACE_SCRIPT)
    path = tmp_path / "shared" / "race.pt"
    initial = nn.Sequential(nn.Linear(128, 128), nn.Linear(128, 64))
    with torch.no_grad():
        for p in initial.parameters():
            p.fill_(-1.0)
    save_checkpoint(path, initial, {"race": 1}, History(train={"loss": [-1.0]}, epoch_seconds=[-1.0]))
    repo = ROOT
    env = {**os.environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"}

    def start(*args):
        return subprocess.Popen(
            [sys.executable, str(script), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )

    sync = tmp_path / "sync"  # the reader says when it reads, the writers when they are done
    sync.mkdir()
    processes = [
        start(role, path, writer, n, sync) for role, writer, n in [("write", 1, 50), ("write", 2, 50), ("read", 0, 150)]
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    writers, reader = results[:2], results[2]
    assert [w["errors"] for w in writers] == [0, 0]
    assert reader["errors"] == 0 and reader["torn"] == 0 and reader["loads"] >= 150
    assert reader["distinct"] >= 2  # it did read while the writers wrote
    final = load_checkpoint(path, initial, {"race": 1})
    assert final.epoch_seconds[0] in (1049.0, 2049.0)  # one writer's last, complete payload
    assert [p.name for p in path.parent.iterdir()] == ["race.pt"]  # no temporary file left

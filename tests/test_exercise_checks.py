"""The machinery of the exercises' checks: close(), plain(), Verdict, run_check/check and namespace().

The checks themselves are tested against right and wrong solutions in tests/test_exercise_bank.py.
"""

from __future__ import annotations

import importlib
import json
import math

import numpy as np
import pytest
import torch

from seminar_utils.exercises import CHECKS, Check, Verdict, check, close, get_check, plain, register, run_check
from seminar_utils.exercises.definitions import definitions, namespace, notebook_cells


# ----------------------------------------------------------------------------------------- close
def test_close_passes_within_the_tolerance_with_a_text_free_of_measured_figures():
    ok, text = close("x", torch.tensor([1.0, 2.0 + 1e-9]), torch.tensor([1.0, 2.0]), atol=1e-8)
    assert ok and text == "x: matches (tolerance 1e-08)"
    ok, text = close("x", torch.tensor([100.5]), torch.tensor([100.0]), atol=0.0, rtol=0.01)
    assert ok and text == "x: matches (tolerance 0 + 0.01·|reference|)"


def test_close_names_the_largest_difference_and_the_first_entry_off_with_both_values():
    ours = torch.tensor([[1.0, 2.0], [3.0, 7.5]])
    ok, text = close("log γ", ours, torch.tensor([[1.0, 2.0], [3.0, 4.0]]), atol=1e-8)
    assert not ok
    assert text == "log γ: off by up to 3.5 (tolerance 1e-08); first at index (1, 1): 7.5, expected 4"


def test_close_refuses_wrong_types_and_shapes_with_what_was_expected():
    ref = torch.zeros(3)
    assert close("kl", [0.0, 0.0, 0.0], ref, atol=1) == (False, "kl: got a list, expected a tensor of shape (3,)")
    assert close("kl", True, ref, atol=1) == (False, "kl: got a bool, expected a tensor of shape (3,)")
    assert close("kl", torch.zeros(3, 1), ref, atol=1) == (False, "kl: shape (3, 1), expected (3,)")
    ok, text = close("kl", torch.zeros(3, dtype=torch.complex64), ref, atol=1)
    assert not ok and "complex64" in text and "real numbers" in text
    ok, text = close("kl", torch.zeros(3, dtype=torch.bool), ref, atol=1)
    assert not ok and "torch.bool" in text


def test_close_treats_nan_as_wrong_and_equal_infinities_as_equal():
    ok, text = close("ll", torch.tensor([0.0, math.nan]), torch.tensor([0.0, 1.0]), atol=1.0)
    assert not ok and text == "ll: nan at index (1,), expected 1.0"
    assert close("ll", torch.tensor([-math.inf, 1.0]), torch.tensor([-math.inf, 1.0]), atol=0.0)[0]
    ok, text = close("ll", torch.tensor([-math.inf]), torch.tensor([-5.0]), atol=1e-8)
    assert not ok and "off by up to inf" in text
    assert close("ll", torch.tensor([-math.inf]), torch.tensor([-math.inf]), atol=1e-8, rtol=0.1)[0]
    assert not close("ll", torch.tensor([-5.0]), torch.tensor([-math.inf]), atol=1e-8, rtol=0.1)[0]
    assert close("ll", torch.zeros(0), torch.zeros(0), atol=0.0) == (True, "ll: empty, as expected")


def test_close_compares_python_numbers_with_zero_dimensional_references():
    assert close("ℓ", -1.5, -1.5, atol=1e-12)[0]
    ok, text = close("ℓ", -1.0, -1.5, atol=1e-12)
    assert not ok and text.endswith("first: -1, expected -1.5")


# ----------------------------------------------------------------------------------------- plain
def test_plain_copies_tensors_and_keeps_plain_containers():
    t = torch.ones(2, requires_grad=True)
    out = plain({"a": [t * 2, (1, 2.5, "s", None, True)], "p": torch.nn.Parameter(torch.zeros(1))})
    assert out["a"][0].requires_grad is False and torch.equal(out["a"][0], torch.full((2,), 2.0))
    assert out["a"][1] == (1, 2.5, "s", None, True) and type(out["a"][1]) is tuple
    assert type(out["p"]) is torch.Tensor
    src = torch.zeros(2)
    copied = plain(src)
    src += 1
    assert torch.equal(copied, torch.zeros(2))  # a copy: later changes do not reach it


class _AlwaysEqual(torch.Tensor):
    def __eq__(self, other):  # what a submission could return to fool a comparison
        return True


@pytest.mark.parametrize(
    "value, where, what",
    [
        (np.float64(1.0), "result", "numpy.float64"),
        ({"a": [1, object()]}, "result['a'][1]", "builtins.object"),
        (torch.zeros(2).as_subclass(_AlwaysEqual), "result", "_AlwaysEqual"),
        ({1: 2}, "result", "keys that are not all strings"),
    ],
)
def test_plain_refuses_anything_else_naming_where_it_sits(value, where, what):
    with pytest.raises(TypeError) as info:
        plain(value)
    assert str(info.value).startswith(f"{where}: ") and what in str(info.value)


# --------------------------------------------------------------------------------------- Verdict
def test_verdict_of_lines_passes_only_when_every_line_does():
    both = Verdict.of((True, "a"), (True, "b"))
    assert both.passed and str(both) == "✓ a\n✓ b"
    one = Verdict.of((True, "a"), (False, "b"))
    assert not one.passed and one.lines == ("✓ a", "✗ b")


# ------------------------------------------------------------------------------ run_check, check
def _toy(key: str, run) -> Check:
    """A registered toy check of ``f(x) = 2x`` at x = 3 (removed again by the fixture)."""
    return register(Check(key, ("f",), run, lambda data: Verdict.of(close("f(3)", data, 6.0, atol=1e-12))))


@pytest.fixture
def toy():
    get_check("01_em_gmm/gaussian_log_pdf")  # the real checks are loaded, so register() sees them
    key = "99_toy/f"
    yield _toy(key, lambda ns: ns["f"](3.0))
    CHECKS.pop(key)


def test_run_check_gives_the_verdict_of_the_judge(toy):
    assert run_check(toy.key, {"f": lambda x: 2 * x}).passed
    verdict = run_check(toy.key, {"f": lambda x: 3 * x})
    assert not verdict.passed and verdict.lines == ("✗ f(3): off by up to 3 (tolerance 1e-12); first: 9, expected 6",)


def test_run_check_turns_unwritten_raising_and_missing_code_into_failed_verdicts(toy):
    def unwritten(x):
        raise NotImplementedError("Exercise: write this body")

    assert run_check(toy.key, {"f": unwritten}) == Verdict(False, ("✗ f: not written yet (NotImplementedError)",))
    assert run_check(toy.key, {"f": lambda x: 1 / 0}) == Verdict(
        False, ("✗ f raised ZeroDivisionError: division by zero",)
    )
    assert run_check(toy.key, {}) == Verdict(False, ("✗ f not defined: run the exercise's cell first",))
    returns_object = run_check(toy.key, {"f": lambda x: object()})
    assert not returns_object.passed and "raised TypeError: result: a builtins.object" in returns_object.lines[0]


def test_check_prints_the_lines_and_a_last_line_with_the_name(toy, capsys):
    check(toy.key, {"f": lambda x: 2 * x})
    assert capsys.readouterr().out == "✓ f(3): matches (tolerance 1e-12)\nf: PASSED\n"
    check(toy.key, {"f": lambda x: 2 * x + 1})
    assert capsys.readouterr().out.endswith("\nf: NOT PASSED\n")


def test_a_key_registered_twice_or_unknown_is_an_error(toy):
    with pytest.raises(ValueError, match="registered already"):
        _toy(toy.key, lambda ns: 0)
    with pytest.raises(KeyError, match=r"no check named 'nope/none'; known: .*01_em_gmm/gaussian_log_pdf"):
        get_check("nope/none")


def _resolve(dotted: str):
    """The object a dotted name such as ``seminar_utils.gmm.steps.e_step`` names."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(dotted)


def test_every_registered_check_is_keyed_by_its_notebook_and_its_references_exist():
    get_check("01_em_gmm/gaussian_log_pdf")
    ours = {k: c for k, c in CHECKS.items() if c.run.__module__.startswith("seminar_utils.exercises.")}
    assert len(ours) >= 20  # other tests may register checks of made-up courses (the classroom's tiny/...)
    for key, found in ours.items():
        stem, name = key.split("/", 1)
        assert stem[:2].isdigit() and name, key
        assert found.names and all(r.startswith("seminar_utils.") for r in found.references), key
        for reference in found.references:
            assert callable(_resolve(reference)), f"{key}: {reference} is not a function or class of the package"


# ------------------------------------------------------------------------------------- namespace
CELL = """%matplotlib inline
import math
from collections import OrderedDict as OD
SCALE = 2.5
NAMES = ("a", "b")
computed = math.sqrt(4)  # not a literal: left out
print("side effect")


def double(x):
    return SCALE * x


class Box:
    size = 3
double(1)
"""


def test_definitions_keep_imports_defs_classes_and_literal_constants_only():
    code = definitions(CELL)
    assert "import math" in code and "OrderedDict as OD" in code and "SCALE = 2.5" in code
    assert "NAMES = ('a', 'b')" in code and "def double" in code and "class Box" in code
    assert "computed" not in code and "print" not in code and "double(1)" not in code and "%" not in code
    assert definitions("def broken(:\n    pass") == ""


def test_namespace_executes_the_definitions_in_order_without_running_the_cells(capsys):
    ns = namespace([CELL, "SCALE = 10.0", "print('not run')"], extra={"given": 1})
    assert capsys.readouterr().out == ""
    assert ns["double"](2) == 20.0  # the later constant wins, as in a kernel run in order
    assert ns["given"] == 1 and ns["__name__"] == "__main__" and ns["Box"].size == 3
    assert "computed" not in ns and ns["OD"].__name__ == "OrderedDict"
    with pytest.raises(ModuleNotFoundError):
        namespace(["import a_module_that_does_not_exist"])


def test_notebook_cells_read_ids_tags_and_grade_ids(tmp_path):
    raw = {
        "cells": [
            {"cell_type": "markdown", "source": "# title", "metadata": {}},
            {
                "cell_type": "code",
                "id": "abc",
                "source": ["def f():\n", "    return 1"],
                "metadata": {"tags": ["solution", 3], "nbgrader": {"grade_id": "exercise-abc"}},
            },
            {"cell_type": "code", "source": "f()", "metadata": {"tags": "solution"}},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    cells = notebook_cells(path)
    assert cells == [
        {"id": "abc", "source": "def f():\n    return 1", "tags": ["solution"], "grade_id": "exercise-abc"},
        {"id": None, "source": "f()", "tags": [], "grade_id": None},
    ]


def test_check_stops_at_an_exercise_still_to_write(toy, capsys):
    def unwritten(x):
        raise NotImplementedError("Exercise: write this body")

    with pytest.raises(NotImplementedError, match="write this body"):
        check(toy.key, {"f": unwritten})  # a student edition run from the top stops here
    assert capsys.readouterr().out == ""
    with pytest.raises(NotImplementedError):
        run_check(toy.key, {"f": unwritten}, stop_if_not_written=True)

"""The package's layout keeps its promises (read with ast; no module of the package is imported here):
no import cycles, no private names across modules, short functions, the layers depend only downwards,
and the package docstring names every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tools.paths import ROOT

PACKAGE = ROOT / "seminar_utils"
MAX_FUNCTION_LINES, MAX_FIT_LINES = 60, 40  # function length, docstring aside (ruff checks complexity)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return FILES[name].name == "__init__.py"


def imports_of(name: str) -> list[tuple[str, str | None, int]]:
    """``(module, imported name or None, line)`` for every import of a ``seminar_utils`` module in
    ``name``'s file, relative imports resolved (function-level imports included)."""
    tree = ast.parse(FILES[name].read_text(encoding="utf-8"))
    here = name if is_package(name) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names if alias.name.startswith("seminar_utils")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("seminar_utils"):
                continue
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if submodule in FILES:  # ``from . import losses``: the module itself
                    found.append((submodule, None, node.lineno))
                    if alias.name.startswith("_"):
                        found.append((module, alias.name, node.lineno))
                else:
                    found.append((module, alias.name, node.lineno))
    return found


def dependencies(name: str) -> set[str]:
    """The seminar_utils modules ``name`` imports directly."""
    return {module for module, _, _ in imports_of(name) if module in FILES and module != name}


def reachable(name: str) -> set[str]:
    """Every seminar_utils module ``name`` imports, directly or through others."""
    seen, todo = set(), [name]
    while todo:
        for dep in dependencies(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_the_package_has_the_expected_modules():
    # a guard for the tests below: they read these files
    assert {"seminar_utils", "seminar_utils.losses", "seminar_utils.gmm", "seminar_utils.gmm.fast"} <= set(FILES)


def test_no_import_cycle():
    cycles = sorted(name for name in FILES if name in reachable(name))
    assert cycles == [], f"modules that import themselves through others: {cycles}"


def test_no_module_imports_a_private_name_of_another():
    offences = [
        f"{FILES[name].relative_to(PACKAGE.parent)}:{line} imports {imported} from {module}"
        for name in FILES
        for module, imported, line in imports_of(name)
        if imported is not None and imported.startswith("_")
    ]
    assert offences == []


def functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method of the package (nested ones too), with its module's name."""
    return [
        (name, node)
        for name, path in FILES.items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A function's lines from its ``def`` to its last line, less its docstring's (decorators not counted)."""
    lines = function.end_lineno - function.lineno + 1
    if ast.get_docstring(function, clean=False) is not None:
        lines -= function.body[0].end_lineno - function.body[0].lineno + 1
    return lines


def test_code_lines_counts_the_signature_and_the_body_but_not_the_docstring():
    source = 'def f(\n    a,\n):\n    """Doc,\n    two lines."""\n' + "    a += 1\n" * 58
    assert code_lines(ast.parse(source).body[0]) == 3 + 58


def test_no_function_is_longer_than_60_lines():
    long = [
        f"{FILES[name].relative_to(PACKAGE.parent)}:{node.lineno} {node.name} has {code_lines(node)} lines"
        for name, node in functions()
        if code_lines(node) > MAX_FUNCTION_LINES
    ]
    assert len(functions()) > 100 and long == [], f"at most {MAX_FUNCTION_LINES} lines (docstring aside): {long}"


def test_fit_reads_at_a_glance():
    # the whole function, signature and docstring included: its settings live in FitOptions
    (fit,) = [node for name, node in functions() if name == "seminar_utils.training" and node.name == "fit"]
    lines = fit.end_lineno - fit.lineno + 1
    assert lines <= MAX_FIT_LINES, f"fit has {lines} lines (at most {MAX_FIT_LINES})"


def modules(*prefixes: str) -> set[str]:
    """The modules named ``seminar_utils.<prefix>…`` (``figures`` matches every ``figures_*``)."""
    return {name for name in FILES if any(name.startswith(f"seminar_utils.{p}") for p in prefixes)}


LAYERS = [
    # (modules, what they must not depend on, even indirectly)
    (modules("losses", "formulas"), modules("vae", "training", "checkpoints", "figures")),
    (modules("toy2d", "mnist"), modules("vae", "conv")),
    (modules("vae", "conv"), modules("toy2d", "mnist", "checkpoints", "recipes")),
    (modules("gmm"), modules("training", "checkpoints")),
    (modules("figures", "gmm.figures"), modules("training", "checkpoints")),
]


@pytest.mark.parametrize("lower, forbidden", LAYERS, ids=lambda s: "+".join(sorted(n.split(".", 1)[-1] for n in s)))
def test_layers_depend_only_downwards(lower, forbidden):
    assert lower and forbidden
    offences = {name: sorted(reachable(name) & forbidden) for name in sorted(lower)}
    assert {name: deps for name, deps in offences.items() if deps} == {}


# the modules outside seminar_utils/gmm/ that may import it: 01's widget and 01's exercise checks
GMM_USERS = {"seminar_utils.widgets", "seminar_utils.exercises.s01"}


def test_no_module_outside_gmm_imports_the_gmm_seminar():
    # a core formula or another seminar's module must not live in seminar 01's folder
    gmm = modules("gmm")
    offences = {
        name: sorted({module for module, _, _ in imports_of(name) if module in gmm})
        for name in sorted(set(FILES) - gmm - GMM_USERS)
    }
    assert {name: found for name, found in offences.items() if found} == {}
    assert all(any(m in gmm for m, _, _ in imports_of(name)) for name in GMM_USERS), "stale exception"


def test_one_device_resolver():
    # only runtime defines functions about devices; the others call its get_device
    defined = {
        f"{name}.{node.name}"
        for name in FILES
        for node in ast.walk(ast.parse(FILES[name].read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and "device" in node.name
    }
    assert {d for d in defined if not d.startswith("seminar_utils.runtime.")} == set()
    assert "seminar_utils.runtime.get_device" in defined


def test_one_version_number():
    # pyproject.toml takes the version from seminar_utils.__version__ and states none of its own
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with open(PACKAGE.parent / "pyproject.toml", "rb") as file:
        pyproject = tomllib.load(file)
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "seminar_utils.__version__"}
    tree = ast.parse(FILES["seminar_utils"].read_text(encoding="utf-8"))
    versions = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"]
    ]
    assert len(versions) == 1 and re.fullmatch(r"\d+\.\d+\.\d+", versions[0]), versions


FIGURES_AND_WIDGETS = sorted(modules("figures", "gmm.figures", "widgets"))


@pytest.mark.parametrize("name", FIGURES_AND_WIDGETS)
def test_figures_and_widgets_trust_their_callers(name):
    # they raise no ValueError of their own: the entry points that make their inputs validate them
    tree = ast.parse(FILES[name].read_text(encoding="utf-8"))
    raised = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and node.exc is not None
        and "ValueError" in {n.id for n in ast.walk(node.exc) if isinstance(n, ast.Name)}
    ]
    assert len(FIGURES_AND_WIDGETS) == 5 and raised == [], f"{FILES[name].name} raises ValueError at lines {raised}"


def test_the_package_docstring_names_every_module():
    docstring = ast.get_docstring(ast.parse(FILES["seminar_utils"].read_text(encoding="utf-8")))
    expected = {name.rpartition(".")[2] for name in FILES if name != "seminar_utils"}
    assert "gmm" in expected
    missing = sorted(short for short in expected if f"``{short}``" not in docstring)
    assert missing == [], f"seminar_utils/__init__.py's docstring does not name {missing}"

"""Tests import the code's public names and the shared builders, never another test module or a
private name: a test that reaches ``module._name`` pins an implementation detail, and a test
module imported by another is a builder module in disguise (put it in tests/builders.py)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PROJECT = ("remediations", "tui", "tests")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_test_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "tests" and any(p.startswith("test_") or p == "conftest" for p in parts)


def violations(path: Path) -> set[str]:
    """What ``path`` imports that it should not: test modules, and private names of the project
    (``from m import _x``, or ``m._x`` on a module it imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    modules: dict[str, str] = {}  # local name -> project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PROJECT):
                    if _is_test_module(alias.name):
                        found.add(alias.name)
                    local = alias.asname or alias.name.split(".")[0]
                    modules[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith(PROJECT):
                continue
            if _is_test_module(node.module):
                found.add(node.module)
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _private(alias.name) or _is_test_module(full):
                    found.add(full)
                modules[alias.asname or alias.name] = full
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(f"relative import {'.' * node.level}{node.module or ''}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain = [node.attr]
            base = node.value
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.add(".".join([modules[base.id], *reversed(chain)]))
    return found


def _test_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__snapshots__" not in p.parts)


def test_no_test_imports_another_test_module_or_a_private_name() -> None:
    seen = {
        (str(path.relative_to(TESTS)), name) for path in _test_files() for name in violations(path)
    }
    assert seen == set()


def test_the_check_sees_each_kind_of_violation(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import remediations.report as report\n"
        "from remediations import trust\n"
        "from remediations.cli import _hidden\n"
        "from tests.checks.test_scan import account\n"
        "from tests.builders import role\n"
        "from tests import conftest\n"
        "trust._cache.clear()\n"
        "report._wrap('x')\n"
        "report.__name__\n",
        encoding="utf-8",
    )
    assert violations(sample) == {
        "remediations.trust._cache",
        "remediations.report._wrap",
        "remediations.cli._hidden",
        "tests.checks.test_scan",
        "tests.conftest",
    }


def test_every_test_folder_is_a_package() -> None:
    """Without ``__init__.py`` two test modules of the same name in two folders collide."""
    folders = {p.parent for p in _test_files()}
    assert all((folder / "__init__.py").exists() for folder in folders)

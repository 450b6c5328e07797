"""``run_checks`` over a generated account (benchmarks/generate_account.py): the shortcuts that
keep large scans fast (shared trust analyses, shared privilege verdicts, the garbage collector
paused) change nothing in what is found, nor in its order."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from remediations.checks import context
from remediations.checks.context import ScanContext
from remediations.checks.run import run_checks
from remediations.findings import Finding
from remediations.iam.permissions import RolePrivilege, analyze_role_privilege
from remediations.model import Role
from remediations.sources.offline import load_files
from remediations.trust.analysis import analyze_uncached
from remediations.trust.cache import clear_cache

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "generate_account.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_account", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("account")
    _generator().generate(out, 240, 30)
    return out


def _as_json(findings: list[Finding]) -> list[dict[str, object]]:
    return [f.to_json() for f in findings]


def test_findings_come_most_severe_first_then_by_id_and_resource(account: Path) -> None:
    findings = run_checks(load_files([account]))
    assert len({f.severity for f in findings}) > 1
    assert [f.sort_key for f in findings] == sorted(f.sort_key for f in findings)


def test_shared_analyses_find_what_fresh_ones_find(
    account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_cache()
    shared = _as_json(run_checks(load_files([account])))

    def fresh_privilege(self: ScanContext, role: Role) -> RolePrivilege:
        return analyze_role_privilege(role, self.inventory.policies)

    # Every role analysed on its own: no cache, no sharing between roles.
    monkeypatch.setattr(context, "analyze_trust", analyze_uncached)
    monkeypatch.setattr(ScanContext, "privilege", fresh_privilege)
    fresh = _as_json(run_checks(load_files([account])))
    assert shared and shared == fresh

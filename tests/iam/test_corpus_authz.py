"""Real get-account-authorization-details outputs (shared corpus), alone and with real Roles
Anywhere trust policies injected into their roles."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from remediations.checks.run import run_checks
from remediations.cli import main
from remediations.sources.offline import load_files
from tests.shared import CORPUS

pytestmark = pytest.mark.skipif(not (CORPUS / "authz").is_dir(), reason="shared corpus not present")

#: Corpus trust policies and what they must (or must not) give (see corpus/INDEX.md).
UNCONDITIONED = "001"  # no Condition at all
REGION_ONLY = "008"  # a Condition, but on aws:RequestedRegion: no subject, no anchor
WELL_FORMED = "013"  # CN pinned and trust anchor pinned


def authz(name: str) -> Path:
    return CORPUS / "authz" / f"{name}.json"


@pytest.mark.parametrize("name", ["001", "002", "003"])
def test_authz_exports_load(name: str) -> None:
    inventory = load_files([authz(name)])
    assert inventory.roles and "iam" in inventory.coverage
    partial = [w for w in inventory.warnings if "partial" in w.message]
    # 003 is the AWS CLI documentation sample: IsTruncated true with a Marker.
    assert bool(partial) == (name == "003")
    for role in inventory.roles.values():
        assert role.trust_policy is not None, role.arn


def trust_files() -> list[Path]:
    return sorted((CORPUS / "trust").glob("[0-9][0-9][0-9].json"))


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """authz/001 with each corpus trust policy put into one of its roles.

    Every other document goes in URL-encoded, as the raw IAM API returns it.
    Returns the file and role ARN -> trust file number.
    """
    data: dict[str, Any] = json.loads(authz("001").read_text(encoding="utf-8"))
    roles = data["RoleDetailList"]
    files = trust_files()
    assert len(roles) >= len(files)
    which: dict[str, str] = {}
    for index, (role, path) in enumerate(zip(roles, files, strict=False)):
        doc = json.loads(path.read_text(encoding="utf-8"))
        role["AssumeRolePolicyDocument"] = quote(json.dumps(doc)) if index % 2 else doc
        which[role["Arn"]] = path.stem
    out = tmp_path_factory.mktemp("corpus") / "authz-001-with-ra.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out, which


def test_injected_trust_policies_scan_without_crash(injected: tuple[Path, dict[str, str]]) -> None:
    path, which = injected
    inventory = load_files([path])
    for arn in which:
        assert inventory.roles[arn].trust_policy is not None, arn
    findings = run_checks(inventory)
    reported = {f.resource_arn for f in findings}
    assert reported & set(which), "the injected Roles Anywhere roles are reported"


def test_injected_trust_findings(injected: tuple[Path, dict[str, str]]) -> None:
    if importlib.util.find_spec("remediations.checks.trust") is None:
        pytest.skip("trust checks not written yet")
    path, which = injected
    by_role: dict[str, set[str]] = {}
    for finding in run_checks(load_files([path])):
        by_role.setdefault(which.get(finding.resource_arn, ""), set()).add(finding.id)
    assert "RA-TRUST-NO-SUBJECT-CONDITION" in by_role[UNCONDITIONED]
    assert "RA-TRUST-NO-SUBJECT-CONDITION" in by_role[REGION_ONLY]
    assert "RA-TRUST-NO-SUBJECT-CONDITION" not in by_role.get(WELL_FORMED, set())
    assert "RA-TRUST-NO-SOURCEARN" not in by_role.get(WELL_FORMED, set())


def test_injected_export_through_the_cli(
    injected: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, which = injected
    assert main(["scan", "--from-file", str(path), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    doc = json.loads(out)
    assert {f["resource_arn"] for f in doc["findings"]} & set(which)

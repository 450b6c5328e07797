"""Real trust policies (../shared/corpus/trust, described in its INDEX.md) through the analysis
and the RA-TRUST-* checks: no crash on any, and the verdicts the index describes."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from remediations.checks import checks_in
from remediations.checks.context import ScanContext
from remediations.iam.grammar import validate_policy
from remediations.model import Inventory, Role
from remediations.trust import TrustAnalysis, analyze_trust
from tests.shared import CORPUS

TRUST = CORPUS / "trust"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not TRUST.is_dir(), reason="../shared/corpus is absent"),
]

CHECKS = checks_in("trust")


def _files() -> list[Path]:
    return sorted(TRUST.glob("*.json")) if TRUST.is_dir() else []


@cache
def document(number: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((TRUST / f"{number}.json").read_text(encoding="utf-8"))
    return loaded


def analysis(number: str) -> TrustAnalysis:
    return analyze_trust(document(number))


def finding_ids(number: str) -> set[str]:
    arn = f"arn:aws:iam::111122223333:role/corpus-{number}"
    inventory = Inventory(account_id="111122223333")
    inventory.roles[arn] = Role(arn=arn, name=f"corpus-{number}", trust_policy=document(number))
    ctx = ScanContext(inventory)
    ctx.privileged = lambda role: False  # type: ignore[method-assign]
    return {f.id for fn in CHECKS for f in fn(ctx)}


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_every_trust_file_is_analysed_and_checked_without_error(path: Path) -> None:
    number = path.stem
    result = analysis(number)
    assert isinstance(result.usable, bool)
    finding_ids(number)
    assert validate_policy(document(number), "trust") == []


SUBJECT_OR_ANCHOR = {
    "RA-TRUST-NO-SUBJECT-CONDITION",
    "RA-TRUST-NO-SOURCEARN",
    "RA-TRUST-SOURCEARN-WILDCARD",
    "RA-TRUST-SUBJECT-WILDCARD",
}


@pytest.mark.parametrize("number", ["001", "006", "010", "023", "032", "041"])
def test_unconditioned_trusts_are_open(number: str) -> None:
    a = analysis(number)
    assert a.usable and a.open_to_any_subject and a.open_to_any_anchor
    assert {"RA-TRUST-NO-SUBJECT-CONDITION", "RA-TRUST-NO-SOURCEARN"} <= finding_ids(number)


def test_008_requested_region_condition_is_no_pin() -> None:
    a = analysis("008")
    assert a.open_to_any_subject and a.open_to_any_anchor and a.open_to_any_issuer


def test_017_statement_object_with_ou_pin() -> None:
    assert isinstance(document("017")["Statement"], dict)
    a = analysis("017")
    assert a.usable and not a.open_to_any_subject and a.open_to_any_anchor
    assert set(a.pinned_subjects) == {"x509subject/ou"}


def test_034_assume_role_path_without_source_arn() -> None:
    a = analysis("034")
    assert a.anchor_open_actions == {"sts:AssumeRole"}
    assert a.session_name_bound
    assert a.open_to_any_subject  # the session-name binding is not a pin
    assert "RA-TRUST-NO-SOURCEARN" in finding_ids("034")
    # 035 is the same pattern with the AssumeRole statement anchored: the fixed version.
    assert analysis("035").anchor_open_actions == frozenset()
    assert "RA-TRUST-NO-SOURCEARN" not in finding_ids("035")


def test_011_anchor_list_cn_list_and_issuer_wildcard() -> None:
    a = analysis("011")
    assert len(a.pinned_source_arns) == 4 and not a.open_to_any_anchor
    assert a.pinned_subjects["x509subject/cn"] == {"not.real", "junk"}
    assert a.subject_count == 2
    assert a.issuer_wildcards == (("x509issuer/cn", "DOD ID CA-*"),)
    ids = finding_ids("011")
    assert "RA-TRUST-MULTIPLE-SUBJECTS" in ids
    assert not ids & SUBJECT_OR_ANCHOR


@pytest.mark.parametrize("number", ["015", "037", "038"])
def test_best_practice_trusts_get_no_subject_or_anchor_findings(number: str) -> None:
    a = analysis(number)
    assert a.usable
    assert not (a.open_to_any_subject or a.open_to_any_anchor or a.open_to_any_issuer)
    assert not finding_ids(number) & SUBJECT_OR_ANCHOR


def test_040_issuer_only_pin() -> None:
    a = analysis("040")
    assert a.open_to_any_subject and not a.open_to_any_issuer
    assert a.pinned_source_arns == {
        "arn:aws-cn:rolesanywhere:cn-north-1:123456789012:trust-anchor/TA_ID"
    }
    assert "RA-TRUST-ISSUER-NOT-PINNED" not in finding_ids("040")


def test_014_and_042_stringlike_spiffe_without_wildcard_is_a_pin() -> None:
    for number in ("014", "042"):
        a = analysis(number)
        assert not a.open_to_any_subject and a.subject_wildcards == ()
        assert set(a.pinned_subjects) == {"x509san/uri"}


def test_031_chained_node_role_does_not_trust_ra() -> None:
    a = analysis("031")
    assert not a.trusts_ra
    assert a.other_principals


def test_033_split_actions_are_all_allowed() -> None:
    a = analysis("033")
    assert a.allowed_actions == {"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}
    assert a.usable and not a.open_to_any_anchor


def test_012_cn_list_is_multiple_subjects() -> None:
    assert analysis("012").subject_count == 2
    assert "RA-TRUST-MULTIPLE-SUBJECTS" in finding_ids("012")

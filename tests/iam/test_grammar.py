"""IAM grammar validation (remediations.iam.grammar), on hand-made documents and the corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediations.errors import PolicyError
from remediations.iam.grammar import check_policy, validate_policy
from remediations.iam.policy import decode_policy_document
from tests.shared import CORPUS

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")

RA = {"Service": "rolesanywhere.amazonaws.com"}
ALL = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def trust(**statement: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Principal": RA, "Action": ALL}
    base.update(statement)
    return {
        "Version": "2012-10-17",
        "Statement": [{k: v for k, v in base.items() if v is not None}],
    }


def identity(**statement: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    base.update(statement)
    return {
        "Version": "2012-10-17",
        "Statement": [{k: v for k, v in base.items() if v is not None}],
    }


def test_valid_documents() -> None:
    assert validate_policy(trust(), "trust") == []
    assert validate_policy(identity(), "identity") == []
    assert validate_policy(identity(), "session") == []
    no_version = trust()
    del no_version["Version"]
    assert validate_policy(no_version, "trust") == []
    as_object = {"Version": "2012-10-17", "Statement": trust()["Statement"][0]}
    assert validate_policy(as_object, "trust") == []


@pytest.mark.parametrize(
    ("document", "kind", "fragment"),
    [
        ([], "trust", "JSON object"),
        ({"Version": "2012-10-17"}, "trust", "Statement is missing"),
        ({"Version": "2012-10-17", "Statement": []}, "trust", "empty"),
        ({"Version": "2012-10-08", "Statement": trust()["Statement"]}, "trust", "Version"),
        ({"Statement": trust()["Statement"], "Extra": 1}, "trust", "unknown top-level"),
        ({"Statement": ["x"]}, "trust", "must be a JSON object"),
        (trust(Effect="allow"), "trust", "Effect"),
        (trust(Effect=None), "trust", "Effect is missing"),
        (trust(NotAction="sts:TagSession"), "trust", "both Action and NotAction"),
        (trust(Action=None), "trust", "neither Action nor NotAction"),
        (trust(Action=[]), "trust", "non-empty list"),
        (trust(Action="AssumeRole"), "trust", "service:action"),
        (trust(Principal=None), "trust", "Principal is missing"),
        (trust(Principal=None, NotPrincipal=RA), "trust", "NotPrincipal is not allowed"),
        (trust(Principal={"Servce": "x"}), "trust", "unknown principal type"),
        (trust(Principal={"Service": 3}), "trust", "string or a list"),
        (trust(Principal="rolesanywhere.amazonaws.com"), "trust", "Principal must be"),
        (trust(Resource="*"), "trust", "Resource is not allowed"),
        (identity(Principal=RA), "identity", "Principal is not allowed in an identity"),
        (identity(Principal="*"), "session", "Principal is not allowed in a session"),
        (identity(Resource=None), "identity", "Resource is missing"),
        (identity(NotResource="*"), "identity", "both Resource and NotResource"),
        (identity(Resource="s3"), "identity", "neither * nor an ARN"),
        (trust(Condition={"StringEqualz": {"k": "v"}}), "trust", "unknown condition operator"),
        (trust(Condition={"StringEquals": "v"}), "trust", "object of condition keys"),
        (trust(Condition={"StringEquals": {"k": {"a": 1}}}), "trust", "strings, numbers"),
        (trust(Condition=["x"]), "trust", "Condition must be"),
        (trust(Sid="With Space"), "trust", "letters and digits"),
        (trust(Sid=3), "trust", "Sid must be a string"),
        (trust(Extra=1), "trust", "unknown element"),
    ],
)
def test_problems(document: Any, kind: str, fragment: str) -> None:
    problems = validate_policy(document, kind)
    assert any(fragment in p for p in problems), problems


def test_condition_values_of_every_scalar_kind_are_accepted() -> None:
    cond = {
        "Bool": {"aws:SecureTransport": True},
        "NumericLessThan": {"k": 5},
        "StringEquals": {"k": ["a", "b"]},
        "ForAnyValue:StringLikeIfExists": {"k": "a*"},
    }
    assert validate_policy(trust(Condition=cond), "trust") == []


def test_duplicate_sids_and_empty_sids() -> None:
    doc = {"Statement": [trust(Sid="A")["Statement"][0], trust(Sid="A")["Statement"][0]]}
    assert validate_policy(doc, "trust") == ["statement 2: duplicate Sid 'A'"]
    empty = {"Statement": [trust(Sid="")["Statement"][0], trust(Sid="")["Statement"][0]]}
    assert validate_policy(empty, "trust") == []


def test_check_policy_raises_the_first_problem() -> None:
    check_policy(trust(), "trust")
    with pytest.raises(PolicyError, match=r"invalid trust policy: statement 1: .*\(and 1 more\)"):
        check_policy(trust(Effect="x", Resource="*"), "trust")


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown policy kind"):
        validate_policy(trust(), "bucket")


# --- corpus ------------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", sorted((CORPUS / "trust").glob("*.json")), ids=lambda p: p.stem)
def test_corpus_trust_policies_are_valid(path: Path) -> None:
    assert validate_policy(json.loads(path.read_text(encoding="utf-8")), "trust") == []


def _grammar(number: str) -> Any:
    return json.loads((CORPUS / "grammar" / f"{number}.json").read_text(encoding="utf-8"))


@needs_corpus
@pytest.mark.parametrize(
    ("number", "kind", "expected"),
    [
        ("001", "trust", ["NotPrincipal is not allowed in a trust policy"]),
        ("003", "identity", []),
        ("004", "identity", []),
        ("005", "identity", []),
        ("006", "identity", []),
        ("007", "identity", []),
        ("008", "identity", []),
        ("009", "identity", []),
        ("010", "identity", []),
        ("011", "trust", []),
        ("013", "trust", []),
        ("014", "trust", []),
    ],
)
def test_corpus_grammar_documents(number: str, kind: str, expected: list[str]) -> None:
    problems = validate_policy(_grammar(number), kind)
    assert [p.split(": ", 1)[-1] for p in problems][: len(expected)] == expected
    if not expected:
        assert problems == []


#: Parliament finding IDs that are grammar errors IAM itself would refuse.
_GRAMMAR_FINDINGS = {
    "MALFORMED",
    "MALFORMED_JSON",
    "INVALID_SID",
    "DUPLICATE_SID",
    "UNKNOWN_OPERATOR",
}


def _parliament_cases() -> list[dict[str, Any]]:
    path = CORPUS / "grammar" / "015.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


@needs_corpus
@pytest.mark.parametrize("case", _parliament_cases(), ids=lambda c: c["test"])
def test_parliament_cases(case: dict[str, Any]) -> None:
    raw = case["expected_parliament_findings"]
    # Some cases assert a finding count instead of IDs (or nothing: None).
    expected = set(raw) if isinstance(raw, list) else ({"COUNTED"} if raw else set())
    try:
        document = decode_policy_document(case["policy_text"])
    except PolicyError:
        assert "MALFORMED_JSON" in expected
        return
    statements = document.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    has_principal = any(isinstance(s, dict) and "Principal" in s for s in statements)
    # Parliament reads these as identity or resource policies; resource policies with a
    # Principal are not a kind rafix writes, so only "no crash" is asserted for them.
    problems = validate_policy(document, "identity")
    if expected & _GRAMMAR_FINDINGS:
        assert problems
    elif not expected and not has_principal:
        assert problems == []

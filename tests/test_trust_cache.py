"""The shared-analysis cache of ``analyze_trust`` is invisible: every field equals a fresh
analysis of the caller's own document, whatever values it pins."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from remediations import trust
from tests.test_patch_safety import trust_policies

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
COMPARED = [f.name for f in dataclasses.fields(trust.TrustAnalysis) if f.name != "compiled"]


def assert_same_as_fresh(document: dict[str, Any]) -> None:
    cached = trust.analyze_trust(document)
    fresh = trust._analyze(document)
    for name in COMPARED:
        assert getattr(cached, name) == getattr(fresh, name), name
    assert cached.document is document


def _pinned(cn: str, ou: str, anchor: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": anchor},
                    "StringEquals": {
                        "aws:PrincipalTag/x509Subject/CN": cn,
                        "aws:PrincipalTag/x509Subject/OU": ou,
                    },
                },
            }
        ],
    }


def test_documents_of_one_shape_get_their_own_values() -> None:
    anchor = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a"
    first = trust.analyze_trust(_pinned("app-a.prod", "payments", anchor))
    second = trust.analyze_trust(_pinned("app-b.prod", "payments", anchor))
    assert first.pinned_subjects["x509subject/cn"] == {"app-a.prod"}
    assert second.pinned_subjects["x509subject/cn"] == {"app-b.prod"}
    assert {v for u in second.conditions for v in u.values} >= {"app-b.prod", "payments"}


def test_equal_literals_under_two_keys_stay_equal() -> None:
    # The same literal under CN and OU must keep meaning "the same value" after renaming.
    assert_same_as_fresh(
        _pinned("same", "same", "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/a")
    )


def test_admits_uses_the_callers_values() -> None:
    anchor = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a"
    trust.analyze_trust(_pinned("app-a.prod", "team", anchor))
    analysis = trust.analyze_trust(_pinned("app-b.prod", "team", anchor))
    cert = trust.CertificateContext(source_arn=anchor, subject={"CN": "app-b.prod", "OU": "team"})
    other = trust.CertificateContext(source_arn=anchor, subject={"CN": "app-a.prod", "OU": "team"})
    assert analysis.admits(cert)
    assert not analysis.admits(other)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_trust_policies() -> None:
    for path in sorted((CORPUS / "trust").glob("*.json")):
        assert_same_as_fresh(json.loads(path.read_text(encoding="utf-8")))


@settings(max_examples=200, deadline=None)
@given(doc=trust_policies())
def test_generated_trust_policies(doc: dict[str, Any]) -> None:
    assert_same_as_fresh(doc)

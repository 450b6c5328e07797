"""The shortcuts that keep large accounts fast answer exactly what the straightforward analyses
answer: per piece (properties over generated policies), and for whole scans of generated
accounts of many shapes (the JSON report byte for byte)."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.checks import context
from remediations.checks.context import ScanContext
from remediations.checks.run import run_checks
from remediations.iam.doc_facts import shared_role_privilege
from remediations.iam.evaluator import Decision, compile_policy
from remediations.iam.permissions import RolePrivilege, analyze_role_privilege
from remediations.iam.session_policies import SessionPolicyAnalysis, analyze_session_policies
from remediations.iam.statements import Element
from remediations.iam.wildcard import compile_wildcard
from remediations.model import REQUIRED_ACTIONS, Role
from remediations.report import render_json
from remediations.shortcuts import plain_paths
from remediations.sources.offline import load_files
from remediations.trust import RA_PRINCIPAL, CertificateContext, certificate_request_context
from remediations.trust.analysis import analyze_uncached
from remediations.trust.cache import clear_cache
from remediations.trust.facts import admits_all_actions
from remediations.trust.witness import MAX_WITNESSES, witnesses
from tests.builders import role_with_documents
from tests.strategies import identity_documents, identity_statements, trust_policies

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "generate_account.py"
ACCOUNT = "111122223333"

# --- policies of many shapes ----------------------------------------------------------------

_ACTIONS = [
    "s3:GetObject",
    "s3:*",
    "iam:PassRole",
    "iam:*",
    "IAM:Create*",
    "*",
    "*:Get*",
    "sts:AssumeRole",
    "rolesanywhere:*",
    "iam:AttachRolePolicy",
    "organizations:*",
    "kms:ScheduleKeyDeletion",
    "dynamodb:DeleteTable",
    "i?m:*",
]
_RESOURCES = [
    "*",
    f"arn:aws:s3:::bucket-{ACCOUNT}/*",
    f"arn:aws:iam::{ACCOUNT}:role/*",
    f"arn:aws:iam::{ACCOUNT}:role/app-*",
    f"arn:aws:iam::{ACCOUNT}:user/*",
    f"arn:aws:iam::{ACCOUNT}:role/rafix-probe",
    "arn:aws:*:*:*:*",
    f"arn:aws:rafixprobe:rafix-probe-region:{ACCOUNT}:rafix-probe/rafix-probe",
    "arn:aws:iam::*:policy/*",
    "arn:aws:dynamodb:*:*:table/x",
    "arn:*",
]
_CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    {"StringEquals": {"aws:PrincipalTag/team": "x"}},
    {"StringLikeIfExists": {"aws:RequestTag/x": "*"}},
]


def documents() -> st.SearchStrategy[dict[str, Any]]:
    return identity_documents(
        identity_statements(_ACTIONS, _RESOURCES, _CONDITIONS, allows=2, not_resource_one_in=8)
    )


# --- pieces -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    patterns=st.lists(st.sampled_from(_ACTIONS + _RESOURCES), max_size=4),
    negated=st.booleans(),
    ignore_case=st.booleans(),
    values=st.lists(st.sampled_from(_ACTIONS + _RESOURCES + ["iam:passrole", "S3:getobject"])),
)
def test_elements_match_as_their_compiled_patterns_do(
    patterns: list[str], negated: bool, ignore_case: bool, values: list[str]
) -> None:
    element = Element.of(
        {"NotAction" if negated else "Action": patterns}, "Action", ignore_case=ignore_case
    )
    for value in values:
        hit = any(compile_wildcard(p, ignore_case).matches(value) for p in patterns)
        assert element.covers(value) == (not hit if negated else hit)


@settings(max_examples=400, deadline=None)
@given(
    first=st.lists(documents(), min_size=1, max_size=3),
    second=st.lists(documents(), min_size=1, max_size=3),
    boundary=st.booleans(),
)
def test_shared_role_privilege_is_the_fresh_analysis(
    first: list[dict[str, Any]], second: list[dict[str, Any]], boundary: bool
) -> None:
    """Two roles analysed through one shared table each get their own fresh verdict."""
    shapes: dict[Any, RolePrivilege] = {}
    varied = json.loads(json.dumps(first))
    for doc in varied:  # the nearest miss: the same statements, conditions turned around
        for statement in doc["Statement"]:
            if statement.pop("Condition", None) is None:
                statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "x"}}
    for name, docs in (("first", first), ("second", second), ("varied", varied)):
        role, policies = role_with_documents(
            name,
            docs,
            boundary="arn:aws:iam::aws:policy/ReadOnlyAccess" if boundary else None,
            also_attached=["arn:aws:iam::aws:policy/PowerUserAccess"] if boundary else (),
        )
        assert shared_role_privilege(role, policies, {}, shapes, {}) == analyze_role_privilege(
            role, policies
        )


@settings(max_examples=400, deadline=None)
@given(
    first=documents(),
    second=documents(),
    conditions=st.lists(st.sampled_from(_CONDITIONS), min_size=4, max_size=4),
    managed=st.booleans(),
)
def test_shared_session_analyses_are_the_fresh_ones(
    first: dict[str, Any],
    second: dict[str, Any],
    conditions: list[dict[str, Any] | None],
    managed: bool,
) -> None:
    """Profiles analysed through one shared table each get their own fresh analysis: an
    unrelated document, and the first one with other conditions (the nearest miss)."""
    profile = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p"
    arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"] if managed else []
    shapes: dict[Any, SessionPolicyAnalysis] = {}
    varied = json.loads(json.dumps(first))
    for statement, condition in zip(varied["Statement"], conditions, strict=False):
        statement.pop("Condition", None)
        if condition is not None:
            statement["Condition"] = condition
    for doc in (first, second, varied):
        fresh = analyze_session_policies(profile, doc, arns, {})
        assert analyze_session_policies(profile, doc, arns, {}, {}, shapes) == fresh


def _certificates() -> list[CertificateContext]:
    """Certificates over the anchors, subjects and issuers the generated policies name."""
    anchors = [
        "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/ta1",
        "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/ta2",
        "arn:aws:rolesanywhere:us-east-1:444455556666:trust-anchor/other",
    ]
    subjects = [{}, {"CN": "app.prod"}, {"CN": "other"}, {"CN": "app.prod", "OU": "team"}]
    issuers = [{}, {"CN": "Example CA"}]
    return [
        CertificateContext(source_arn=a, subject=dict(s), issuer=dict(i))
        for a, s, i in itertools.product(anchors, subjects, issuers)
    ]


@settings(max_examples=200, deadline=None)
@given(doc=trust_policies())
def test_admits_all_actions_is_three_evaluations(doc: dict[str, Any]) -> None:
    policy = compile_policy(doc)
    for cert in _certificates():
        request = certificate_request_context(cert)
        expected = all(
            policy.evaluate(action=a, principal=RA_PRINCIPAL, context=request) is Decision.ALLOW
            for a in REQUIRED_ACTIONS
        )
        assert admits_all_actions(policy, request) == expected


@settings(max_examples=100, deadline=None)
@given(doc=trust_policies(), patched=trust_policies())
def test_witnesses_stand_for_every_anchor_of_the_account(
    doc: dict[str, Any], patched: dict[str, Any]
) -> None:
    """The witnesses keep one anchor of each class the policies treat alike: every anchor of
    the account, put in any witness, gets verdicts some kept witness already has."""
    anchors = [f"arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/ta{i}" for i in range(5)]
    anchors += ["arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/ta1"]
    before, after = analyze_uncached(doc), analyze_uncached(patched)
    certs = list(witnesses(before, after, {}, anchors))
    if len(certs) >= MAX_WITNESSES:
        return  # sampled, not every combination: nothing to compare with
    kept: dict[str, set[tuple[bool, bool]]] = {}
    for cert in certs:
        rest = repr((cert.subject, cert.issuer, cert.san, cert.role_session_name, cert.extra))
        kept.setdefault(rest, set()).add((before.admits(cert), after.admits(cert)))
    for cert in certs:
        rest = repr((cert.subject, cert.issuer, cert.san, cert.role_session_name, cert.extra))
        for anchor in anchors:
            moved = CertificateContext(
                source_arn=anchor,
                subject=cert.subject,
                issuer=cert.issuer,
                san=cert.san,
                role_session_name=cert.role_session_name,
                extra=cert.extra,
            )
            assert (before.admits(moved), after.admits(moved)) in kept[rest], anchor


# --- whole scans --------------------------------------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_account", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(folder: Path) -> str:
    inventory = load_files([folder])
    return render_json(run_checks(inventory, pause_gc=True), inventory.warnings)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_accounts_report_what_fresh_analyses_report(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accounts with distinct literals everywhere (the benchmark's generator, three shapes of
    account): the JSON report is the same, byte for byte, when every role's trust and
    privilege, every profile's session policy and every principal's administration of Roles
    Anywhere is analysed on its own, with nothing shared."""
    _generator().generate(tmp_path, 150 * seed, seed)
    clear_cache()
    shared = _report(tmp_path)

    def fresh_privilege(self: ScanContext, role: Role) -> RolePrivilege:
        return analyze_role_privilege(role, self.inventory.policies)

    def fresh_session(*args: Any, **kwargs: Any) -> SessionPolicyAnalysis:
        kwargs.pop("shapes", None)
        return analyze_session_policies(*args[:5], **kwargs)

    monkeypatch.setattr(context, "analyze_trust", analyze_uncached)
    monkeypatch.setattr(ScanContext, "privilege", fresh_privilege)
    monkeypatch.setattr("remediations.checks.profile.analyze_session_policies", fresh_session)
    with plain_paths():  # every other shortcut of the checks (admin surface, blast radius)
        fresh = _report(tmp_path)
    assert json.loads(shared)["findings"]
    assert shared == fresh

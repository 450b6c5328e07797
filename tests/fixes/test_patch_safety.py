"""Property: a proposed trust patch never admits a certificate the original refused, and it still
admits the workload it was made for. Policies and certificates are generated (hypothesis); the
certificates checked here are a grid independent of the witnesses the proof itself uses."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.checks.run import run_checks
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.proposals import SPLIT_NARROW_PHASE, assume_role_view, propose
from remediations.proposals.render import check_document
from remediations.trust import CertificateContext, analyze_trust
from tests.shared import CORPUS
from tests.strategies import (
    ACCOUNT,
    ACTIONS,
    CN_KEY,
    CNS,
    ISSUERS,
    PROFILE,
    RA,
    ROGUE,
    ROLE,
    TA1,
    TA2,
    trust_policies,
)


def _grid() -> list[CertificateContext]:
    certs = []
    for anchor, cn, ou, issuer in itertools.product(
        [TA1, TA2, ROGUE], [*CNS, None], ["team", None], [*ISSUERS, None]
    ):
        subject = {k: v for k, v in (("CN", cn), ("OU", ou)) if v is not None}
        certs.append(
            CertificateContext(
                source_arn=anchor,
                subject=subject,
                issuer={"CN": issuer} if issuer else {},
                extra={"aws:requestedregion": "us-east-1"},  # the region of the CreateSession
            )
        )
    return certs


GRID = _grid()


def _inventory(doc: dict[str, Any]) -> Inventory:
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=["us-east-1"])
    inv.coverage = {"iam", "rolesanywhere"}
    inv.roles[ROLE] = Role(arn=ROLE, name="app", trust_policy=doc)
    for arn in (TA1, TA2):
        inv.trust_anchors[arn] = TrustAnchor(
            arn=arn, anchor_id=arn[-4:], name="ta", region="us-east-1"
        )
    inv.profiles[PROFILE] = Profile(
        arn=PROFILE, profile_id="pppp", name="p", region="us-east-1", role_arns=[ROLE]
    )
    return inv


def _check_role_changes(doc: dict[str, Any], values: dict[str, str]) -> int:
    inv = _inventory(doc)
    result = propose(inv, run_checks(inv), values=values)
    checked = 0
    for change in result.changes:
        if change.resource_type != "role":
            continue
        patched = change.after["trustPolicy"]
        check_document(patched, "trust")
        if change.phase == SPLIT_NARROW_PHASE:
            # The last step of a split removes what moved to the dedicated roles: a pure
            # narrowing of the earlier state, which by design need not admit the workload.
            assert change.before is not None
            narrowed, was = analyze_trust(patched), analyze_trust(change.before["trustPolicy"])
            assert all(was.admits(c) for c in GRID if narrowed.admits(c)), (doc, patched)
            checked += 1
            continue
        repair = "RA-TRUST-MISSING-REQUIRED-ACTION" in change.finding_ids
        before = analyze_trust(assume_role_view(doc) if repair else doc)
        after = analyze_trust(patched)
        admitted = [c for c in GRID if after.admits(c)]
        for cert in admitted:
            assert before.admits(cert), (doc, patched, cert)
        # The workload it was made for: some certificate is still admitted, and when the
        # subject was pinned to the --set CN that the original admitted, that CN is admitted.
        assert admitted, (doc, patched)
        cn = values["cn"]
        pinned = "RA-TRUST-NO-SUBJECT-CONDITION" in change.finding_ids
        if pinned and any(before.admits(c) for c in GRID if c.subject.get("CN") == cn):
            assert any(c.subject.get("CN") == cn for c in admitted), (doc, patched)
        checked += 1
    return checked


@settings(
    max_examples=int(__import__("os").environ.get("RAFIX_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(doc=trust_policies(), cn=st.sampled_from(CNS), anchor=st.sampled_from([None, TA1, TA2]))
def test_patches_admit_a_subset_and_keep_the_workload(
    doc: dict[str, Any], cn: str, anchor: str | None
) -> None:
    values = {"cn": cn, "issuer_cn": "Issuing CA"}
    if anchor:
        values["trust_anchor_arn"] = anchor
    _check_role_changes(doc, values)


def test_the_generator_reaches_patches() -> None:
    """Guard against a property that holds only because nothing is ever patched."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": RA}, "Action": ACTIONS}],
    }
    assert _check_role_changes(doc, {"cn": "app.prod", "issuer_cn": "Issuing CA"}) == 1


@pytest.mark.corpus
def test_corpus_trust_policies_plan_without_crashing() -> None:
    folder = CORPUS / "trust"
    if not folder.is_dir():
        pytest.skip("../shared/corpus is not available")
    patched = 0
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        inv = _inventory(doc)
        result = propose(inv, run_checks(inv), values={"cn": "app.prod", "issuer_cn": "Issuing CA"})
        for change in result.changes:
            if change.resource_type == "role":
                check_document(change.after["trustPolicy"], "trust")
                patched += 1
        for item in result.not_fixable:
            assert item.reason, path.name
    assert patched >= 20


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["*", RA, "sts:AssumeRole", CN_KEY, ""]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["Service", "AWS", "StringEquals", "ArnLike", CN_KEY, "aws:SourceArn"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)
odd_statements = st.fixed_dictionaries(
    {},
    optional={
        "Sid": json_values,
        "Effect": st.sampled_from(["Allow", "Deny", "allow", 3]),
        "Principal": json_values,
        "Action": json_values,
        "NotAction": json_values,
        "Condition": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statements=st.lists(odd_statements | json_values, max_size=3),
    version=st.sampled_from(["2012-10-17", None, 7]),
)
def test_odd_shapes_never_crash(statements: list[Any], version: Any) -> None:
    doc: dict[str, Any] = {"Statement": statements}
    if version is not None:
        doc["Version"] = version
    inv = _inventory(doc)
    values = {"cn": "app.prod", "issuer_cn": "Issuing CA", "services": "s3"}
    result = propose(inv, run_checks(inv), values=values)
    for change in result.changes:
        if change.resource_type == "role":
            check_document(change.after["trustPolicy"], "trust")

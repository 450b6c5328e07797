"""Profile checks (remediations.checks.profile), on inventories built from dicts.

The small builders here are shared by the role and PKI check tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from remediations.checks import profile as checks
from remediations.checks.run import run_checks
from remediations.findings import Finding, Severity
from remediations.model import (
    Inventory,
    ManagedPolicy,
    Profile,
    Role,
)
from remediations.settings import Settings
from remediations.state import NEUTRAL_SESSION_POLICY
from tests.builders import (
    ACCOUNT,
    ADMIN,
    CN,
    JSON,
    TA,
    TA2,
    inventory,
    profile,
    role,
    run,
    trust,
)


def only(findings: list[Finding], check_id: str) -> list[Finding]:
    return [f for f in findings if f.id == check_id]


def admin_role(name: str = "admin", trust_policy: JSON | None = None) -> Role:
    return role(name, trust_policy, attached=(ADMIN,))


# --- session scoping ---------------------------------------------------------------------------

UNSCOPED = "RA-PROFILE-UNSCOPED-SESSION"
PERMISSIVE = "RA-PROFILE-PERMISSIVE-SESSION-POLICY"
GUARDRAILS = "RA-PROFILE-NO-GUARDRAIL-DENIES"
ALLOW_ALL_FROM_ANYWHERE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        }
    ],
}


def session_findings(*profiles_: Profile, roles: Sequence[Role] = ()) -> list[Finding]:
    return run(checks.session_scoping, inventory(roles, profiles_))


def test_unscoped_session_is_medium_for_least_privilege_roles() -> None:
    r = role("app")
    (finding,) = session_findings(profile("p", [r]), roles=[r])
    assert (finding.id, finding.severity) == (UNSCOPED, Severity.MEDIUM)
    assert finding.evidence["role_arns"] == [r.arn]
    assert finding.evidence["privileged_role_arns"] == []


def test_unscoped_session_is_high_for_a_privileged_role() -> None:
    r = admin_role()
    (finding,) = session_findings(profile("p", [r]), roles=[r])
    assert finding.severity is Severity.HIGH
    assert finding.evidence["privileged_role_arns"] == [r.arn]
    assert r.arn in finding.detail


def test_disabled_profile_is_not_unscoped() -> None:
    r = admin_role()
    assert session_findings(profile("p", [r], enabled=False), roles=[r]) == []


def test_malformed_session_policy_is_left_to_the_input_check() -> None:
    p = profile("p", [])
    p.session_policy_text, p.session_policy_error = "{not json", "not valid JSON"
    assert session_findings(p) == []


def test_vacuous_session_policy_is_permissive_high_for_admin_role() -> None:
    """profiles/003: a session policy exists but limits nothing, in front of an admin role."""
    r = admin_role()
    findings = session_findings(
        profile("p", [r], session_policy=ALLOW_ALL_FROM_ANYWHERE), roles=[r]
    )
    by_id = {f.id: f for f in findings}
    # Both catalog entries hold: it allows everything (F-PROF-02) and denies nothing (F-PROF-03).
    assert set(by_id) == {PERMISSIVE, "RA-PROFILE-NO-GUARDRAIL-DENIES"}
    finding = by_id[PERMISSIVE]
    assert finding.severity is Severity.HIGH
    assert finding.evidence["grants_everything"] is True


def test_permissive_session_policy_is_low_when_every_role_is_least_privilege() -> None:
    r = role("reader")
    found = session_findings(profile("p", [r], managed=[ADMIN]), roles=[r])
    (finding,) = [f for f in found if f.id == PERMISSIVE]
    assert (finding.id, finding.severity) == (PERMISSIVE, Severity.LOW)
    assert "*:*" in finding.evidence["allowed"]


def test_permissive_stays_high_when_a_role_cannot_be_decided() -> None:
    r = role("custom", attached=[f"arn:aws:iam::{ACCOUNT}:policy/unknown"])
    found = session_findings(profile("p", [r], managed=[ADMIN]), roles=[r])
    (finding,) = [f for f in found if f.id == PERMISSIVE]
    assert finding.severity is Severity.HIGH


def test_deny_only_session_policy_is_neither_permissive_nor_missing_guardrails() -> None:
    """profiles/002: Deny-only session policies leave the session with nothing."""
    deny_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    r = admin_role()
    assert session_findings(profile("p", [r], session_policy=deny_only), roles=[r]) == []


def test_service_wide_session_policy_without_guardrails() -> None:
    broad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}],
    }
    r = role("app")
    (finding,) = session_findings(profile("p", [r], session_policy=broad), roles=[r])
    assert (finding.id, finding.severity) == (GUARDRAILS, Severity.MEDIUM)
    assert "s3:DeleteBucket" in finding.evidence["missing_denies"]
    assert "dynamodb:DeleteTable" in finding.evidence["missing_denies"]
    assert "iam:*" not in finding.evidence["missing_denies"]
    assert finding.evidence["denies_iam"] is False


def test_narrow_session_policy_needs_no_guardrails() -> None:
    narrow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    r = role("app")
    assert session_findings(profile("p", [r], session_policy=narrow), roles=[r]) == []


def test_guardrail_template_passes() -> None:
    from tests.builders import GUARDRAIL_TEMPLATE

    r = admin_role()
    assert session_findings(profile("p", [r], session_policy=GUARDRAIL_TEMPLATE), roles=[r]) == []


def test_unknown_managed_session_policy_is_not_judged() -> None:
    r = role("app")
    custom = f"arn:aws:iam::{ACCOUNT}:policy/session"
    assert session_findings(profile("p", [r], managed=[custom]), roles=[r]) == []
    known = ManagedPolicy(
        custom, "session", {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    )
    findings = run(
        checks.session_scoping,
        inventory([r], [profile("p", [r], managed=[custom])], policies=[known]),
    )
    # Allowing iam:* without a Deny is both permissive and missing the iam:* guardrail.
    assert sorted(f.id for f in findings) == [GUARDRAILS, PERMISSIVE]


# --- duration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "severity"),
    [
        (None, None),
        (900, None),
        (3600, None),
        (7200, Severity.LOW),
        (14400, Severity.LOW),
        (43200, Severity.MEDIUM),
    ],
)
def test_long_duration(duration: int | None, severity: Severity | None) -> None:
    findings = run(checks.long_duration, inventory(profiles=[profile("p", [], duration=duration)]))
    assert [f.severity for f in findings] == ([severity] if severity else [])
    if findings:
        assert findings[0].evidence["duration_seconds"] == duration


def test_long_duration_follows_settings_and_skips_disabled() -> None:
    settings = Settings(max_session_duration=900, long_session_medium_above=3000)
    (finding,) = run(checks.long_duration, inventory(profiles=[profile("p", [])]), settings)
    assert finding.severity is Severity.MEDIUM  # the 3600 default is above both
    disabled = inventory(profiles=[profile("p", [], duration=43200, enabled=False)])
    assert run(checks.long_duration, disabled) == []


def test_duration_exceeds_role_max_only_when_known() -> None:
    short, unknown, long_ = (
        role("short", max_session=3600),
        role("unknown"),
        role("long", max_session=43200),
    )
    p = profile("p", [short, unknown, long_], duration=7200)
    (finding,) = run(checks.duration_exceeds_role_max, inventory([short, unknown, long_], [p]))
    assert finding.evidence["role_arns"] == [short.arn]
    assert finding.evidence["suggested_duration_seconds"] == 3600
    fits = profile("p", [short])  # default 3600
    assert run(checks.duration_exceeds_role_max, inventory([short], [fits])) == []


# --- listed roles ------------------------------------------------------------------------------

RSN = "RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND"


def eks_binding_trust() -> JSON:
    """AWS's EKS hybrid-nodes trust (corpus trust/034): AssumeRole bound to the CN."""
    base = trust(anchors=[TA], actions=["sts:TagSession", "sts:SetSourceIdentity"])
    base["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}
            },
        }
    )
    return base


def test_accept_role_session_name_unbound() -> None:
    r = role("app")
    (finding,) = run(
        checks.accept_role_session_name,
        inventory([r], [profile("p", [r], accept_role_session_name=True)]),
    )
    assert finding.id == RSN
    assert finding.evidence["role_arns"] == [r.arn]


def test_accept_role_session_name_with_eks_binding_is_compliant() -> None:
    r = role("node", eks_binding_trust())
    p = profile("p", [r], accept_role_session_name=True)
    assert run(checks.accept_role_session_name, inventory([r], [p])) == []


def test_accept_role_session_name_false_is_fine() -> None:
    r = role("app")
    assert run(checks.accept_role_session_name, inventory([r], [profile("p", [r])])) == []


MISSING = "RA-PROFILE-ROLE-MISSING"
NOT_TRUSTED = "RA-PROFILE-ROLE-NOT-RA-TRUSTED"


def test_missing_role_needs_iam_coverage() -> None:
    ghost = f"arn:aws:iam::{ACCOUNT}:role/ghost"
    (finding,) = run(checks.listed_roles, inventory(profiles=[profile("p", [ghost])]))
    assert (finding.id, finding.severity) == (MISSING, Severity.MEDIUM)
    assert finding.evidence["role_arns"] == [ghost]
    no_iam = inventory(profiles=[profile("p", [ghost])], coverage=("rolesanywhere", "profiles"))
    assert run(checks.listed_roles, no_iam) == []


def test_cross_account_role_is_not_evaluable() -> None:
    other = "arn:aws:iam::999999999999:role/elsewhere"
    assert run(checks.listed_roles, inventory(profiles=[profile("p", [other])])) == []


def test_missing_role_is_reported_on_disabled_profiles_too() -> None:
    ghost = f"arn:aws:iam::{ACCOUNT}:role/ghost"
    (finding,) = run(
        checks.listed_roles, inventory(profiles=[profile("p", [ghost], enabled=False)])
    )
    assert finding.evidence["profile_enabled"] is False


def test_role_found_by_name_when_the_path_differs() -> None:
    r = role("app")
    listed = f"arn:aws:iam::{ACCOUNT}:role/team/app"
    assert run(checks.listed_roles, inventory([r], [profile("p", [listed])])) == []


@pytest.mark.parametrize(
    "trust_policy",
    [
        trust(principal={"Service": "ec2.amazonaws.com"}),
        trust(actions=["sts:AssumeRole"]),
    ],
)
def test_role_not_ra_trusted(trust_policy: JSON) -> None:
    r = role("app", trust_policy)
    (finding,) = run(checks.listed_roles, inventory([r], [profile("p", [r])]))
    assert (finding.id, finding.severity) == (NOT_TRUSTED, Severity.LOW)
    assert finding.evidence["role_arns"] == [r.arn]


def test_usable_role_is_fine() -> None:
    r = role("app")
    assert run(checks.listed_roles, inventory([r], [profile("p", [r])])) == []


FANOUT = "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING"


def fanout(*roles_: Role) -> list[Finding]:
    return run(checks.role_fanout, inventory(roles_, [profile("p", roles_)]))


def test_roles_pinned_to_distinct_subjects_are_told_apart() -> None:
    assert fanout(role("a", trust(cn="a")), role("b", trust(cn="b"))) == []


def test_unpinned_roles_fan_out() -> None:
    a, b = role("a", trust()), role("b", trust())
    (finding,) = fanout(a, b)
    assert finding.id == FANOUT
    assert finding.evidence["role_arns"] == sorted([a.arn, b.arn])


def test_one_open_role_among_pinned_ones_fans_out() -> None:
    a, b, c = role("a", trust(cn="a")), role("b", trust(cn="b")), role("c", trust())
    (finding,) = fanout(a, b, c)
    assert c.arn in finding.evidence["role_arns"]
    assert [a.arn, b.arn] not in finding.evidence["pairs"]


def test_shared_subject_fans_out() -> None:
    (finding,) = fanout(role("a", trust(cn=["x", "y"])), role("b", trust(cn="y")))
    assert finding.id == FANOUT


def test_roles_pinned_to_different_anchors_are_told_apart() -> None:
    """corpus profiles/013: one profile, two roles, each trusting its own anchor."""
    assert fanout(role("a", trust(anchors=[TA])), role("b", trust(anchors=[TA2]))) == []


def test_single_role_profile_never_fans_out() -> None:
    assert fanout(role("a", trust())) == []


# --- attribute mapping -------------------------------------------------------------------------

MAPPING = "RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE"
CN_KEY = "aws:principaltag/x509subject/cn"


def mapping(field: str, *specifiers: str) -> JSON:
    return {"certificateField": field, "mappingRules": [{"specifier": s} for s in specifiers]}


def mapping_findings(trust_policy: JSON, mappings: list[JSON] | None) -> list[Finding]:
    r = role("app", trust_policy)
    return run(
        checks.mapping_drops_attribute, inventory([r], [profile("p", [r], mappings=mappings)])
    )


def test_dropped_positive_condition_breaks_the_path() -> None:
    (finding,) = mapping_findings(trust(cn="app"), [mapping("x509Subject", "OU")])
    assert (finding.id, finding.severity) == (MAPPING, Severity.LOW)
    assert finding.evidence["missing_keys"] == [CN_KEY]
    assert finding.evidence["bypassed_keys"] == []


def test_dropped_fail_open_condition_is_a_bypass() -> None:
    fail_open = trust(conditions={"StringNotEquals": {CN: "revoked-workload"}})
    (finding,) = mapping_findings(fail_open, [mapping("x509Subject", "OU")])
    assert finding.severity is Severity.HIGH
    assert finding.evidence["bypassed_keys"] == [CN_KEY]


@pytest.mark.parametrize(
    "mappings",
    [
        None,  # absent attributeMappings = the default mapping
        [mapping("x509Subject", "*")],
        [mapping("x509Subject", "CN", "OU")],
        [mapping("x509Subject", "cn")],
    ],
)
def test_mapped_subject_is_fine(mappings: list[JSON] | None) -> None:
    assert mapping_findings(trust(cn="app"), mappings) == []


@pytest.mark.parametrize("specifier", ["Name", "Name/", "Name/*", "Name/CN", "*"])
def test_san_name_specifiers_are_equivalent(specifier: str) -> None:
    san_name = trust(conditions={"StringEquals": {"aws:PrincipalTag/x509SAN/Name/CN": "app"}})
    assert mapping_findings(san_name, [mapping("x509SAN", specifier)]) == []


def test_star_does_not_map_san_uri() -> None:
    spiffe = trust(
        conditions={"StringEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://example/app"}}
    )
    (finding,) = mapping_findings(spiffe, [mapping("x509SAN", "*")])
    assert finding.evidence["missing_keys"] == ["aws:principaltag/x509san/uri"]
    assert mapping_findings(spiffe, [mapping("x509SAN", "URI")]) == []


def test_mapping_of_disabled_profile_is_ignored() -> None:
    r = role("app", trust(cn="app"))
    p = profile("p", [r], mappings=[mapping("x509Subject", "OU")], enabled=False)
    assert run(checks.mapping_drops_attribute, inventory([r], [p])) == []


def test_key_is_mapped_ignores_non_certificate_keys() -> None:
    mapped = checks.mapped_specifiers(None)
    assert checks.key_is_mapped("aws:sourcearn", mapped) is None
    assert checks.key_is_mapped("aws:principaltag/team", mapped) is None
    assert checks.key_is_mapped("aws:principaltag/x509issuer/cn", mapped) is True


def test_neutral_session_policy_of_a_rollback_reads_as_no_session_policy() -> None:
    before = _profile_inventory_for_neutral(None)
    after = _profile_inventory_for_neutral(NEUTRAL_SESSION_POLICY)
    ids_before = sorted(f.id for f in run_checks(before) if f.resource_type.endswith("Profile"))
    ids_after = sorted(f.id for f in run_checks(after) if f.resource_type.endswith("Profile"))
    assert "RA-PROFILE-UNSCOPED-SESSION" in ids_before
    assert ids_after == ids_before


def _profile_inventory_for_neutral(session_policy: dict[str, Any] | None) -> Inventory:
    arn = "arn:aws:rolesanywhere:us-east-1:111122223333:profile/p1"
    profile = Profile(
        arn=arn,
        profile_id="p1",
        name="p1",
        region="us-east-1",
        session_policy=session_policy,
        session_policy_text=None if session_policy is None else json.dumps(session_policy),
    )
    return Inventory(profiles={arn: profile}, regions=["us-east-1"])

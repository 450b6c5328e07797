"""Proposals: minimal, merged, proved-safe target states; what needs input; what is refused."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from remediations.catalog import spec
from remediations.checks.run import run_checks
from remediations.errors import InputError
from remediations.findings import Finding
from remediations.model import Crl, Inventory, Profile, Role, Subject, TrustAnchor
from remediations.proposals import ProposalSet, parse_values, propose
from remediations.proposals.render import check_document
from remediations.trust import CertificateContext, analyze_trust
from tests.pki import make_ca

ACCOUNT = "111122223333"
REGION = "us-east-1"
TA1 = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/11111111-aaaa"
TA2 = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/22222222-bbbb"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-prod"
PROFILE = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/pppp"
RA = {"Service": "rolesanywhere.amazonaws.com"}
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
OTHER = {
    "Sid": "BreakGlass",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
    "Action": "sts:AssumeRole",
}


def ra_statement(**condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": RA, "Action": list(ACTIONS)}
    if condition:
        statement["Condition"] = condition
    return statement


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def inventory(doc: dict[str, Any], *, anchors: tuple[str, ...] = (TA1,)) -> Inventory:
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=[REGION])
    inv.coverage = {"iam", "rolesanywhere", "max_session_duration"}
    inv.roles[ROLE] = Role(arn=ROLE, name="app-prod", trust_policy=doc, max_session_duration=3600)
    for arn in anchors:
        inv.trust_anchors[arn] = TrustAnchor(arn=arn, anchor_id=arn[-4:], name="ta", region=REGION)
    inv.profiles[PROFILE] = Profile(
        arn=PROFILE, profile_id="pppp", name="team-prod", region=REGION, role_arns=[ROLE]
    )
    return inv


def finding(check_id: str, arn: str = ROLE, **evidence: Any) -> Finding:
    region = "global" if arn.startswith("arn:aws:iam") else REGION
    return spec(check_id).finding(arn, "test", region=region, evidence=evidence)


def only_change(result: ProposalSet) -> dict[str, Any]:
    assert len(result.changes) == 1, (result.not_fixable, result.needs_input)
    return result.changes[0].after


def cert(
    source_arn: str = TA1, cn: str | None = "app.prod", issuer: str | None = "Issuing CA"
) -> CertificateContext:
    return CertificateContext(
        source_arn=source_arn,
        subject={"CN": cn} if cn else {},
        issuer={"CN": issuer} if issuer else {},
    )


# --- trust policies ---------------------------------------------------------------------------


def test_findings_on_one_role_merge_and_unrelated_statements_stay() -> None:
    doc = trust(OTHER, ra_statement())
    inv = inventory(doc)
    findings = [finding("RA-TRUST-NO-SOURCEARN"), finding("RA-TRUST-NO-SUBJECT-CONDITION")]
    result = propose(inv, findings, values={"cn": "app.prod"})
    after = only_change(result)["trustPolicy"]
    change = result.changes[0]
    assert change.finding_ids == ["RA-TRUST-NO-SOURCEARN", "RA-TRUST-NO-SUBJECT-CONDITION"]
    assert after["Statement"][0] == OTHER  # unchanged, still first
    assert after["Statement"][1]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": [TA1]},
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "app.prod"},
    }
    assert doc["Statement"][1] == ra_statement()  # the inventory is not modified
    analysis = analyze_trust(after)
    assert analysis.admits(cert())
    assert not analysis.admits(cert(cn="other"))
    assert not analysis.admits(cert(source_arn=TA2))
    check_document(after, "trust")


def test_statement_object_form_is_kept() -> None:
    doc = {"Version": "2012-10-17", "Statement": ra_statement()}
    result = propose(inventory(doc), [finding("RA-TRUST-NO-SOURCEARN")])
    after = only_change(result)["trustPolicy"]
    assert isinstance(after["Statement"], dict)
    assert after["Statement"]["Condition"] == {"ArnEquals": {"aws:SourceArn": [TA1]}}


def test_subject_needs_input_with_candidates_then_scoped_set() -> None:
    inv = inventory(trust(ra_statement(ArnEquals={"aws:SourceArn": TA1})))
    inv.subjects["s1"] = Subject(
        arn="s1", subject_id="s1", region=REGION, x509_subject="CN=app.prod,OU=team"
    )
    inv.subjects["s2"] = Subject(
        arn="s2", subject_id="s2", region=REGION, x509_subject="CN=batch.prod"
    )
    findings = [finding("RA-TRUST-NO-SUBJECT-CONDITION")]
    result = propose(inv, findings)
    assert not result.changes
    (need,) = result.needs_input
    assert need.key == "cn" and need.candidates == ("app.prod", "batch.prod")
    assert need.set_option == "--set app-prod.cn=VALUE"
    scoped = propose(inv, findings, values=parse_values(["app-prod.cn=app.prod", "ou=team"]))
    pins = only_change(scoped)["trustPolicy"]["Statement"][0]["Condition"]["StringEquals"]
    assert pins == {
        "aws:PrincipalTag/x509Subject/CN": "app.prod",
        "aws:PrincipalTag/x509Subject/OU": "team",
    }
    other_scope = propose(inv, findings, values=parse_values(["other-role.cn=x"]))
    assert other_scope.needs_input and not other_scope.changes


def test_ambiguous_trust_anchor_needs_input() -> None:
    inv = inventory(trust(ra_statement()), anchors=(TA1, TA2))
    result = propose(inv, [finding("RA-TRUST-NO-SOURCEARN")])
    (need,) = result.needs_input
    assert need.key == "trust_anchor_arn" and set(need.candidates) == {TA1, TA2}
    answered = propose(inv, [finding("RA-TRUST-NO-SOURCEARN")], values={"trust_anchor_arn": TA2})
    condition = only_change(answered)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition == {"ArnEquals": {"aws:SourceArn": [TA2]}}


def test_source_arn_wildcard_is_replaced() -> None:
    pattern = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/*"
    inv = inventory(trust(ra_statement(ArnLike={"aws:SourceArn": pattern})))
    result = propose(inv, [finding("RA-TRUST-SOURCEARN-WILDCARD")])
    condition = only_change(result)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition == {"ArnEquals": {"aws:SourceArn": [TA1]}}


def test_stale_arn_is_removed_but_a_stale_only_pin_is_refused() -> None:
    stale = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/deleted"
    inv = inventory(trust(ra_statement(ArnEquals={"aws:SourceArn": [TA1, stale]})))
    result = propose(inv, [finding("RA-TRUST-SOURCEARN-STALE")])
    condition = only_change(result)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition == {"ArnEquals": {"aws:SourceArn": [TA1]}}
    only_stale = inventory(trust(ra_statement(ArnEquals={"aws:SourceArn": stale})))
    refused = propose(only_stale, [finding("RA-TRUST-SOURCEARN-STALE")])
    assert not refused.changes
    reason = refused.not_fixable[0].reason
    assert "deleted" in reason and "--repair-broken" in reason and TA1 in reason
    # Asked for, the repair pins the live anchor and says who gains access.
    repaired = propose(only_stale, [finding("RA-TRUST-SOURCEARN-STALE")], repair_broken=True)
    condition = only_change(repaired)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition == {"ArnEquals": {"aws:SourceArn": [TA1]}}
    assert f"gives access to certificates of trust anchor(s) {TA1}" in repaired.changes[0].summary


def test_subject_wildcard_is_narrowed_and_a_value_outside_it_is_refused() -> None:
    doc = trust(
        ra_statement(
            ArnEquals={"aws:SourceArn": TA1},
            StringLike={"aws:PrincipalTag/x509Subject/CN": "app-*"},
        )
    )
    inv = inventory(doc)
    inv.subjects["s"] = Subject(arn="s", subject_id="s", region=REGION, x509_subject="CN=app-web")
    ask = propose(inv, [finding("RA-TRUST-SUBJECT-WILDCARD")])
    assert ask.needs_input[0].candidates == ("app-web",)
    ok = propose(inv, [finding("RA-TRUST-SUBJECT-WILDCARD")], values={"cn": "app-web"})
    condition = only_change(ok)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition == {
        "ArnEquals": {"aws:SourceArn": TA1},
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "app-web"},
    }
    wider = propose(inv, [finding("RA-TRUST-SUBJECT-WILDCARD")], values={"cn": "db-prod"})
    assert not wider.changes
    assert (
        "refuses" in wider.not_fixable[0].reason or "would not admit" in wider.not_fixable[0].reason
    )


def test_fail_open_negation_moves_to_a_deny() -> None:
    doc = trust(
        ra_statement(
            ArnEquals={"aws:SourceArn": TA1},
            StringNotEquals={"aws:PrincipalTag/x509Subject/CN": "revoked.prod"},
        )
    )
    result = propose(inventory(doc), [finding("RA-TRUST-FAIL-OPEN-OPERATOR")])
    after = only_change(result)["trustPolicy"]
    allow, deny = after["Statement"]
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": TA1},
        "Null": {"aws:PrincipalTag/x509Subject/CN": "false"},
    }
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": ["revoked.prod"]}
    }
    analysis = analyze_trust(after)
    assert analysis.admits(cert(cn="good.prod"))
    assert not analysis.admits(cert(cn="revoked.prod"))
    assert not analysis.admits(cert(cn=None))  # absent key: closed now
    assert analyze_trust(doc).admits(cert(cn=None))  # ... and open before


def test_fail_open_if_exists_becomes_positive() -> None:
    doc = trust(
        ra_statement(
            ArnEquals={"aws:SourceArn": TA1},
            StringEqualsIfExists={"aws:PrincipalTag/x509Subject/CN": "app.prod"},
        )
    )
    result = propose(inventory(doc), [finding("RA-TRUST-FAIL-OPEN-OPERATOR")])
    condition = only_change(result)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition == {
        "ArnEquals": {"aws:SourceArn": TA1},
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": ["app.prod"]},
    }


def test_meaningless_ip_condition_is_removed_but_a_breaking_one_is_refused() -> None:
    pinned = {"ArnEquals": {"aws:SourceArn": TA1}}
    negated = trust(ra_statement(**pinned, NotIpAddress={"aws:SourceIp": "10.0.0.0/8"}))
    result = propose(inventory(negated), [finding("RA-TRUST-SOURCEIP-CONDITION")])
    assert only_change(result)["trustPolicy"]["Statement"][0]["Condition"] == pinned
    positive = trust(ra_statement(**pinned, IpAddress={"aws:SourceIp": "10.0.0.0/8"}))
    refused = propose(inventory(positive), [finding("RA-TRUST-SOURCEIP-CONDITION")])
    assert not refused.changes
    assert "no certificate can use this role today" in refused.not_fixable[0].reason
    assert "--repair-broken" in refused.not_fixable[0].reason
    repaired = propose(
        inventory(positive), [finding("RA-TRUST-SOURCEIP-CONDITION")], repair_broken=True
    )
    assert only_change(repaired)["trustPolicy"]["Statement"][0]["Condition"] == pinned
    assert "repairs a broken role" in repaired.changes[0].summary


def test_missing_actions_are_added_under_the_same_conditions() -> None:
    condition = {"ArnEquals": {"aws:SourceArn": TA1}}
    statement = {
        "Effect": "Allow",
        "Principal": RA,
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    broken = [finding("RA-TRUST-MISSING-REQUIRED-ACTION")]
    # The repair opens a role nobody can use today: only when asked for.
    refused = propose(inventory(trust(statement)), broken)
    assert not refused.changes and "--repair-broken" in refused.not_fixable[0].reason
    result = propose(inventory(trust(statement)), broken, repair_broken=True)
    after = only_change(result)["trustPolicy"]["Statement"][0]
    assert after["Action"] == ACTIONS and after["Condition"] == condition
    assert f"trust anchor(s) {TA1} with ANY subject" in result.changes[0].summary


def test_legacy_version_is_set() -> None:
    statement = ra_statement(
        ArnEquals={"aws:SourceArn": TA1},
        StringNotEquals={"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"},
    )
    doc = {"Version": "2008-10-17", "Statement": [statement]}
    result = propose(inventory(doc), [finding("RA-TRUST-LEGACY-VERSION-WITH-VARIABLES")])
    after = only_change(result)["trustPolicy"]
    assert after["Version"] == "2012-10-17" and next(iter(after)) == "Version"
    assert after["Statement"] == [statement]


def test_issuer_cn_comes_from_the_trust_anchor_certificate() -> None:
    inv = inventory(trust(ra_statement(ArnEquals={"aws:SourceArn": TA1})))
    inv.trust_anchors[TA1].certificate_pem = make_ca("Example Issuing CA 01").pem
    result = propose(inv, [finding("RA-TRUST-ISSUER-NOT-PINNED")])
    condition = only_change(result)["trustPolicy"]["Statement"][0]["Condition"]
    assert condition["StringEquals"] == {"aws:PrincipalTag/x509Issuer/CN": "Example Issuing CA 01"}
    without_pem = propose(
        inventory(inv.roles[ROLE].trust_policy or {}), [finding("RA-TRUST-ISSUER-NOT-PINNED")]
    )
    assert without_pem.needs_input[0].key == "issuer_cn"


def test_mixed_principal_statement_is_split_so_others_are_not_broken() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": ["rolesanywhere.amazonaws.com", "ec2.amazonaws.com"]},
        "Action": list(ACTIONS),
    }
    result = propose(inventory(trust(statement)), [finding("RA-TRUST-NO-SOURCEARN")])
    first, second = only_change(result)["trustPolicy"]["Statement"]
    assert first["Principal"] == {"Service": "ec2.amazonaws.com"} and "Condition" not in first
    assert second["Principal"] == RA
    assert second["Condition"] == {"ArnEquals": {"aws:SourceArn": [TA1]}}


@pytest.mark.parametrize("cn", ['app"prod', "app\nprod", "{{ x }}", "a" * 2000])
def test_hostile_cn_is_refused_with_a_reason(cn: str) -> None:
    inv = inventory(trust(ra_statement(ArnEquals={"aws:SourceArn": TA1})))
    result = propose(inv, [finding("RA-TRUST-NO-SUBJECT-CONDITION")], values={"cn": cn})
    assert not result.changes
    (refusal,) = result.not_fixable
    assert "charset" in refusal.reason or "256" in refusal.reason


def test_unicode_cn_is_pinned_literally() -> None:
    inv = inventory(trust(ra_statement(ArnEquals={"aws:SourceArn": TA1})))
    result = propose(inv, [finding("RA-TRUST-NO-SUBJECT-CONDITION")], values={"cn": "dépôt.prod"})
    # Pinned literally, and then withdrawn: the scan would report the pinned CN as outside the
    # STS session-tag charset (RA-TRUST-SUBJECT-NAMING), and a plain apply adds no finding.
    assert not result.changes
    (reason,) = [n.reason for n in result.not_fixable]
    assert "pins the subject CN 'dépôt.prod'" in reason and "RA-TRUST-SUBJECT-NAMING" in reason


def test_patch_over_the_size_limit_is_refused() -> None:
    statements = [ra_statement(ArnEquals={"aws:SourceArn": TA1}) for _ in range(6)]
    for i, statement in enumerate(statements):
        statement["Sid"] = f"S{i}"
    inv = inventory(trust(*statements))
    values = {"cn": "c" * 200, "ou": "o" * 200}
    result = propose(inv, [finding("RA-TRUST-NO-SUBJECT-CONDITION")], values=values)
    assert not result.changes
    assert "IAM allows 2,048 by default" in result.not_fixable[0].reason


# --- profiles, trust anchors, CRLs ------------------------------------------------------------


def test_guardrail_session_policy_for_an_unscoped_profile() -> None:
    inv = inventory(trust(ra_statement()))
    result = propose(
        inv, [finding("RA-PROFILE-UNSCOPED-SESSION", PROFILE)], values={"services": "s3,sqs"}
    )
    policy = only_change(result)["sessionPolicy"]
    assert policy["Statement"][0] == {
        "Sid": "AllowWorkloadServices",
        "Effect": "Allow",
        "Action": ["s3:*", "sqs:*"],
        "Resource": "*",
    }
    everything = propose(
        inv, [finding("RA-PROFILE-UNSCOPED-SESSION", PROFILE)], values={"services": "*"}
    )
    assert only_change(everything)["sessionPolicy"]["Statement"][0]["Action"] == ["*"]


def test_session_policy_services_come_from_the_roles_or_are_asked() -> None:
    inv = inventory(trust(ra_statement()))
    unknown = propose(inv, [finding("RA-PROFILE-UNSCOPED-SESSION", PROFILE)])
    assert not unknown.changes and unknown.needs_input[0].key == "services"
    inv.roles[ROLE].inline_policies = [
        (
            "data",
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "SQS:SendMessage"],
                        "Resource": "*",
                    }
                ]
            },
        )
    ]
    derived = propose(inv, [finding("RA-PROFILE-UNSCOPED-SESSION", PROFILE)])
    assert only_change(derived)["sessionPolicy"]["Statement"][0]["Action"] == ["s3:*", "sqs:*"]


def test_permissive_profile_drops_administrator_access() -> None:
    inv = inventory(trust(ra_statement()))
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    inv.profiles[PROFILE].managed_policy_arns = [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        readonly,
    ]
    result = propose(inv, [finding("RA-PROFILE-PERMISSIVE-SESSION-POLICY", PROFILE)])
    after = only_change(result)
    assert after["managedPolicyArns"] == [readonly]
    # ReadOnlyAccess still provides the Allow: an inline Allow * would widen the session.
    assert all(s["Effect"] == "Deny" for s in after["sessionPolicy"]["Statement"])


def test_guardrail_denies_are_added_to_an_existing_policy() -> None:
    inv = inventory(trust(ra_statement()))
    existing = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    inv.profiles[PROFILE].session_policy = copy.deepcopy(existing)
    result = propose(inv, [finding("RA-PROFILE-NO-GUARDRAIL-DENIES", PROFILE)])
    statements = only_change(result)["sessionPolicy"]["Statement"]
    assert statements[0] == existing["Statement"][0]
    assert [s["Sid"] for s in statements[1:]] == [
        "DenyIdentityAndControlPlane",
        "DenyDestructiveData",
    ]


def test_profile_settings_merge_into_one_change() -> None:
    inv = inventory(trust(ra_statement()))
    gone = f"arn:aws:iam::{ACCOUNT}:role/gone"
    profile = inv.profiles[PROFILE]
    profile.role_arns = [ROLE, gone]
    profile.duration_seconds = 43200
    profile.accept_role_session_name = True
    inv.roles[ROLE].max_session_duration = 1800
    findings = [
        finding("RA-PROFILE-LONG-DURATION", PROFILE),
        finding("RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX", PROFILE),
        finding("RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND", PROFILE),
        finding("RA-PROFILE-ROLE-MISSING", PROFILE, role_arns=[gone]),
    ]
    result = propose(inv, findings)
    after = only_change(result)
    assert after["durationSeconds"] == 1800
    assert after["acceptRoleSessionName"] is False
    assert after["roleArns"] == [ROLE]
    assert len(result.changes[0].finding_ids) == 4


def test_mapping_maps_the_dropped_attribute_again() -> None:
    inv = inventory(trust(ra_statement()))
    inv.profiles[PROFILE].attribute_mappings = [
        {"certificateField": "x509Subject", "mappingRules": [{"specifier": "OU"}]}
    ]
    result = propose(
        inv,
        [
            finding(
                "RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE",
                PROFILE,
                missing_keys=["aws:principaltag/x509subject/cn"],
            )
        ],
    )
    mappings = only_change(result)["attributeMappings"]
    assert mappings == [
        {
            "certificateField": "x509Subject",
            "mappingRules": [{"specifier": "OU"}, {"specifier": "CN"}],
        }
    ]


def test_notifications_and_crl() -> None:
    inv = inventory(trust(ra_statement()))
    inv.trust_anchors[TA1].notification_settings = [
        {"enabled": False, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 45, "channel": "ALL"},
        {
            "enabled": True,
            "event": "END_ENTITY_CERTIFICATE_EXPIRY",
            "threshold": 60,
            "channel": "ALL",
        },
    ]
    crl = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:crl/cccc"
    inv.crls[crl] = Crl(
        arn=crl, crl_id="cccc", name="c", region=REGION, enabled=False, trust_anchor_arn=TA1
    )
    result = propose(
        inv, [finding("RA-TA-NOTIFICATIONS-DISABLED", TA1), finding("RA-CRL-DISABLED", crl)]
    )
    by_type = {c.resource_type: c.after for c in result.changes}
    assert by_type["crl"] == {"enabled": True}
    assert by_type["trust-anchor"]["notificationSettings"] == [
        {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 45, "channel": "ALL"},
        {
            "enabled": True,
            "event": "END_ENTITY_CERTIFICATE_EXPIRY",
            "threshold": 60,
            "channel": "ALL",
        },
    ]


def test_advisory_and_report_only_findings_are_explained() -> None:
    inv = inventory(trust(ra_statement()))
    result = propose(inv, [finding("RA-ROLE-PRIVILEGED"), finding("RA-TA-EXTERNAL-CA", TA1)])
    reasons = {n.finding_id: n.reason for n in result.not_fixable}
    assert "Two-phase" in reasons["RA-ROLE-PRIVILEGED"]
    assert "does not reduce privilege" in reasons["RA-ROLE-PRIVILEGED"]
    assert reasons["RA-TA-EXTERNAL-CA"].startswith("Not fixed automatically")
    assert not result.changes


def test_a_split_of_subject_patterns_is_refused_with_the_reason() -> None:
    inv = inventory(trust(ra_statement(StringLike={"aws:PrincipalTag/x509Subject/CN": "ci-*"})))
    result = propose(inv, [finding("RA-TRUST-MULTIPLE-SUBJECTS")])
    (item,) = result.not_fixable
    assert "patterns" in item.reason and not result.changes


@pytest.mark.parametrize("item", ["cn", "=x", "colour=red", "cn="])
def test_bad_set_options(item: str) -> None:
    with pytest.raises(InputError):
        parse_values([item])


def _apply(inv: Inventory, result: ProposalSet) -> None:
    """What a successful apply of every phase does to the account, on the inventory."""
    for change in sorted(result.changes, key=lambda c: c.phase):
        after = change.after
        if change.resource_type == "role" and change.before is None:
            spec_ = after["create"]
            inv.roles[change.resource_arn] = Role(
                arn=change.resource_arn,
                name=change.resource_arn.rsplit("/", 1)[-1],
                trust_policy=after["trustPolicy"],
                max_session_duration=spec_["maxSessionDuration"],
                inline_policies=list(spec_["inlinePolicies"].items()),
                attached_policy_arns=spec_["managedPolicyArns"],
                permissions_boundary_arn=spec_["permissionsBoundary"],
                tags=spec_["tags"],
            )
        elif change.resource_type == "role":
            inv.roles[change.resource_arn].trust_policy = after["trustPolicy"]
        elif change.resource_type == "profile":
            profile = inv.profiles[change.resource_arn]
            profile.session_policy = after["sessionPolicy"]
            profile.managed_policy_arns = after["managedPolicyArns"]
            profile.role_arns = after["roleArns"]
            profile.duration_seconds = after["durationSeconds"]
            profile.accept_role_session_name = after["acceptRoleSessionName"]
            profile.attribute_mappings = after["attributeMappings"]


def test_applying_the_proposals_fixes_their_findings_and_adds_none() -> None:
    inv = inventory(trust(OTHER, ra_statement()))
    inv.roles[ROLE].inline_policies = [
        ("data", {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    ]
    profile = inv.profiles[PROFILE]
    profile.duration_seconds = 43200
    profile.accept_role_session_name = True
    before = {(f.id, f.resource_arn) for f in run_checks(inv)}
    result = propose(inv, run_checks(inv), values={"cn": "app.prod", "issuer_cn": "Issuing CA"})
    _apply(inv, result)
    after = {(f.id, f.resource_arn) for f in run_checks(inv)}
    # A split's changes (new roles, profiles that list them) fix the shared role's finding.
    split = {"RA-TRUST-MIXED-PRINCIPALS", "RA-TRUST-MULTIPLE-SUBJECTS"}
    fixed = {
        (fid, ROLE if fid in split else c.resource_arn)
        for c in result.changes
        for fid in c.finding_ids
    }
    assert fixed and fixed <= before
    assert not fixed & after
    # A role split from the shared one has at most the findings the shared role had.
    created = {c.resource_arn for c in result.changes if c.before is None}
    assert created
    assert {(fid, ROLE if arn in created else arn) for fid, arn in after} <= before


def test_a_profile_fix_waiting_for_input_leaves_no_trace() -> None:
    inv = inventory(trust(ra_statement()))
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    inv.profiles[PROFILE].managed_policy_arns = [admin]
    inv.profiles[PROFILE].duration_seconds = 43200
    findings = [
        finding("RA-PROFILE-PERMISSIVE-SESSION-POLICY", PROFILE),
        finding("RA-PROFILE-LONG-DURATION", PROFILE),
    ]
    result = propose(inv, findings)
    after = only_change(result)
    assert after["managedPolicyArns"] == [admin] and after["sessionPolicy"] is None
    assert after["durationSeconds"] == 3600
    assert result.changes[0].finding_ids == ["RA-PROFILE-LONG-DURATION"]
    assert [n.key for n in result.needs_input] == ["services"]


def _crl_pem(next_update: dt.datetime) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Issuing CA")])
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(next_update - dt.timedelta(days=7))
        .next_update(next_update)
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(Encoding.PEM)


def test_a_stale_crl_is_not_enabled() -> None:
    inv = inventory(trust(ra_statement()))
    arn = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:crl/cccc"
    now = dt.datetime.now(dt.UTC)
    inv.crls[arn] = Crl(
        arn=arn, crl_id="cccc", name="c", region=REGION, enabled=False, trust_anchor_arn=TA1
    )
    inv.crls[arn].crl_data = _crl_pem(now - dt.timedelta(days=3))
    stale = propose(inv, [finding("RA-CRL-DISABLED", arn)])
    assert not stale.changes and "UpdateCrl" in stale.not_fixable[0].reason
    inv.crls[arn].crl_data = _crl_pem(now + dt.timedelta(days=3))
    assert only_change(propose(inv, [finding("RA-CRL-DISABLED", arn)])) == {"enabled": True}


# --- two-phase splits --------------------------------------------------------------------------

CN_KEY = "aws:PrincipalTag/x509Subject/CN"


def multi_subject_inventory(*cns: str, **role: Any) -> Inventory:
    doc = trust(ra_statement(StringEquals={CN_KEY: list(cns)}, ArnEquals={"aws:SourceArn": TA1}))
    inv = inventory(doc)
    for key, value in role.items():
        setattr(inv.roles[ROLE], key, value)
    return inv


def by_phase(result: ProposalSet, phase: int) -> dict[str, Any]:
    return {c.resource_arn: c for c in result.changes if c.phase == phase}


def test_a_multi_subject_role_gets_a_dedicated_role_per_subject_then_loses_them() -> None:
    inline = ("data", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    inv = multi_subject_inventory(
        "app-a",
        "app-b",
        inline_policies=[inline],
        attached_policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        permissions_boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/boundary",
        tags={"team": "platform"},
        path="/ci/",
        arn=ROLE,
    )
    result = propose(inv, [finding("RA-TRUST-MULTIPLE-SUBJECTS")])
    one, two = by_phase(result, 2), by_phase(result, 3)
    new_a = f"arn:aws:iam::{ACCOUNT}:role/ci/app-prod-app-a"
    assert set(one) == {new_a, f"arn:aws:iam::{ACCOUNT}:role/ci/app-prod-app-b", PROFILE}
    created = one[new_a]
    assert created.before is None and "--role-arn" in created.why
    spec_ = created.after["create"]
    assert spec_["inlinePolicies"] == {"data": inline[1]}
    assert spec_["managedPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert spec_["permissionsBoundary"].endswith(":policy/boundary")
    assert spec_["path"] == "/ci/" and spec_["tags"] == {"team": "platform"}
    statement = created.after["trustPolicy"]["Statement"][0]
    assert statement["Condition"]["StringEquals"][CN_KEY] == "app-a"
    assert statement["Condition"]["ArnEquals"] == {"aws:SourceArn": TA1}  # pins kept
    dedicated = analyze_trust(created.after["trustPolicy"])
    assert dedicated.admits(cert(cn="app-a")) and not dedicated.admits(cert(cn="app-b"))
    assert not dedicated.admits(cert(source_arn=TA2, cn="app-a"))
    assert one[PROFILE].after["roleArns"][0] == ROLE and new_a in one[PROFILE].after["roleArns"]
    # Phase 3: nothing is left on the shared role, which leaves the profile too.
    shared = two[ROLE].after["trustPolicy"]
    assert not analyze_trust(shared).trusts_ra and shared["Statement"][0]["Effect"] == "Deny"
    check_document(shared, "trust")
    assert two[PROFILE].before == one[PROFILE].after
    assert two[PROFILE].after["roleArns"] == [
        a for a in one[PROFILE].after["roleArns"] if a != ROLE
    ]
    assert "waits until every workload has switched" in two[ROLE].why


def test_the_split_starts_from_the_phase_one_hardening_of_the_shared_role() -> None:
    doc = trust(ra_statement(StringEquals={CN_KEY: ["app-a", "app-b", "app-c"]}))
    inv = inventory(doc)
    result = propose(
        inv,
        [finding("RA-TRUST-MULTIPLE-SUBJECTS"), finding("RA-TRUST-NO-SOURCEARN")],
        values={"trust_anchor_arn": TA1},
    )
    one, three = by_phase(result, 1), by_phase(result, 3)
    hardened = one[ROLE].after
    assert three[ROLE].before == hardened
    for change in result.changes:
        if change.before is None:  # the new roles carry the hardening too
            condition = change.after["trustPolicy"]["Statement"][0]["Condition"]
            assert TA1 in str(condition["ArnEquals"]) or TA1 in str(condition)


def test_a_mixed_role_moves_its_roles_anywhere_path_and_keeps_the_others() -> None:
    shared_statement = ra_statement(
        StringEquals={CN_KEY: "agent"}, ArnEquals={"aws:SourceArn": TA1}
    )
    shared_statement["Principal"] = {
        "Service": ["rolesanywhere.amazonaws.com", "ec2.amazonaws.com"]
    }
    inv = inventory(trust(OTHER, shared_statement))
    result = propose(inv, [finding("RA-TRUST-MIXED-PRINCIPALS")])
    one, two = by_phase(result, 2), by_phase(result, 3)
    new = f"arn:aws:iam::{ACCOUNT}:role/app-prod-agent"
    assert one[new].after["trustPolicy"]["Statement"] == [{**shared_statement, "Principal": RA}]
    narrowed = two[ROLE].after["trustPolicy"]["Statement"]
    assert narrowed[0] == OTHER
    assert narrowed[1]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert not analyze_trust(two[ROLE].after["trustPolicy"]).trusts_ra
    assert ROLE not in two[PROFILE].after["roleArns"] and new in two[PROFILE].after["roleArns"]


def test_dedicated_role_names_follow_the_template_else_the_shared_name() -> None:
    from remediations.settings import Settings

    inv = multi_subject_inventory("app-a", "App B/x", tags={"env": "prod"})
    result = propose(inv, [finding("RA-TRUST-MULTIPLE-SUBJECTS")], Settings())
    names = {c.resource_arn.rsplit("/", 1)[-1] for c in result.changes if c.before is None}
    assert names == {"ra-app-a-prod", "ra-app-b-x-prod"}
    long_cn = "w" * 90
    inv = multi_subject_inventory("app-a", long_cn)
    inv.roles[f"arn:aws:iam::{ACCOUNT}:role/app-prod-app-a"] = Role(
        arn=f"arn:aws:iam::{ACCOUNT}:role/app-prod-app-a", name="app-prod-app-a"
    )
    names = {
        c.resource_arn.rsplit("/", 1)[-1]
        for c in propose(inv, [finding("RA-TRUST-MULTIPLE-SUBJECTS")]).changes
        if c.before is None
    }
    assert "app-prod-app-a-2" in names  # the name is taken: the next one
    assert all(len(n) <= 64 for n in names) and len(names) == 2


def test_a_split_that_cannot_copy_the_permissions_is_refused() -> None:
    inv = multi_subject_inventory("app-a", "app-b", inline_policies=[("broken", None)])
    result = propose(inv, [finding("RA-TRUST-MULTIPLE-SUBJECTS")])
    assert not result.changes
    (item,) = result.not_fixable
    assert "broken could not be read" in item.reason


def test_the_dedicated_role_proof_refuses_another_workload() -> None:
    from remediations.proposals.results import FixRefused
    from remediations.proposals.splits import prove_dedicated

    doc = trust(ra_statement(StringEquals={CN_KEY: ["app-a", "app-b"]}))
    with pytest.raises(FixRefused, match="another workload"):
        prove_dedicated(doc, doc, doc, {"x509subject/cn": ["app-a"]}, [TA1])
    narrowed = trust(ra_statement(StringEquals={CN_KEY: "app-a"}))
    prove_dedicated(doc, doc, narrowed, {"x509subject/cn": ["app-a"]}, [TA1])
    wider = trust(ra_statement(StringLike={CN_KEY: "app-*"}))
    with pytest.raises(FixRefused, match="refuses"):
        prove_dedicated(narrowed, narrowed, wider, {"x509subject/cn": ["app-a"]}, [TA1])

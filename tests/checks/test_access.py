"""The access map answers as the IAM evaluator does.

The central property: for any trust policy, mapping and certificate, "the map says this
certificate reaches the role through this anchor" equals "the evaluator allows all three
required actions for the request Roles Anywhere would make" (FINDINGS 3.4). Then the shapes of
FINDINGS 3.4 by hand, every corpus trust policy, and the summaries (constraints, any
certificate, unreachable reasons) people read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.access import (
    AccessMap,
    CertificateQuery,
    build_access_map,
    parse_dn,
    path_context,
)
from remediations.iam.evaluator import Decision, evaluate, wildcard_match
from remediations.model import REQUIRED_ACTIONS, Inventory, Profile, Role, TrustAnchor
from remediations.trust import RA_PRINCIPAL, CertificateContext
from tests.shared import CORPUS, RA_ACTIONS, ra_trust

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ANCHOR_A = (
    f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/aaaaaaaa-0000-4000-8000-000000000001"
)
ANCHOR_B = (
    f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/bbbbbbbb-0000-4000-8000-000000000002"
)
PROFILE = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/cccccccc-0000-4000-8000-000000000003"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ra-app"
ALL_FIELDS_MAPPING = None  # the default mapping: every attribute reaches the policy
NO_OU_MAPPING = [
    {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]},
    {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "CN"}]},
    {"certificateField": "x509SAN", "mappingRules": [{"specifier": "URI"}]},
]


def inventory_for(
    document: dict[str, Any],
    *,
    mappings: list[dict[str, Any]] | None = ALL_FIELDS_MAPPING,
    profile_enabled: bool = True,
    anchors: tuple[str, ...] = (ANCHOR_A, ANCHOR_B),
    listed: bool = True,
) -> Inventory:
    inventory = Inventory(account_id=ACCOUNT)
    inventory.roles[ROLE] = Role(arn=ROLE, name="ra-app", trust_policy=document)
    for number, arn in enumerate(anchors):
        inventory.trust_anchors[arn] = TrustAnchor(
            arn=arn,
            anchor_id=arn.rsplit("/", 1)[-1],
            name=f"anchor-{number}",
            region=REGION,
            source_type="AWS_ACM_PCA",
        )
    inventory.profiles[PROFILE] = Profile(
        arn=PROFILE,
        profile_id=PROFILE.rsplit("/", 1)[-1],
        name="app-profile",
        region=REGION,
        enabled=profile_enabled,
        role_arns=[ROLE] if listed else [],
        attribute_mappings=mappings,
    )
    return inventory


def the_map(document: dict[str, Any], **kwargs: Any) -> AccessMap:
    return build_access_map(inventory_for(document, **kwargs))


def evaluator_admits(
    document: dict[str, Any], cert: CertificateContext, anchor: str, dropped: frozenset[str]
) -> bool:
    context = path_context(cert, anchor, dropped)
    return all(
        evaluate(document, action=a, principal=RA_PRINCIPAL, context=context) is Decision.ALLOW
        for a in REQUIRED_ACTIONS
    )


def map_admits(access: AccessMap, cert: CertificateContext, anchor: str) -> bool:
    role = access.role(ROLE)
    assert role is not None
    return any(p.admits(cert) for p in role.paths if p.trust_anchor_arn == anchor)


def dropped_keys(mappings: list[dict[str, Any]] | None) -> frozenset[str]:
    if mappings is None:
        return frozenset()
    return frozenset(
        {
            "aws:principaltag/x509subject/ou",
            "aws:principaltag/x509subject/o",
            "aws:principaltag/x509san/dns",
        }
    )


# --- the property ---------------------------------------------------------------------------

VALUES = ["app.prod", "app.dev", "web", "platform", "Corp CA", "spiffe://corp/app"]
PATTERNS = ["app.*", "*", "*.prod", "spiffe://corp/*"]
KEYS = [
    "aws:PrincipalTag/x509Subject/CN",
    "aws:PrincipalTag/x509Subject/OU",
    "aws:PrincipalTag/x509Issuer/CN",
    "aws:PrincipalTag/x509SAN/URI",
    "aws:principaltag/X509SUBJECT/cn",
]
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "StringLikeIfExists",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "StringEqualsIgnoreCase",
]


@st.composite
def conditions(draw: st.DrawFn, simple: bool = False) -> dict[str, Any]:
    block: dict[str, dict[str, Any]] = {}
    operators = OPERATORS[:7] if simple else OPERATORS
    for _ in range(draw(st.integers(0, 3))):
        operator = draw(st.sampled_from(operators))
        key = draw(st.sampled_from(KEYS[:4] if simple else KEYS))
        values = draw(st.lists(st.sampled_from(VALUES + PATTERNS), min_size=1, max_size=3))
        block.setdefault(operator, {})[key] = values if len(values) > 1 else values[0]
    if not simple and draw(st.booleans()):
        block.setdefault("ArnEquals", {})["aws:SourceArn"] = draw(
            st.sampled_from([ANCHOR_A, [ANCHOR_A, ANCHOR_B], ANCHOR_B + "-gone"])
        )
    if not simple and draw(st.integers(0, 5)) == 0:
        block.setdefault("Null", {})["aws:PrincipalTag/x509Subject/OU"] = draw(
            st.sampled_from(["true", "false"])
        )
    if not simple and draw(st.integers(0, 5)) == 0:
        block.setdefault("StringEquals", {})["sts:SourceIdentity"] = draw(
            st.sampled_from(["CN=app.prod", "CN=web"])
        )
    if not simple and draw(st.integers(0, 6)) == 0:
        block.setdefault("StringEquals", {})["aws:PrincipalTag/x509SAN/URI"] = (
            "spiffe://corp/${aws:PrincipalTag/x509Subject/CN}"
        )
    return block


@st.composite
def statements(draw: st.DrawFn, simple: bool = False) -> dict[str, Any]:
    effect = "Allow" if simple else draw(st.sampled_from(["Allow", "Allow", "Deny"]))
    actions = draw(
        st.sampled_from(
            [RA_ACTIONS, RA_ACTIONS[:1], RA_ACTIONS[1:], ["sts:*"], ["sts:TagSession"]]
            if not simple
            else [RA_ACTIONS]
        )
    )
    statement: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": actions,
    }
    condition = draw(conditions(simple))
    if condition:
        statement["Condition"] = condition
    return statement


@st.composite
def policies(draw: st.DrawFn, simple: bool = False) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": draw(st.lists(statements(simple), min_size=1, max_size=3)),
    }


@st.composite
def certificates(draw: st.DrawFn) -> CertificateContext:
    def maybe(values: list[str]) -> str | None:
        return draw(st.one_of(st.none(), st.sampled_from(values)))

    subject = {
        k: v for k, v in {"CN": maybe([*VALUES, "app.rafix"]), "OU": maybe(VALUES)}.items() if v
    }
    issuer = {"CN": v} if (v := maybe(["Corp CA", "Other CA"])) else {}
    san = {"URI": v} if (v := maybe(["spiffe://corp/app", "spiffe://corp/app.prod"])) else {}
    return CertificateContext(source_arn="", subject=subject, issuer=issuer, san=san)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=policies(),
    mappings=st.sampled_from([ALL_FIELDS_MAPPING, NO_OU_MAPPING]),
    certs=st.lists(certificates(), min_size=1, max_size=6),
)
def test_the_map_admits_exactly_what_the_evaluator_admits(
    document: dict[str, Any],
    mappings: list[dict[str, Any]] | None,
    certs: list[CertificateContext],
) -> None:
    access = the_map(document, mappings=mappings)
    role = access.role(ROLE)
    dropped = dropped_keys(mappings)
    if role is None:  # not listed: the policy has no Allow for Roles Anywhere at all
        assert not any(
            evaluator_admits(document, c, a, dropped) for c in certs for a in (ANCHOR_A, ANCHOR_B)
        )
        return
    for cert in certs:
        for anchor in (ANCHOR_A, ANCHOR_B):
            expected = evaluator_admits(document, cert, anchor, dropped)
            assert map_admits(access, cert, anchor) == expected, (cert, anchor)
            if expected:
                assert role.reachable
    if not role.reachable:
        assert role.paths == ()
        assert role.unreachable_reason


def json_admits(constraints: dict[str, Any], cert: CertificateContext) -> bool:
    """INTERFACE.md's reading of a path's constraints (values or patterns to equal one of,
    {"not": [...]} for values it must not have)."""
    values = {
        **{f"x509Subject/{k}": v for k, v in cert.subject.items()},
        **{f"x509Issuer/{k}": v for k, v in cert.issuer.items()},
        **{f"x509SAN/{k}": v for k, v in cert.san.items()},
    }
    for attribute, rule in constraints.items():
        value = values.get(attribute)
        if isinstance(rule, list):
            if value is None or not any(wildcard_match(p, value) for p in rule):
                return False
            continue
        one_of, refused = rule.get("one_of"), rule.get("not", [])
        if value is None:
            if not rule.get("absent_passes", "one_of" not in rule):
                return False
            continue
        if one_of is not None and not any(wildcard_match(p, value) for p in one_of):
            return False
        if any(wildcard_match(p, value) for p in refused):
            return False
    return True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=policies(simple=True), certs=st.lists(certificates(), min_size=1, max_size=6))
def test_the_json_constraints_say_what_the_evaluator_enforces(
    document: dict[str, Any], certs: list[CertificateContext]
) -> None:
    """For Allow-only policies of string operators, a script reading the JSON constraints
    alone gets the evaluator's answer."""
    access = the_map(document, anchors=(ANCHOR_A,))
    role = access.role(ROLE)
    assert role is not None
    for cert in certs:
        expected = evaluator_admits(document, cert, ANCHOR_A, frozenset())
        by_json = any(json_admits(p.to_json()["constraints"], cert) for p in role.paths)
        assert by_json == expected, (cert, [p.to_json()["constraints"] for p in role.paths])


# --- FINDINGS 3.4 shapes by hand ------------------------------------------------------------


def cert(
    cn: str | None = None, ou: str | None = None, issuer: str | None = None
) -> CertificateContext:
    subject = {k: v for k, v in {"CN": cn, "OU": ou}.items() if v is not None}
    return CertificateContext(
        source_arn="", subject=subject, issuer={"CN": issuer} if issuer else {}
    )


def statement(
    actions: list[str], condition: dict[str, Any] | None = None, effect: str = "Allow"
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": actions,
    }
    if condition:
        out["Condition"] = condition
    return out


def policy(*stmts: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(stmts)}


CN = "aws:PrincipalTag/x509Subject/CN"
OU = "aws:PrincipalTag/x509Subject/OU"


def test_a_pin_on_one_action_of_a_split_policy_pins_the_whole_assumption() -> None:
    document = policy(
        statement(["sts:AssumeRole", "sts:TagSession"]),
        statement(["sts:SetSourceIdentity"], {"StringEquals": {CN: "app.prod"}}),
    )
    role = the_map(document).role(ROLE)
    assert role is not None and role.reachable and not role.any_certificate
    path = role.paths[0]
    assert path.to_json()["constraints"] == {"x509Subject/CN": ["app.prod"]}
    assert path.admits(cert("app.prod")) and not path.admits(cert("other"))


def test_a_deny_unless_pinned_is_a_pin() -> None:
    document = policy(
        statement(RA_ACTIONS),
        statement(RA_ACTIONS, {"StringNotEquals": {CN: ["a.prod", "b.prod"]}}, effect="Deny"),
    )
    role = the_map(document).role(ROLE)
    assert role is not None and not role.any_certificate
    assert {json.dumps(p.to_json()["constraints"]) for p in role.paths} == {
        json.dumps({"x509Subject/CN": ["a.prod", "b.prod"]})
    }
    assert map_admits(the_map(document), cert("b.prod"), ANCHOR_A)
    assert not map_admits(the_map(document), cert("c.prod"), ANCHOR_A)


def test_a_deny_pin_on_source_arn_closes_the_other_anchor() -> None:
    document = policy(
        statement(RA_ACTIONS, {"StringEquals": {CN: "app"}}),
        statement(RA_ACTIONS, {"ArnNotEquals": {"aws:SourceArn": ANCHOR_A}}, effect="Deny"),
    )
    role = the_map(document).role(ROLE)
    assert role is not None
    assert {p.trust_anchor_arn for p in role.paths} == {ANCHOR_A}


def test_if_exists_on_a_dropped_attribute_admits_any_certificate() -> None:
    document = policy(statement(RA_ACTIONS, {"StringEqualsIfExists": {OU: "payments"}}))
    kept = the_map(document).role(ROLE)
    dropped = the_map(document, mappings=NO_OU_MAPPING).role(ROLE)
    assert kept is not None and dropped is not None
    assert kept.paths[0].to_json()["constraints"] == {
        "x509Subject/OU": {"one_of": ["payments"], "absent_passes": True}
    }
    assert dropped.any_certificate and dropped.paths[0].constraints == ()
    assert dropped.paths[0].dropped_attributes == ("x509Subject/OU",)
    assert dropped.paths[0].admits(cert("x", ou="someone-else"))


def test_a_positive_pin_on_a_dropped_attribute_makes_the_role_unreachable() -> None:
    document = policy(statement(RA_ACTIONS, {"StringEquals": {OU: "payments"}}))
    role = the_map(document, mappings=NO_OU_MAPPING).role(ROLE)
    assert role is not None and not role.reachable
    assert "requires x509Subject/OU, which the profile's attribute mapping drops" in (
        role.unreachable_reason or ""
    )


def test_null_false_requires_the_attribute_and_null_true_refuses_it() -> None:
    present = the_map(policy(statement(RA_ACTIONS, {"Null": {OU: "false"}}))).role(ROLE)
    absent = the_map(policy(statement(RA_ACTIONS, {"Null": {OU: "true"}}))).role(ROLE)
    assert present is not None and absent is not None
    assert present.paths[0].to_json()["constraints"] == {"x509Subject/OU": ["*"]}
    assert present.paths[0].admits(cert("x", ou="any")) and not present.paths[0].admits(cert("x"))
    assert absent.paths[0].admits(cert("x")) and not absent.paths[0].admits(cert("x", ou="t"))


def test_for_all_values_on_a_missing_key_passes() -> None:
    document = policy(statement(RA_ACTIONS, {"ForAllValues:StringEquals": {OU: ["payments"]}}))
    role = the_map(document).role(ROLE)
    assert role is not None
    path = role.paths[0]
    assert path.admits(cert("x")) and path.admits(cert("x", ou="payments"))
    assert not path.admits(cert("x", ou="other"))
    assert path.to_json()["constraints"]["x509Subject/OU"] == {
        "one_of": ["payments"],
        "absent_passes": True,
    }


def test_a_binding_is_not_a_pin() -> None:
    uri = "aws:PrincipalTag/x509SAN/URI"
    document = policy(statement(RA_ACTIONS, {"StringEquals": {uri: "spiffe://corp/${" + CN + "}"}}))
    role = the_map(document).role(ROLE)
    assert role is not None and role.reachable
    path = role.paths[0]
    bound = CertificateContext("", subject={"CN": "app"}, san={"URI": "spiffe://corp/app"})
    other = CertificateContext("", subject={"CN": "app"}, san={"URI": "spiffe://corp/web"})
    assert path.admits(bound) and not path.admits(other)
    assert path.constraints[0].binding


def test_a_variable_in_a_legacy_version_is_a_literal() -> None:
    document = policy(
        statement(RA_ACTIONS, {"StringEquals": {CN: "${aws:username}"}}), version="2008-10-17"
    )
    role = the_map(document).role(ROLE)
    assert role is not None
    assert role.paths[0].admits(cert("${aws:username}"))
    assert not role.paths[0].admits(cert("alice"))


def test_source_ip_never_matches_so_the_role_is_unreachable() -> None:
    document = policy(statement(RA_ACTIONS, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    role = the_map(document).role(ROLE)
    assert role is not None and not role.reachable
    assert "never matches" in (role.unreachable_reason or "")


def test_unreachable_reasons() -> None:
    missing_action = the_map(policy(statement(["sts:AssumeRole", "sts:TagSession"]))).role(ROLE)
    assert missing_action is not None
    assert "sts:SetSourceIdentity" in (missing_action.unreachable_reason or "")
    unlisted = the_map(ra_trust("x"), listed=False).role(ROLE)
    assert unlisted is not None and unlisted.unreachable_reason == "no profile lists the role"
    disabled = the_map(ra_trust("x"), profile_enabled=False).role(ROLE)
    assert disabled is not None and "disabled" in (disabled.unreachable_reason or "")
    gone = ANCHOR_A.replace("aaaaaaaa", "deadbeef")
    stale = the_map(policy(statement(RA_ACTIONS, {"ArnEquals": {"aws:SourceArn": gone}}))).role(
        ROLE
    )
    assert stale is not None and not stale.reachable
    assert "do not exist" in (stale.unreachable_reason or "") and gone in (
        stale.unreachable_reason or ""
    )


def test_an_unpinned_role_admits_any_certificate_of_every_anchor() -> None:
    role = the_map(ra_trust()).role(ROLE)
    assert role is not None and role.any_certificate and role.open_to_new_anchors
    assert {p.trust_anchor_arn for p in role.paths} == {ANCHOR_A, ANCHOR_B}
    assert all(p.any_certificate and p.to_json()["constraints"] == {} for p in role.paths)


def test_a_fail_open_operator_admits_any_certificate_it_does_not_name() -> None:
    document = policy(statement(RA_ACTIONS, {"StringNotEquals": {CN: "old-host"}}))
    role = the_map(document).role(ROLE)
    assert role is not None and role.any_certificate
    assert role.paths[0].to_json()["constraints"] == {"x509Subject/CN": {"not": ["old-host"]}}


def test_case_insensitive_keys_are_one_key() -> None:
    document = policy(
        statement(RA_ACTIONS, {"StringEquals": {"AWS:PRINCIPALTAG/X509SUBJECT/cn": "app"}})
    )
    role = the_map(document).role(ROLE)
    assert role is not None
    assert role.paths[0].to_json()["constraints"] == {"x509Subject/CN": ["app"]}


def test_the_reverse_question_lists_the_roles_a_subject_reaches() -> None:
    document = policy(statement(RA_ACTIONS, {"StringEquals": {CN: "app.prod", OU: "pay/eng"}}))
    inventory = inventory_for(document)
    query = CertificateQuery(
        subject=parse_dn("CN=app.prod,OU=pay,OU=eng"), trust_anchor_arn=ANCHOR_B
    )
    access = build_access_map(inventory, query=query)
    assert [(m.role_arn, m.path.trust_anchor_arn) for m in access.matches] == [(ROLE, ANCHOR_B)]
    miss = build_access_map(inventory, query=CertificateQuery(subject={"CN": "app.prod"}))
    assert miss.matches == []


def test_parse_dn() -> None:
    assert parse_dn("CN=a\\,b, OU=x,OU=y,o=Org") == {"CN": "a,b", "OU": "x/y", "O": "Org"}
    with pytest.raises(ValueError, match="NAME=value"):
        parse_dn("CN=a,garbage")


def test_only_roles_that_trust_the_service_are_listed() -> None:
    inventory = inventory_for(ra_trust("x"))
    ec2 = f"arn:aws:iam::{ACCOUNT}:role/ec2-only"
    inventory.roles[ec2] = Role(
        arn=ec2,
        name="ec2-only",
        trust_policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    )
    assert [r.role_arn for r in build_access_map(inventory).roles] == [ROLE]


def test_a_role_chains_into_a_role_that_trusts_it() -> None:
    inventory = inventory_for(ra_trust("x"))
    target = f"arn:aws:iam::{ACCOUNT}:role/deploy"
    inventory.roles[target] = Role(
        arn=target,
        name="deploy",
        trust_policy={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}
            ],
        },
    )
    role = build_access_map(inventory).role(ROLE)
    assert role is not None
    assert [(c.role_arn, c.via, c.conditional) for c in role.chains_to] == [(target, "role", False)]


def test_the_session_policy_narrows_what_the_session_can_do() -> None:
    inventory = inventory_for(ra_trust("x"))
    role = inventory.roles[ROLE]
    role.inline_policies = [
        (
            "all",
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            },
        )
    ]
    profile = inventory.profiles[PROFILE]
    profile.session_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        ],
    }
    access = build_access_map(inventory).role(ROLE)
    assert access is not None and access.privileged is True and access.services == ("*",)
    scope = access.paths[0].session
    assert scope.has_session_policy and scope.privileged is False
    assert scope.services == ("s3", "sqs")


# --- the corpus -------------------------------------------------------------------------------

TRUST = CORPUS / "trust"


@pytest.mark.corpus
@pytest.mark.skipif(not TRUST.is_dir(), reason="../shared/corpus is absent")
@pytest.mark.parametrize(
    "path", sorted(TRUST.glob("*.json")) if TRUST.is_dir() else [], ids=lambda p: p.stem
)
def test_every_corpus_trust_policy_is_mapped_as_the_evaluator_decides(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    access = the_map(document)
    role = access.role(ROLE)
    if role is None:  # the policy does not trust Roles Anywhere at all
        return
    # Witness certificates: every literal the policy names, and names it never names.
    literals = _literals(document)
    certs = [cert()] + [
        CertificateContext(
            "", subject={"CN": v, "OU": v}, issuer={"CN": v}, san={"URI": v, "DNS": v}
        )
        for v in [*literals, "rafix-unnamed"]
    ]
    for value in literals:
        certs.append(cert(value))
    for c in certs:
        for anchor in (ANCHOR_A, ANCHOR_B):
            assert map_admits(access, c, anchor) == evaluator_admits(
                document, c, anchor, frozenset()
            )
    json.dumps(access.to_json())


def _literals(document: Any) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Condition":
                    for block in value.values() if isinstance(value, dict) else ():
                        for values in block.values() if isinstance(block, dict) else ():
                            for v in values if isinstance(values, list) else [values]:
                                if isinstance(v, str) and v not in found:
                                    found.append(v)
                                    if v.startswith("CN="):
                                        found.append(v[3:])
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return found[:40]


# --- the CA's key and post-quantum readiness -----------------------------------------------


def test_a_bundle_anchor_shows_its_ca_key_and_is_not_post_quantum_ready() -> None:
    from remediations.access import anchor_info
    from tests.pki import make_ca

    anchor = TrustAnchor(
        arn=ANCHOR_A,
        anchor_id="a",
        name="corp",
        region=REGION,
        source_type="CERTIFICATE_BUNDLE",
        certificate_pem=make_ca("Corp Issuing CA").pem,
    )
    info = anchor_info(anchor)
    assert (info.key_algorithm, info.key_size, info.issuer_cns) == ("EC", 256, ("Corp Issuing CA",))
    assert info.pqc_ready is False and "Prowler" in info.pqc_note


@pytest.mark.parametrize(
    ("algorithm", "status", "ready", "size"),
    [
        ("ML_DSA_65", "ACTIVE", True, None),
        ("EC_prime256v1", "ACTIVE", False, 256),
        ("RSA_4096", "ACTIVE", False, 4096),
        ("ML_DSA_87", "DISABLED", False, None),
        (None, None, None, None),
    ],
)
def test_a_pca_anchor_is_ready_only_with_an_active_ml_dsa_key(
    algorithm: str | None, status: str | None, ready: bool | None, size: int | None
) -> None:
    from remediations.access import anchor_info

    anchor = TrustAnchor(
        arn=ANCHOR_A,
        anchor_id="a",
        name="pca",
        region=REGION,
        source_type="AWS_ACM_PCA",
        pca_key_algorithm=algorithm,
        pca_status=status,
    )
    info = anchor_info(anchor)
    assert info.pqc_ready is ready and info.key_size == size


def test_the_live_reader_describes_each_pca_once() -> None:
    """Through a real botocore client (request validation and response parsing), stubbed."""
    import boto3  # type: ignore[import-untyped]
    from botocore.stub import Stubber

    from remediations.sources.aws import read_pca_keys

    pca = f"arn:aws:acm-pca:{REGION}:{ACCOUNT}:certificate-authority/11111111-2222-3333-4444-555555555555"
    client = boto3.client(
        "acm-pca", region_name=REGION, aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "describe_certificate_authority",
        {
            "CertificateAuthority": {
                "Arn": pca,
                "Status": "ACTIVE",
                "CertificateAuthorityConfiguration": {
                    "KeyAlgorithm": "EC_secp384r1",
                    "SigningAlgorithm": "SHA384WITHECDSA",
                    "Subject": {"CommonName": "Corp Private CA"},
                },
            }
        },
        {"CertificateAuthorityArn": pca},
    )

    class Session:
        def client(self, service: str, region: str | None = None) -> Any:
            assert (service, region) == ("acm-pca", REGION)
            return client

    inventory = inventory_for(ra_trust())
    for anchor in inventory.trust_anchors.values():
        anchor.acm_pca_arn = pca
    with stubber:
        read_pca_keys(Session(), inventory)  # type: ignore[arg-type]
    stubber.assert_no_pending_responses()
    assert {a.pca_key_algorithm for a in inventory.trust_anchors.values()} == {"EC_secp384r1"}
    info = build_access_map(inventory).anchors[ANCHOR_A]
    assert (info.key_algorithm, info.key_size, info.pqc_ready) == ("EC_secp384r1", 384, False)

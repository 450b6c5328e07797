"""Onboarding's core: a typed request and the account in, an ordinary plan (or one clear
refusal) out; and what is created causes no finding once applied (sandbox property)."""

from __future__ import annotations

import copy
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from remediations.apply.executor import Executor
from remediations.apply.snapshots import SnapshotStore, root_for_source
from remediations.checks.run import run_checks
from remediations.errors import InputError
from remediations.iam.x509 import parse_workload_certificate
from remediations.model import Inventory, Profile
from remediations.onboarding import (
    ONBOARDING_TAG,
    OnboardingError,
    OnboardRequest,
    plan_onboarding,
)
from remediations.settings import Settings, load_settings
from remediations.sources.sandbox import init_sandbox, open_sandbox, read_inventory
from tests.builders import apply_now, rollback_now
from tests.pki import Ca, make_ca

EU_ANCHOR = (
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/3071b7f4-b645-5100-a7e7-85ac0dd169d6"
)
PCA_ANCHOR = (
    "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a14e2cea-f3c8-5d7c-9d19-78ef0015846a"
)
EU_ISSUER = "Corp Issuing CA EU 2025"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("onboard") / "demo"
    init_sandbox(directory)
    return directory


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> Inventory:
    return read_inventory(demo_dir)


def request(**overrides: Any) -> OnboardRequest:
    base = OnboardRequest(
        workload="orders", env="prod", team="payments", trust_anchor_arn=EU_ANCHOR, services=("s3",)
    )
    return replace(base, **overrides)


def change(plan: Any, kind: str) -> Any:
    return next(c for c in plan.changes if c.resource_type == kind)


# --- what it plans ----------------------------------------------------------------------------


def test_a_new_workload_gets_a_hardened_role_and_a_new_team_profile(demo: Inventory) -> None:
    onboarding = plan_onboarding(request(services=("s3", "dynamodb")), demo, Settings())
    names = onboarding.names
    assert (names.role_name, names.profile_name) == ("ra-orders-prod", "ra-payments-prod")
    assert (names.cn, names.ou, names.issuer_cn) == ("orders.prod", "payments", EU_ISSUER)
    role, profile = change(onboarding.plan, "role"), change(onboarding.plan, "profile")
    assert [c.id for c in onboarding.plan.changes] == ["c1", "c2"]  # the role first
    assert role.before is None and profile.before is None
    [statement] = role.after["trustPolicy"]["Statement"]
    assert statement["Principal"] == {"Service": "rolesanywhere.amazonaws.com"}
    assert statement["Action"] == ACTIONS
    assert statement["Condition"]["ArnEquals"] == {"aws:SourceArn": [EU_ANCHOR]}
    assert statement["Condition"]["StringEquals"] == {
        "aws:PrincipalTag/x509Subject/CN": "orders.prod",
        "aws:PrincipalTag/x509Subject/OU": "payments",
        "aws:PrincipalTag/x509Issuer/CN": EU_ISSUER,
    }
    spec = role.after["create"]
    assert spec["maxSessionDuration"] == 3600
    assert spec["tags"] == {ONBOARDING_TAG: "orders/prod/payments"}
    actions = [s["Action"] for s in spec["inlinePolicies"]["rafix-onboarding"]["Statement"]]
    assert actions == ["dynamodb:*", "s3:*"]
    after = profile.after
    assert after["roleArns"] == [names.role_arn]
    assert after["durationSeconds"] == 3600 and after["acceptRoleSessionName"] is False
    assert after["attributeMappings"] == [
        {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "CN"}]},
        {
            "certificateField": "x509Subject",
            "mappingRules": [{"specifier": "CN"}, {"specifier": "OU"}],
        },
    ]
    sids = [s["Sid"] for s in after["sessionPolicy"]["Statement"]]
    assert sids == ["AllowWorkloadServices", "DenyIdentityAndControlPlane", "DenyDestructiveData"]
    assert after["sessionPolicy"]["Statement"][0]["Action"] == ["dynamodb:*", "s3:*"]
    assert profile.resource_arn.endswith(":profile/new:ra-payments-prod")
    assert [c.operation for c in role.calls] == ["CreateRole", "PutRolePolicy"]
    assert profile.calls[0].operation == "CreateProfile"
    assert not onboarding.already_onboarded


def test_a_spiffe_id_is_pinned_besides_the_subject_and_mapped(demo: Inventory) -> None:
    uri = "spiffe://corp.example/ns/payments/sa/orders"
    onboarding = plan_onboarding(request(spiffe_uri=uri), demo, Settings())
    [statement] = change(onboarding.plan, "role").after["trustPolicy"]["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:PrincipalTag/x509SAN/URI": uri,
        "aws:PrincipalTag/x509Subject/CN": "orders.prod",
        "aws:PrincipalTag/x509Subject/OU": "payments",
        "aws:PrincipalTag/x509Issuer/CN": EU_ISSUER,
    }
    mappings = change(onboarding.plan, "profile").after["attributeMappings"]
    assert {"certificateField": "x509SAN", "mappingRules": [{"specifier": "URI"}]} in mappings
    config = onboarding.client_config(profile_arn="arn:aws:rolesanywhere:eu-west-1:1:profile/x")
    assert f"subjectAltName=URI:{uri}" in config.openssl_command


def test_resources_scope_their_service_and_managed_policies_are_attached(demo: Inventory) -> None:
    onboarding = plan_onboarding(
        request(
            services=(),
            resource_arns=("arn:aws:sqs:eu-west-1:111122223333:orders",),
            managed_policy_arns=("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",),
        ),
        demo,
        Settings(),
    )
    spec = change(onboarding.plan, "role").after["create"]
    assert spec["managedPolicyArns"] == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    [statement] = spec["inlinePolicies"]["rafix-onboarding"]["Statement"]
    assert statement["Action"] == "sqs:*"
    assert statement["Resource"] == ["arn:aws:sqs:eu-west-1:111122223333:orders"]
    session = change(onboarding.plan, "profile").after["sessionPolicy"]
    assert session["Statement"][0]["Action"] == ["s3:*", "sqs:*"]  # the managed policy's too


def test_the_naming_convention_comes_from_the_settings(demo: Inventory) -> None:
    custom = Settings(
        role_name_template="{team}-{workload}-{env}-ra",
        profile_name_template="{team}_{env}",
        cert_cn_template="{workload}.{team}.{env}",
        cert_ou_template="{team}-unit",
        cn_pattern=r"^[a-z]+\.[a-z]+\.(dev|prod)$",
    )
    names = plan_onboarding(request(), demo, custom).names
    assert (names.role_name, names.profile_name) == ("payments-orders-prod-ra", "payments_prod")
    assert (names.cn, names.ou) == ("orders.payments.prod", "payments-unit")


def test_naming_templates_are_checked_when_the_settings_load(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[rafix]\ncert_cn_template = "{workload}.{team}"\n')
    assert load_settings(str(good)).cert_cn_template == "{workload}.{team}"
    bad = tmp_path / "bad.toml"
    bad.write_text('[rafix]\nprofile_name_template = "ra-{owner}"\n')
    with pytest.raises(InputError, match=r"profile_name_template: unknown field \{owner\}"):
        load_settings(str(bad))


# --- refusals: one clear line each, nothing planned -------------------------------------------


def _with_anchor(demo: Inventory, **changes: Any) -> Inventory:
    out = copy.copy(demo)
    out.trust_anchors = dict(demo.trust_anchors)
    out.trust_anchors[EU_ANCHOR] = replace(demo.trust_anchors[EU_ANCHOR], **changes)
    return out


def _with_profile(demo: Inventory, **fields: Any) -> Inventory:
    out = copy.copy(demo)
    out.profiles = dict(demo.profiles)
    arn = (
        "arn:aws:rolesanywhere:eu-west-1:111122223333:profile/aaaaaaaa-0000-4000-8000-000000000000"
    )
    base = Profile(arn, arn.rsplit("/", 1)[1], "ra-payments-prod", "eu-west-1")
    out.profiles[arn] = replace(base, **fields)
    return out


REFUSALS: list[tuple[str, dict[str, Any], Settings, str]] = [
    ("bad name", {"workload": "a/b"}, Settings(), r"--workload 'a/b': use 1 to 32 letters"),
    ("empty env", {"env": ""}, Settings(), r"--env '': use"),
    (
        "CN too long",
        {"workload": "w" * 30, "env": "e" * 30},
        Settings(cert_cn_template="{workload}.{env}.{team}"),
        r"is 70 characters; at most 61",
    ),
    (
        "CN pattern",
        {},
        Settings(cn_pattern=r"^[a-z]+\.(dev|stage)$"),
        r"CN 'orders.prod' \(naming convention\) does not match the naming convention cn_pattern",
    ),
    (
        "OU pattern",
        {},
        Settings(ou_pattern=r"^team-[a-z]+$"),
        r"OU 'payments' .* does not match .* ou_pattern",
    ),
    (
        "CN breaking the mapping",
        {},
        Settings(cert_cn_template="{workload}+{env}"),
        r"contains '\+', which breaks the certificate subject",
    ),
    ("unknown service", {"services": ("s4",)}, Settings(), r"unknown AWS service prefix 's4'"),
    ("refused service", {"services": ("sts",)}, Settings(), r"does not grant assuming other"),
    ("no service", {"services": ()}, Settings(), r"name at least one AWS service"),
    (
        "bad resource",
        {"resource_arns": ("bucket",)},
        Settings(),
        r"--resource 'bucket' is not an ARN",
    ),
    (
        "anchor missing",
        {"trust_anchor_arn": EU_ANCHOR[:-4] + "0000"},
        Settings(),
        r"is not in the account; enabled anchors: ",
    ),
    ("not an anchor", {"trust_anchor_arn": "corp-ca"}, Settings(), r"is not a trust anchor ARN"),
    (
        "other region",
        {"region": "us-east-1"},
        Settings(),
        r"is in eu-west-1, not us-east-1: the profile must be in the anchor's region",
    ),
    (
        "role name taken",
        {"workload": "payments-batch"},
        Settings(),
        r"role name ra-payments-batch-prod is already taken by arn:aws:iam::111122223333:role/",
    ),
    (
        "ACM PCA anchor",
        {"trust_anchor_arn": PCA_ANCHOR},
        Settings(),
        r"uses ACM PCA .*pass --issuer-cn",
    ),
    (
        "issuer not the anchor's",
        {"issuer_cn": "Someone Else"},
        Settings(),
        r"--issuer-cn 'Someone Else' is not a CA of trust anchor corp-issuing-ca-eu",
    ),
    (
        "bad SPIFFE ID",
        {"spiffe_uri": "spiffe://corp/*"},
        Settings(),
        r"SPIFFE ID 'spiffe://corp/\*' is not spiffe://",
    ),
    (
        "unfillable template",
        {},
        Settings(role_name_template="ra-{owner}"),
        r"role_name_template 'ra-\{owner\}' cannot be filled",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "settings_", "message"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_bad_requests_are_refused_with_one_clear_line(
    demo: Inventory, overrides: dict[str, Any], settings_: Settings, message: str
) -> None:
    with pytest.raises(OnboardingError, match=message) as caught:
        plan_onboarding(request(**overrides), demo, settings_)
    assert "\n" not in str(caught.value)


def test_a_disabled_anchor_is_refused(demo: Inventory) -> None:
    with pytest.raises(OnboardingError, match=r"corp-issuing-ca-eu .* is disabled"):
        plan_onboarding(request(), _with_anchor(demo, enabled=False), Settings())


def test_a_disabled_or_foreign_team_profile_is_refused(demo: Inventory) -> None:
    with pytest.raises(OnboardingError, match=r"profile ra-payments-prod .* is disabled"):
        plan_onboarding(request(), _with_profile(demo, enabled=False), Settings())
    custom = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*"}]}
    with pytest.raises(OnboardingError, match=r"has a session policy rafix did not write"):
        plan_onboarding(request(), _with_profile(demo, session_policy=custom), Settings())


def test_a_plan_that_would_cause_a_finding_is_refused(demo: Inventory) -> None:
    # A team profile whose existing role accepts any certificate of the same anchor: listing
    # the new role beside it would let that certificate pick the new role (fan-out).
    anchor_wide = demo.roles["arn:aws:iam::111122223333:role/ra-payments-batch-prod"]
    open_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ACTIONS,
                "Condition": {"ArnEquals": {"aws:SourceArn": EU_ANCHOR}},
            }
        ],
    }
    inventory = _with_profile(demo, role_arns=[anchor_wide.arn])
    inventory.roles = dict(demo.roles)
    inventory.roles[anchor_wide.arn] = replace(anchor_wide, trust_policy=open_trust)
    with pytest.raises(OnboardingError, match=r"refused: the plan would cause RA-PROFILE-"):
        plan_onboarding(request(), inventory, Settings())


# --- a certificate or CSR instead of typed values ---------------------------------------------


def _workload_cert(ca: Ca | None, cn: str, ou: str | None, uri: str | None = None) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if ou:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    name = x509.Name(attributes)
    san = [x509.UniformResourceIdentifier(uri)] if uri else []
    if ca is None:
        csr = x509.CertificateSigningRequestBuilder().subject_name(name)
        if san:
            csr = csr.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_a_csr_gives_the_subject_and_spiffe_id(demo: Inventory) -> None:
    uri = "spiffe://corp.example/orders"
    csr = parse_workload_certificate(_workload_cert(None, "orders.svc", "payments", uri))
    assert csr.kind == "CSR" and csr.issuer is None
    names = plan_onboarding(request(certificate=csr), demo, Settings()).names
    assert (names.cn, names.ou, names.spiffe_uri) == ("orders.svc", "payments", uri)


def test_a_certificate_is_checked_against_the_anchor(demo: Inventory) -> None:
    other_ca = make_ca("Unrelated CA")
    cert = parse_workload_certificate(_workload_cert(other_ca, "orders.prod", "payments"))
    assert cert.kind == "certificate" and cert.issuer_cn() == "Unrelated CA"
    with pytest.raises(OnboardingError, match=r"certificate's issuer CN 'Unrelated CA' is not"):
        plan_onboarding(request(certificate=cert), demo, Settings())
    anchor = make_ca("Workload CA")
    inventory = _with_anchor(demo, certificate_pem=anchor.pem)
    cert = parse_workload_certificate(_workload_cert(anchor, "orders.prod", None))
    names = plan_onboarding(request(certificate=cert), inventory, Settings()).names
    assert (names.cn, names.ou, names.issuer_cn) == ("orders.prod", None, "Workload CA")
    with pytest.raises(ValueError, match="neither"):
        parse_workload_certificate(b"not a certificate")


# --- on a sandbox: apply, scan, re-run, second workload, roll back ----------------------------


def _apply(directory: Path, plan: Any) -> Any:
    account = open_sandbox(directory)
    try:
        executor = Executor(account, read_only=False, sleep=lambda _s: None)
        store = SnapshotStore(root_for_source(f"sandbox:{directory}"))
        return apply_now(
            plan,
            executor,
            store,
            lambda _q: True,
            source=f"sandbox:{directory.resolve()}",
            account_id="111122223333",
        )
    finally:
        account.close()


def _ours(inventory: Inventory, role_arn: str, profile_name: str) -> set[str]:
    profiles = {p.arn for p in inventory.profiles.values() if p.name == profile_name}
    return {role_arn} | profiles


def test_apply_rerun_second_workload_and_rollback_on_a_sandbox(
    demo_dir: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "sb"
    shutil.copytree(demo_dir, directory)
    first = plan_onboarding(request(services=("s3",)), read_inventory(directory))
    report = _apply(directory, first.plan)
    assert report.ok and report.snapshot_id
    after = read_inventory(directory)
    ours = _ours(after, first.names.role_arn, "ra-payments-prod")
    assert len(ours) == 2
    assert not [f for f in run_checks(after) if f.resource_arn in ours]
    assert plan_onboarding(request(services=("s3",)), after).already_onboarded
    second = plan_onboarding(request(workload="refunds", services=("sqs",)), after)
    [profile_change] = [c for c in second.plan.changes if c.resource_type == "profile"]
    assert profile_change.before is not None  # the same team profile, extended
    assert _apply(directory, second.plan).ok
    both = read_inventory(directory)
    [profile] = [p for p in both.profiles.values() if p.name == "ra-payments-prod"]
    assert profile.role_arns == [first.names.role_arn, second.names.role_arn]
    assert profile.session_policy is not None
    assert profile.session_policy["Statement"][0]["Action"] == ["s3:*", "sqs:*"]
    ours = _ours(both, second.names.role_arn, "ra-payments-prod") | {first.names.role_arn}
    assert not [f for f in run_checks(both) if f.resource_arn in ours]
    account = open_sandbox(directory)
    try:
        executor = Executor(account, read_only=False, sleep=lambda _s: None)
        store = SnapshotStore(root_for_source(f"sandbox:{directory}"))
        restored = rollback_now(report.snapshot_id, executor, store, lambda _q: True, force=True)
    finally:
        account.close()
    assert restored.ok
    gone = read_inventory(directory)
    assert first.names.role_arn not in gone.roles
    assert not [p for p in gone.profiles.values() if p.name == "ra-payments-prod"]


NAME = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
SERVICES = st.lists(
    st.sampled_from(["s3", "dynamodb", "sqs", "sns", "kms", "logs", "secretsmanager", "ssm"]),
    min_size=1,
    max_size=4,
    unique=True,
)
SPIFFE = st.none() | NAME.map(lambda n: f"spiffe://corp.example/ns/{n}")


@settings(
    max_examples=10,
    deadline=None,
    # Each example applies to a sandbox (seconds): report a failing example without shrinking.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    workloads=st.lists(st.tuples(NAME, SERVICES, SPIFFE), min_size=1, max_size=2),
    env=st.sampled_from(["dev", "stage", "prod"]),
    team=NAME,
)
def test_nothing_onboarding_creates_causes_a_finding(
    demo_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    workloads: list[tuple[str, list[str], str | None]],
    env: str,
    team: str,
) -> None:
    directory = tmp_path_factory.mktemp("prop") / "sb"
    shutil.copytree(demo_dir, directory)
    touched: set[str] = set()
    for workload, services, spiffe in workloads:
        inventory = read_inventory(directory)
        ask = request(
            workload=workload, env=env, team=team, services=tuple(services), spiffe_uri=spiffe
        )
        try:
            onboarding = plan_onboarding(ask, inventory)
        except OnboardingError as exc:  # only a name the demo account already uses
            assert "already taken" in str(exc)
            continue
        assert onboarding.already_onboarded or _apply(directory, onboarding.plan).ok
        touched |= _ours(read_inventory(directory), onboarding.names.role_arn, f"ra-{team}-{env}")
    after = read_inventory(directory)
    assert not [f.id for f in run_checks(after) if f.resource_arn in touched]

"""Fixes as code: the Terraform and CloudFormation renderers, read back with real parsers.

Terraform is parsed by python-hcl2 and its constants evaluated (tests/hcl_eval.py); the
CloudFormation template is loaded by PyYAML. Each document read back must equal the plan's
after-state, whatever the strings hold (quotes, ``${aws:username}``, ``%{``, Unicode).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from remediations.iac import render_cloudformation, render_terraform
from remediations.iac.hcl import expression, string
from remediations.managed import ManagedBy
from remediations.plan import Change, Plan
from tests import hcl_eval
from tests.shared import ra_trust

ACCOUNT = "111122223333"
ANCHOR_ARN = (
    f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/3b9f0c1e-0000-4000-8000-000000000001"
)
PROFILE_ARN = (
    f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/7c1d2e3f-0000-4000-8000-000000000002"
)
CRL_ARN = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:crl/9a8b7c6d-0000-4000-8000-000000000003"


def change(
    kind: str,
    arn: str,
    after: dict[str, Any] | None,
    before: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    cid: str = "c1",
    managed: ManagedBy | None = None,
) -> Change:
    return Change(
        id=cid,
        phase=1,
        resource_arn=arn,
        resource_type=kind,
        region="global" if kind == "role" else "eu-west-1",
        finding_ids=["RA-TRUST-NO-SOURCEARN"],
        summary="a summary\nwith a second line",
        why="",
        fingerprint="sha256:0",
        before=before if before is not None else ({} if after is not None else None),
        after=after,
        calls=[],
        semantic_diff=[],
        text_diff="",
        resource_name=name,
        managed_by=managed,
    )


def plan_of(*changes: Change) -> Plan:
    return Plan(source="sandbox:/tmp/x", account_id=ACCOUNT, changes=list(changes))


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def profile_state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "enabled": True,
        "roleArns": [role_arn("ra-app")],
        "managedPolicyArns": [],
        "sessionPolicy": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        },
        "durationSeconds": 3600,
        "acceptRoleSessionName": False,
        "attributeMappings": [
            {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]}
        ],
    }
    state.update(overrides)
    return state


def anchor_state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "enabled": True,
        "notificationSettings": [
            {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 45, "channel": "ALL"},
            {
                "enabled": True,
                "event": "END_ENTITY_CERTIFICATE_EXPIRY",
                "threshold": 30,
                "channel": "ALL",
            },
        ],
    }
    state.update(overrides)
    return state


# --- reading the code back -------------------------------------------------------------


def terraform_states(plan: Plan) -> dict[str, dict[str, Any] | None]:
    """Each change's state as the Terraform for the plan says it (by resource ARN)."""
    blocks = hcl_eval.parse(render_terraform(plan))
    resources = [b for b in blocks if b.type == "resource"]
    labels = [tuple(b.labels) for b in resources]
    assert len(labels) == len(set(labels)), "resource addresses must be unique"
    out: dict[str, dict[str, Any] | None] = {}
    for c in plan.changes:
        name = c.resource_arn.rsplit("/", 1)[-1] if c.resource_type == "role" else None
        want_name = name or c.resource_name
        kind = {
            "role": "aws_iam_role",
            "profile": "aws_rolesanywhere_profile",
            "trust-anchor": "aws_rolesanywhere_trust_anchor",
        }.get(c.resource_type)
        # Blocks come in the plan's order; two resources may share a name (profiles can).
        found = [
            b for b in resources if b.labels[0] == kind and b.attributes.get("name") == want_name
        ]
        if not found:
            out[c.resource_arn] = None
            continue
        block = found[0]
        resources.remove(block)
        a = block.attributes
        if c.resource_type == "role":
            out[c.resource_arn] = {"trustPolicy": a["assume_role_policy"]}
        elif c.resource_type == "profile":
            out[c.resource_arn] = {
                "enabled": a["enabled"],
                "roleArns": a["role_arns"],
                "managedPolicyArns": a["managed_policy_arns"],
                "sessionPolicy": a.get("session_policy"),
                "durationSeconds": a["duration_seconds"],
                "acceptRoleSessionName": a["accept_role_session_name"],
            }
        else:
            out[c.resource_arn] = {
                "enabled": a["enabled"],
                "notificationSettings": [
                    b.attributes for b in block.blocks if b.type == "notification_settings"
                ],
            }
    return out


def cloudformation_states(plan: Plan) -> dict[str, dict[str, Any] | None]:
    template = yaml.safe_load(render_cloudformation(plan))
    resources = template["Resources"]
    out: dict[str, dict[str, Any] | None] = {}
    for c in plan.changes:
        matches = [
            r["Properties"]
            for r in list(resources.values())
            if r["Properties"].get("RoleName" if c.resource_type == "role" else "Name")
            == (c.resource_arn.rsplit("/", 1)[-1] if c.resource_type == "role" else c.resource_name)
        ]
        if not matches:
            out[c.resource_arn] = None
            continue
        p = matches[0]
        del resources[next(k for k, r in resources.items() if r["Properties"] is p)]
        if c.resource_type == "role":
            out[c.resource_arn] = {"trustPolicy": p["AssumeRolePolicyDocument"]}
        elif c.resource_type == "profile":
            out[c.resource_arn] = {
                "enabled": p["Enabled"],
                "roleArns": p["RoleArns"],
                "managedPolicyArns": p["ManagedPolicyArns"],
                "sessionPolicy": json.loads(p["SessionPolicy"]) if "SessionPolicy" in p else None,
                "durationSeconds": p["DurationSeconds"],
                "acceptRoleSessionName": p["AcceptRoleSessionName"],
                "attributeMappings": [
                    {
                        "certificateField": m["CertificateField"],
                        "mappingRules": [{"specifier": r["Specifier"]} for r in m["MappingRules"]],
                    }
                    for m in p["AttributeMappings"]
                ],
            }
        elif c.resource_type == "trust-anchor":
            out[c.resource_arn] = {
                "enabled": p["Enabled"],
                "notificationSettings": [
                    {k.lower(): v for k, v in s.items()} for s in p["NotificationSettings"]
                ],
            }
        else:
            out[c.resource_arn] = {"enabled": p["Enabled"]}
    return out


def without_mappings(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {k: v for k, v in state.items() if k != "attributeMappings"}


# --- examples ----------------------------------------------------------------------------


def test_role_trust_is_jsonencode_of_the_after_state() -> None:
    trust = ra_trust("app.prod")
    trust["Statement"][0]["Condition"]["StringLike"] = {
        "aws:PrincipalTag/x509SAN/URI": "spiffe://corp/${aws:PrincipalTag/team}/%{x}"
    }
    plan = plan_of(change("role", role_arn("ra-app"), {"trustPolicy": trust}))
    text = render_terraform(plan)
    assert 'resource "aws_iam_role" "ra-app" {' in text
    assert "assume_role_policy = jsonencode(" in text
    assert "$${aws:PrincipalTag/team}/%%{x}" in text
    assert terraform_states(plan) == {role_arn("ra-app"): {"trustPolicy": trust}}


def test_profile_and_anchor_arguments_use_the_providers_names() -> None:
    plan = plan_of(
        change("profile", PROFILE_ARN, profile_state(), name="team-app", cid="c1"),
        change("trust-anchor", ANCHOR_ARN, anchor_state(), name="corp-ca", cid="c2"),
    )
    text = render_terraform(plan)
    for argument in (
        "session_policy = jsonencode(",
        "duration_seconds = 3600",
        "accept_role_session_name = false",
        "role_arns = [",
        "notification_settings {",
        'event = "CA_CERTIFICATE_EXPIRY"',
    ):
        assert argument in text
    states = terraform_states(plan)
    assert states[PROFILE_ARN] == without_mappings(profile_state())
    assert states[ANCHOR_ARN] == anchor_state()


def test_attribute_mappings_the_provider_cannot_set_become_cli_commands() -> None:
    before = profile_state(attributeMappings=[])
    plan = plan_of(change("profile", PROFILE_ARN, profile_state(), before, name="p"))
    text = render_terraform(plan)
    assert "# attribute mappings: aws_rolesanywhere_profile has no argument" in text
    assert (
        "#   aws rolesanywhere put-attribute-mapping --profile-id 7c1d2e3f-0000-4000-8000-"
        "000000000002 --certificate-field x509Subject --mapping-rules specifier=CN "
        "--region eu-west-1"
    ) in text


def test_profile_without_session_policy_leaves_it_out() -> None:
    plan = plan_of(change("profile", PROFILE_ARN, profile_state(sessionPolicy=None), name="p"))
    assert "session_policy" not in render_terraform(plan).replace("# no session_policy", "")
    assert terraform_states(plan)[PROFILE_ARN] == without_mappings(
        profile_state(sessionPolicy=None)
    )
    assert "SessionPolicy" not in render_cloudformation(plan)


def test_crl_has_no_provider_resource_and_gets_the_cli_command() -> None:
    plan = plan_of(change("crl", CRL_ARN, {"enabled": True}, {"enabled": False}, name="corp"))
    text = render_terraform(plan)
    assert hcl_eval.parse(text) == []
    assert "aws rolesanywhere enable-crl --crl-id 9a8b7c6d-0000-4000-8000-000000000003" in text
    assert cloudformation_states(plan) == {CRL_ARN: {"enabled": True}}


def test_created_role_is_written_whole_with_its_policies() -> None:
    after = {
        "trustPolicy": ra_trust("new.app"),
        "create": {
            "path": "/ra/",
            "maxSessionDuration": 7200,
            "permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "inlinePolicies": {"s3": {"Version": "2012-10-17", "Statement": []}},
            "tags": {"team": "payments"},
        },
    }
    plan = plan_of(change("role", role_arn("ra-new"), after, before=None))
    plan.changes[0].before = None
    blocks = hcl_eval.parse(render_terraform(plan))
    by_kind = {b.labels[0]: b.attributes for b in blocks}
    assert by_kind["aws_iam_role"] == {
        "name": "ra-new",
        "path": "/ra/",
        "assume_role_policy": ra_trust("new.app"),
        "max_session_duration": 7200,
        "permissions_boundary": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
        "tags": {"team": "payments"},
    }
    assert by_kind["aws_iam_role_policy_attachment"] == {
        "role": "ra-new",
        "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    }
    assert by_kind["aws_iam_role_policy"] == {
        "name": "s3",
        "role": "ra-new",
        "policy": {"Version": "2012-10-17", "Statement": []},
    }
    props = yaml.safe_load(render_cloudformation(plan))["Resources"]["RaNewRole"]["Properties"]
    assert props["Path"] == "/ra/"
    assert props["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert props["Policies"] == [
        {"PolicyName": "s3", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}
    ]
    assert props["Tags"] == [{"Key": "team", "Value": "payments"}]


def test_names_are_valid_identifiers_and_unique() -> None:
    plan = plan_of(
        change("role", role_arn("9lives"), {"trustPolicy": ra_trust()}, cid="c1"),
        change("profile", PROFILE_ARN, profile_state(), name="my profile.v2", cid="c2"),
        change(
            "profile",
            PROFILE_ARN.replace("0002", "0004"),
            profile_state(),
            name="my profile v2",
            cid="c3",
        ),
    )
    labels = [b.labels for b in hcl_eval.parse(render_terraform(plan))]
    assert labels == [
        ["aws_iam_role", "_9lives"],
        ["aws_rolesanywhere_profile", "my_profile_v2"],
        ["aws_rolesanywhere_profile", "my_profile_v2_2"],
    ]
    resources = yaml.safe_load(render_cloudformation(plan))["Resources"]
    assert list(resources) == ["9livesRole", "MyProfileV2Profile", "MyProfileV2Profile2"]


def test_cloudformation_keeps_the_stacks_logical_id_and_role_name() -> None:
    managed = ManagedBy(
        "cloudformation",
        "aws:cloudformation:stack-name",
        "ra-stack",
        stack="ra-stack",
        logical_id="WorkloadRole",
    )
    trust = ra_trust("app")
    plan = plan_of(change("role", role_arn("ra-app"), {"trustPolicy": trust}, managed=managed))
    text = render_cloudformation(plan)
    template = yaml.safe_load(text)
    assert template["Resources"] == {
        "WorkloadRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {"RoleName": "ra-app", "AssumeRolePolicyDocument": trust},
        }
    }
    assert "managed by CloudFormation (stack ra-stack)" in text
    # "2012-10-17" must stay a string, not become a YAML date.
    assert (
        template["Resources"]["WorkloadRole"]["Properties"]["AssumeRolePolicyDocument"]["Version"]
        == "2012-10-17"
    )


def test_empty_plan_says_so() -> None:
    plan = plan_of()
    assert hcl_eval.parse(render_terraform(plan)) == []
    assert "No changes proposed" in render_terraform(plan)
    assert yaml.safe_load(render_cloudformation(plan))["Resources"] == {}


def test_unescaped_template_sequences_are_caught_by_the_reader() -> None:
    # Unescaped, an IAM variable is a Terraform interpolation: a syntax error here, or a
    # reference to a variable where it parses.
    with pytest.raises((hcl_eval.NotConstant, LarkError)):
        hcl_eval.parse('x = "${aws:username}"\n')
    with pytest.raises(hcl_eval.NotConstant):
        hcl_eval.parse('x = "${username}"\n')
    assert hcl_eval.parse(f"x = {string('${aws:username}')}\n") == []


# --- properties --------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "${aws:username}",
            "$${x}",
            "%{if}",
            "%%{",
            '"quoted"',
            "back\\slash",
            "\\u0041",
            "trailing$",
            "trailing%",
            "$",
            "${",
            "multi\nline\r\n",
            "tab\there",
            "é日本🙂",
            "\u2028\ufeff",
            "2012-10-17",
            "yes",
            "null",
            "~",
            "0x1F",
            "1e3",
            "- item",
            "key: value",
            "# not a comment",
        ]
    ),
    st.builds(
        lambda a, b: f"{a}${{aws:PrincipalTag/{b}}}",
        st.text(max_size=5),
        st.text(max_size=5),
    ),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | odd_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4)
    ),
    max_leaves=20,
)
documents = st.fixed_dictionaries(
    {
        "Version": st.just("2012-10-17"),
        "Statement": st.lists(st.dictionaries(odd_text, json_values, max_size=4), max_size=3),
    }
)
names = odd_text.filter(lambda s: s.strip() != "")
role_names = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,64}", fullmatch=True)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    changes: list[Change] = []
    for i, kind in enumerate(
        draw(st.lists(st.sampled_from(["role", "profile", "trust-anchor", "crl"]), max_size=5))
    ):
        cid = f"c{i + 1}"
        if kind == "role":
            arn = role_arn(draw(role_names))
            after: dict[str, Any] = {"trustPolicy": draw(documents)}
            name = None
        else:
            suffix = {"profile": "profile", "trust-anchor": "trust-anchor", "crl": "crl"}[kind]
            arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:{suffix}/id-{i}"
            name = draw(names)
            if kind == "profile":
                after = profile_state(
                    roleArns=draw(st.lists(odd_text, max_size=3)),
                    managedPolicyArns=draw(st.lists(odd_text, max_size=2)),
                    sessionPolicy=draw(st.none() | documents),
                    durationSeconds=draw(st.integers(900, 43200)),
                    acceptRoleSessionName=draw(st.booleans()),
                    attributeMappings=[
                        {
                            "certificateField": draw(odd_text),
                            "mappingRules": [{"specifier": s} for s in draw(st.lists(odd_text))],
                        }
                    ],
                )
            elif kind == "trust-anchor":
                after = anchor_state(
                    enabled=draw(st.booleans()),
                    notificationSettings=draw(
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "enabled": st.booleans(),
                                    "event": odd_text,
                                    "threshold": st.integers(1, 360),
                                    "channel": odd_text,
                                }
                            ),
                            max_size=2,
                        )
                    ),
                )
            else:
                after = {"enabled": draw(st.booleans())}
        if any(c.resource_arn == arn for c in changes):
            continue
        changes.append(change(kind, arn, after, name=name, cid=cid))
    return plan_of(*changes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_terraform_read_back_equals_the_after_states(plan: Plan) -> None:
    states = terraform_states(plan)
    for c in plan.changes:
        if c.resource_type == "crl":
            assert states[c.resource_arn] is None  # a comment, no resource
        else:
            assert states[c.resource_arn] == without_mappings(c.after), c.resource_type


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_cloudformation_read_back_equals_the_after_states(plan: Plan) -> None:
    states = cloudformation_states(plan)
    for c in plan.changes:
        assert states[c.resource_arn] == c.after, c.resource_type


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_value_reads_back_from_hcl(value: Any) -> None:
    (block,) = hcl_eval.parse(f'resource "t" "n" {{\n  v = {expression(value, 1)}\n}}\n')
    assert block.attributes["v"] == value


def test_a_resource_changed_in_several_phases_is_written_once_in_its_final_state() -> None:
    first = {"trustPolicy": ra_trust("a")}
    final = {"trustPolicy": ra_trust("b")}
    c1 = change("role", role_arn("ra-app"), first, cid="c1")
    c2 = change("role", role_arn("ra-app"), final, first, cid="c7")
    c2.phase = 3
    plan = plan_of(c1, c2)
    text = render_terraform(plan)
    assert text.count('resource "aws_iam_role"') == 1
    assert "# c1+c7: role" in text
    assert terraform_states(plan_of(c2)) == {role_arn("ra-app"): final}
    assert [b.attributes["assume_role_policy"] for b in hcl_eval.parse(text)] == [
        final["trustPolicy"]
    ]
    assert list(yaml.safe_load(render_cloudformation(plan))["Resources"]) == ["RaAppRole"]


def test_a_profile_the_plan_creates_is_named_from_its_pending_arn() -> None:
    arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/new:ra-payments-prod"
    plan = plan_of(change("profile", arn, profile_state(), before=None))
    plan.changes[0].before = None
    text = render_terraform(plan, title="rafix onboarding")
    assert text.startswith("# rafix onboarding for 111122223333 as Terraform")
    (block,) = hcl_eval.parse(text)
    assert block.labels == ["aws_rolesanywhere_profile", "ra-payments-prod"]
    assert block.attributes["name"] == "ra-payments-prod"
    assert "--profile-id <the new profile's ID>" in text
    template = yaml.safe_load(render_cloudformation(plan, title="rafix onboarding"))
    assert template["Description"] == "rafix onboarding for 111122223333"
    assert template["Resources"]["RaPaymentsProdProfile"]["Properties"]["Name"] == (
        "ra-payments-prod"
    )

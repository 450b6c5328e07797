"""Which tags mean a resource is managed by CloudFormation or Terraform."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remediations.checks.run import run_checks
from remediations.managed import CLOUDFORMATION, TERRAFORM, ManagedBy, drift_warning, managed_by
from remediations.model import Inventory, Profile, Role
from remediations.plan import Change, Plan, mark_managed
from remediations.shortcuts import plain_paths
from tests.shared import ra_trust


@pytest.mark.parametrize(
    "tags",
    [
        {"aws:cloudformation:stack-name": "ra", "aws:cloudformation:logical-id": "AppRole"},
        {"aws:cloudformation:stack-id": "arn:aws:cloudformation:eu-west-1:1:stack/ra/x"},
        {"AWS:CloudFormation:Stack-Name": "ra"},
    ],
)
def test_cloudformation_tags(tags: dict[str, str]) -> None:
    who = managed_by(tags)
    assert who is not None and who.tool == CLOUDFORMATION


def test_cloudformation_records_stack_and_logical_id() -> None:
    who = managed_by(
        {
            "team": "x",
            "aws:cloudformation:stack-name": "ra-stack",
            "aws:cloudformation:logical-id": "AppRole",
            "ManagedBy": "terraform",  # the stack's own tags win: AWS writes them
        }
    )
    assert who == ManagedBy(
        CLOUDFORMATION,
        "aws:cloudformation:stack-name",
        "ra-stack",
        stack="ra-stack",
        logical_id="AppRole",
    )
    assert "the next stack update will revert this" in drift_warning(who)
    assert "rafix plan --format cloudformation" in drift_warning(who)


@pytest.mark.parametrize(
    "tags",
    [
        {"ManagedBy": "terraform"},
        {"managed_by": "Terraform"},
        {"managed-by": "terraform-cloud"},
        {"CreatedBy": "OpenTofu"},
        {"Provisioner": "terragrunt"},
        {"IaC": "terraform"},
        {"Terraform": "true"},
        {"terraform": "yes"},
        {"terraform:workspace": "prod"},
        {"TerraformModule": "ra"},
        {"tf-workspace": "prod"},
        {"tf_module": "ra"},
    ],
)
def test_terraform_tags(tags: dict[str, str]) -> None:
    who = managed_by(tags)
    assert who is not None and who.tool == TERRAFORM
    assert "terraform apply will revert this" in drift_warning(who)


@pytest.mark.parametrize(
    "tags",
    [
        None,
        {},
        {"team": "payments", "env": "prod"},
        {"Terraform": "false"},
        {"ManagedBy": "platform-team"},
        {"Owner": "terraform"},  # not a key that names the tool
        {"tfl": "x"},
        {"Name": "terraform-state-bucket"},
    ],
)
def test_not_managed(tags: dict[str, str] | None) -> None:
    assert managed_by(tags) is None


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=6))
def test_any_tags_give_an_answer_that_round_trips(tags: dict[str, str]) -> None:
    who = managed_by(tags)
    if who is not None:
        assert who.tag in tags and tags[who.tag] == who.value
        assert ManagedBy.from_json(who.to_json()) == who


_KEYS = [
    "team",
    "Env",
    "ManagedBy",
    "managed_by",
    "Managed-By",
    "Terraform",
    "terraform:workspace",
    "TerraformModule",
    "tf-workspace",
    "TF_module",
    "tf.x",
    "aws:cloudformation:stack-name",
    "AWS:CloudFormation:logical-id",
    "iac",
    "I.A.C",
    "tool ",
    "terra",
    "",
]
_VALUES = ["terraform", "Terraform Cloud", "false", "no", "", "cdk", "opentofu", "x"]


@given(
    st.dictionaries(
        st.one_of(st.sampled_from(_KEYS), st.text(max_size=12)),
        st.one_of(st.sampled_from(_VALUES), st.text(max_size=8)),
        max_size=5,
    )
)
def test_tags_without_a_telling_key_are_told_like_the_plain_reading(tags: dict[str, str]) -> None:
    """The shortcut (keys that say nothing, told once per key) answers what reading every
    tag answers."""
    with plain_paths():
        plain = managed_by(tags)
    assert managed_by(tags) == plain


def _inventory() -> Inventory:
    inventory = Inventory(account_id="111122223333", origin="files")
    cfn = Role(
        arn="arn:aws:iam::111122223333:role/cfn",
        name="cfn",
        trust_policy=ra_trust(),
        tags={"aws:cloudformation:stack-name": "s"},
    )
    plain = Role(arn="arn:aws:iam::111122223333:role/plain", name="plain", trust_policy=ra_trust())
    profile = Profile(
        arn="arn:aws:rolesanywhere:eu-west-1:111122223333:profile/p1",
        profile_id="p1",
        name="team-profile",
        region="eu-west-1",
        role_arns=[cfn.arn, plain.arn],
        tags={"ManagedBy": "terraform"},
    )
    inventory.roles = {cfn.arn: cfn, plain.arn: plain}
    inventory.profiles = {profile.arn: profile}
    return inventory


def test_scan_findings_carry_managed_by() -> None:
    findings = run_checks(_inventory())
    tools = {f.resource_arn.rsplit("/", 1)[-1]: f.to_json()["managed_by"] for f in findings}
    assert tools["cfn"]["tool"] == CLOUDFORMATION
    assert tools["plain"] is None
    assert tools["p1"]["tool"] == TERRAFORM


def test_plan_changes_carry_name_and_managed_by_through_the_plan_file() -> None:
    inventory = _inventory()
    plan = Plan(source="files", account_id="111122223333")
    for i, arn in enumerate([*inventory.roles, *inventory.profiles], start=1):
        plan.changes.append(
            Change(
                id=f"c{i}",
                phase=1,
                resource_arn=arn,
                resource_type="profile" if ":profile/" in arn else "role",
                region="",
                finding_ids=[],
                summary="",
                why="",
                fingerprint="",
                before={},
                after={},
                calls=[],
                semantic_diff=[],
                text_diff="",
            )
        )
    mark_managed(plan, inventory)
    again = Plan.from_json(plan.to_json())
    assert [(c.resource_name, c.managed_by and c.managed_by.tool) for c in again.changes] == [
        ("cfn", CLOUDFORMATION),
        ("plain", None),
        ("team-profile", TERRAFORM),
    ]

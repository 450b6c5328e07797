"""Resources managed as code: tags that say CloudFormation or Terraform owns a resource.

A fix applied through the API to such a resource drifts from its code: the next stack update or
``terraform apply`` puts the flaw back. rafix marks these resources in the scan (finding
``managed_by``) and in the plan (per change), and ``rafix apply`` warns before changing them.

What counts (tag keys compared case-insensitively, ignoring ``-``, ``_``, ``:``, ``.`` and spaces;
values case-insensitively):

* CloudFormation: any ``aws:cloudformation:*`` tag. CloudFormation adds ``stack-name``,
  ``stack-id`` and ``logical-id`` to every resource of a stack that supports tags (CDK and SAM
  deploy through CloudFormation, so they are caught too).
* Terraform: Terraform adds no tag of its own, so rafix looks for the conventions teams use,
  most often set once in the AWS provider's ``default_tags``:

  - a key naming the tool with a value naming Terraform: ``ManagedBy``/``managed_by``/
    ``managed-by``, ``CreatedBy``, ``DeployedBy``, ``ProvisionedBy``, ``Provisioner``,
    ``IaC``, ``Tool``, ``Automation``, ``Orchestrator``, with ``terraform`` (or ``opentofu``,
    ``tofu``, ``terragrunt``, ``terraform-cloud``, ...);
  - the key ``Terraform`` (the terraform-aws-modules examples' ``Terraform = "true"``) with any
    value but ``false``/``no``/``0``;
  - keys that only Terraform set-ups write: starting with ``terraform`` (``terraform:workspace``,
    ``TerraformModule``, ``terraform_repo``) or with ``tf-``, ``tf_``, ``tf:``
    (``tf-workspace``, ``tf_module``).

  Where two rules match, CloudFormation wins (its tags are written by AWS, not by people).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from remediations.model import Inventory
from remediations.shortcuts import shortcuts_on

CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"

_CFN_PREFIX = "aws:cloudformation:"
_TOOL_KEYS = frozenset(
    {
        "managedby",
        "createdby",
        "deployedby",
        "provisionedby",
        "provisioner",
        "iac",
        "iactool",
        "tool",
        "automation",
        "orchestrator",
        "deploymenttool",
    }
)
_TERRAFORM_VALUE = re.compile(r"\b(terraform|opentofu|tofu|terragrunt)", re.IGNORECASE)
_FALSE = frozenset({"false", "no", "0", "off", ""})
_TF_KEY_PREFIXES = ("tf-", "tf_", "tf:")


@dataclass(frozen=True, slots=True)
class ManagedBy:
    """Who manages a resource, and the tag that says so."""

    tool: str  # CLOUDFORMATION | TERRAFORM
    tag: str
    value: str
    #: CloudFormation only: the stack and the resource's logical ID, when tagged.
    stack: str | None = None
    logical_id: str | None = None

    def describe(self) -> str:
        if self.tool == CLOUDFORMATION:
            where = f"stack {self.stack}" if self.stack else f"tag {self.tag}={self.value}"
            return f"CloudFormation ({where})"
        return f"Terraform (tag {self.tag}={self.value})"

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "tag": self.tag,
            "value": self.value,
            "stack": self.stack,
            "logical_id": self.logical_id,
        }

    @classmethod
    def from_json(cls, data: Any) -> ManagedBy | None:
        if not isinstance(data, dict) or not data.get("tool"):
            return None
        return cls(
            tool=str(data["tool"]),
            tag=str(data.get("tag", "")),
            value=str(data.get("value", "")),
            stack=_optional(data.get("stack")),
            logical_id=_optional(data.get("logical_id")),
        )


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def _norm(key: str) -> str:
    return re.sub(r"[-_:. ]", "", key).lower()


@lru_cache(maxsize=4096)
def _may_tell(key: str) -> bool:
    """Whether a tag key is one of those :func:`managed_by` reads (a CloudFormation key, a tool
    key, ``Terraform``, or a Terraform-only key), whatever its value."""
    norm, lowered = _norm(key), key.lower()
    return (
        lowered.startswith(_CFN_PREFIX)
        or norm in _TOOL_KEYS
        or norm.startswith("terraform")
        or lowered.startswith(_TF_KEY_PREFIXES)
    )


def managed_by(tags: Mapping[str, str] | None) -> ManagedBy | None:
    """Who manages a resource with these tags (see the module docstring); None: nobody known."""
    if not tags:
        return None
    if shortcuts_on() and not any(_may_tell(key) for key in tags):
        # Tag keys are a team's vocabulary (team, env, owner...): most resources carry none
        # that says anything, told once per key instead of once per resource.
        return None
    cfn = {k.lower(): (k, v) for k, v in tags.items() if k.lower().startswith(_CFN_PREFIX)}
    if cfn:
        stack = cfn.get(_CFN_PREFIX + "stack-name")
        logical = cfn.get(_CFN_PREFIX + "logical-id")
        key, value = stack or logical or next(iter(sorted(cfn.values())))
        return ManagedBy(
            CLOUDFORMATION,
            key,
            value,
            stack=stack[1] if stack else None,
            logical_id=logical[1] if logical else None,
        )
    for key, value in sorted(tags.items()):
        norm = _norm(key)
        if norm in _TOOL_KEYS and _TERRAFORM_VALUE.search(value):
            return ManagedBy(TERRAFORM, key, value)
        if norm == "terraform" and value.strip().lower() not in _FALSE:
            return ManagedBy(TERRAFORM, key, value)
        lowered = key.lower()
        if norm.startswith("terraform") and norm != "terraform":
            return ManagedBy(TERRAFORM, key, value)
        if lowered.startswith(_TF_KEY_PREFIXES):
            return ManagedBy(TERRAFORM, key, value)
    return None


def drift_warning(managed: ManagedBy) -> str:
    """What ``rafix apply`` says before changing a managed resource."""
    if managed.tool == CLOUDFORMATION:
        return (
            f"managed by {managed.describe()}: the next stack update will revert this; "
            "use the CloudFormation output: rafix plan --format cloudformation"
        )
    return (
        f"managed by {managed.describe()}: the next terraform apply will revert this; "
        "use the Terraform output: rafix plan --format terraform"
    )


def resource_tags(inventory: Inventory, arn: str) -> dict[str, str] | None:
    """The tags of a resource of the inventory; None when unknown (not read, or not there)."""
    role = inventory.roles.get(arn)
    if role is not None:
        return role.tags
    for store in (inventory.profiles, inventory.trust_anchors, inventory.crls):
        obj = store.get(arn)
        if obj is not None:
            tags: dict[str, str] | None = obj.tags
            return tags
    return None


def resource_name(inventory: Inventory, arn: str) -> str | None:
    """The name the account gives a resource (role name, profile/anchor/CRL name)."""
    for store in (inventory.roles, inventory.profiles, inventory.trust_anchors, inventory.crls):
        obj = store.get(arn)
        if obj is not None:
            name: str = obj.name
            return name or None
    return None


def managed_resource(inventory: Inventory, arn: str) -> ManagedBy | None:
    return managed_by(resource_tags(inventory, arn))

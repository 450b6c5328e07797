"""A plan as a CloudFormation template (YAML).

One resource per change, with the properties the fix sets and the values of the change's
after-state: merge them into your template's resource (its logical ID is the stack's own when
the resource carries the ``aws:cloudformation:logical-id`` tag). A resource the plan creates is
written whole.

- role: ``AWS::IAM::Role`` with ``RoleName`` and ``AssumeRolePolicyDocument`` (a created role
  also ``Path``, ``MaxSessionDuration``, ``PermissionsBoundary``, ``ManagedPolicyArns``,
  ``Policies``, ``Tags``);
- profile: ``AWS::RolesAnywhere::Profile`` with ``Name``, ``Enabled``, ``RoleArns``,
  ``ManagedPolicyArns``, ``SessionPolicy`` (a JSON string, as the property takes it),
  ``DurationSeconds``, ``AcceptRoleSessionName``, ``AttributeMappings``;
- trust anchor: ``AWS::RolesAnywhere::TrustAnchor`` with ``Name``, ``Enabled``,
  ``NotificationSettings`` (``Source`` stays as in your template);
- CRL: ``AWS::RolesAnywhere::CRL`` with ``Name`` and ``Enabled``.

Written with PyYAML's safe dumper: every string that YAML would read as something else (a date
such as ``2012-10-17``, ``yes``, a number) is quoted, and no CloudFormation intrinsic function
is used, so ``${aws:username}`` in a policy stays literal text.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from remediations.iac.names import LogicalIds, account_name, is_new, merged_changes, resource_id
from remediations.plan import Change, Plan

TYPES = {
    "role": "AWS::IAM::Role",
    "profile": "AWS::RolesAnywhere::Profile",
    "trust-anchor": "AWS::RolesAnywhere::TrustAnchor",
    "crl": "AWS::RolesAnywhere::CRL",
}
_SUFFIX = {"role": "Role", "profile": "Profile", "trust-anchor": "TrustAnchor", "crl": "Crl"}


def render_cloudformation(plan: Plan, *, title: str = "rafix fixes") -> str:
    """The plan's changes as a CloudFormation YAML template (comments say what each is).

    ``title`` starts the template's Description (onboarding: "rafix onboarding")."""
    ids = LogicalIds()
    resources: dict[str, Any] = {}
    notes: list[str] = []
    for change in merged_changes(plan):
        if change.after is None:
            notes.append(f"{change.id}: remove the resource for {account_name(change)}")
            continue
        cfn = change.managed_by.logical_id if change.managed_by else None
        logical = (
            ids.logical_id(cfn, exact=True)
            if cfn
            else ids.logical_id(account_name(change), _SUFFIX.get(change.resource_type, ""))
        )
        resource = _resource(change, change.after)
        if resource is None:
            notes.append(f"{change.id}: no CloudFormation form for a {change.resource_type}")
            continue
        resources[logical] = resource
        notes.append(_describe(change, logical))
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{title} for {plan.account_id or 'unknown account'}",
        "Resources": resources,
    }
    head = [
        f"{title} as CloudFormation; plan made {plan.created_at} from {plan.source or 'files'}.",
        "Each resource holds the properties the fix sets: merge them into your template's",
        "resource (same logical ID where the stack tagged it), then update the stack.",
    ]
    if not plan.changes:
        head.append("No changes proposed: nothing to write.")
    body = yaml.dump(
        template,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return _comment([*head, "", *notes]) + body


class _Dumper(yaml.SafeDumper):
    """The safe dumper, but a string holding a character YAML treats as a line break (NEL,
    U+2028, U+2029: IAM allows U+0085 in documents) is written double-quoted, with escapes:
    plain or single-quoted, a loader would read it back as a space."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if any(ch in value for ch in "\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def _comment(lines: list[str]) -> str:
    out = []
    for line in lines:
        for part in line.replace("\r", " ").split("\n"):
            out.append(f"# {part}".rstrip() + "\n")
    return "".join(out)


def _describe(change: Change, logical: str) -> str:
    text = f"{change.id}: {logical} ({TYPES.get(change.resource_type, '')})"
    if is_new(change):
        text += " NEW"
    if change.finding_ids:
        text += " fixes " + ", ".join(change.finding_ids)
    if change.managed_by is not None:
        text += "; managed by " + change.managed_by.describe()
    if change.phase > 1:
        text += f"; phase {change.phase}"
    return text


def _resource(change: Change, after: dict[str, Any]) -> dict[str, Any] | None:
    kind = change.resource_type
    if kind == "role":
        props = _role(change, after)
    elif kind == "profile":
        props = _profile(change, after)
    elif kind == "trust-anchor":
        props = {
            "Name": account_name(change),
            "Enabled": bool(after.get("enabled", True)),
            "NotificationSettings": [
                {
                    cfn: setting[key]
                    for key, cfn in (
                        ("enabled", "Enabled"),
                        ("event", "Event"),
                        ("threshold", "Threshold"),
                        ("channel", "Channel"),
                    )
                    if setting.get(key) is not None
                }
                for setting in after.get("notificationSettings") or []
            ],
        }
    elif kind == "crl":
        props = {"Name": account_name(change), "Enabled": bool(after.get("enabled"))}
    else:
        return None
    return {"Type": TYPES[kind], "Properties": props}


def _role(change: Change, after: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"RoleName": resource_id(change)}
    create = after.get("create") if is_new(change) else None
    if isinstance(create, dict):
        props["Path"] = create.get("path") or "/"
    props["AssumeRolePolicyDocument"] = after.get("trustPolicy")
    if isinstance(create, dict):
        if create.get("maxSessionDuration"):
            props["MaxSessionDuration"] = create["maxSessionDuration"]
        if create.get("permissionsBoundary"):
            props["PermissionsBoundary"] = create["permissionsBoundary"]
        if create.get("managedPolicyArns"):
            props["ManagedPolicyArns"] = list(create["managedPolicyArns"])
        if create.get("inlinePolicies"):
            props["Policies"] = [
                {"PolicyName": name, "PolicyDocument": doc}
                for name, doc in create["inlinePolicies"].items()
            ]
        if create.get("tags"):
            props["Tags"] = [{"Key": k, "Value": v} for k, v in create["tags"].items()]
    return props


def _profile(change: Change, after: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "Name": account_name(change),
        "Enabled": bool(after.get("enabled", True)),
        "RoleArns": list(after.get("roleArns") or []),
        "ManagedPolicyArns": list(after.get("managedPolicyArns") or []),
    }
    if after.get("sessionPolicy") is not None:
        # The property is a string; compact JSON, as the API stores it.
        props["SessionPolicy"] = json.dumps(
            after["sessionPolicy"], separators=(",", ":"), ensure_ascii=False
        )
    if after.get("durationSeconds") is not None:
        props["DurationSeconds"] = after["durationSeconds"]
    props["AcceptRoleSessionName"] = bool(after.get("acceptRoleSessionName"))
    if after.get("attributeMappings") is not None:
        props["AttributeMappings"] = [
            {
                "CertificateField": m.get("certificateField"),
                "MappingRules": [
                    {"Specifier": r.get("specifier")} for r in m.get("mappingRules") or []
                ],
            }
            for m in after["attributeMappings"]
        ]
    return props

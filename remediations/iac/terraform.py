"""A plan as Terraform (HCL) for the hashicorp/aws provider.

One block per change, holding the arguments the fix sets, with the values of the change's
after-state: merge them into the resource that manages it (a role's block is found by its
``name``). A resource the plan creates is written whole.

- role: ``aws_iam_role`` with ``assume_role_policy = jsonencode(...)``. ``jsonencode`` keeps the
  document exactly as planned; an ``aws_iam_policy_document`` data source would reorder it and
  fold one-element lists, so its JSON would no longer be the reviewed one. A created role also
  gets ``path``, ``max_session_duration``, ``permissions_boundary``, ``tags``, and one
  ``aws_iam_role_policy_attachment`` / ``aws_iam_role_policy`` per policy.
- profile: ``aws_rolesanywhere_profile`` with ``enabled``, ``role_arns``,
  ``managed_policy_arns``, ``session_policy`` (``jsonencode``), ``duration_seconds``,
  ``accept_role_session_name``. The provider has no argument for attribute mappings: when the
  fix changes them, the AWS CLI commands are given as comments.
- trust anchor: ``aws_rolesanywhere_trust_anchor`` with ``enabled`` and one
  ``notification_settings`` block per setting (``source`` stays as configured).
- CRL: the provider has no CRL resource; the AWS CLI command is given as a comment.
"""

from __future__ import annotations

import shlex
from typing import Any

from remediations.iac import hcl
from remediations.iac.names import TerraformNames, account_name, is_new, merged_changes, resource_id
from remediations.plan import Change, Plan

ROLE = "aws_iam_role"
PROFILE = "aws_rolesanywhere_profile"
ANCHOR = "aws_rolesanywhere_trust_anchor"


def render_terraform(plan: Plan, *, title: str = "rafix fixes") -> str:
    """The plan's changes as Terraform; empty plan: a comment saying there is nothing to do.

    ``title`` starts the header comment (onboarding: "rafix onboarding")."""
    names = TerraformNames()
    out = [_header(plan, title)]
    for change in merged_changes(plan):
        out.append("\n")
        out.append(_change_comment(change))
        out.append(_render_change(change, names))
    return "".join(out)


def _header(plan: Plan, title: str) -> str:
    account = plan.account_id or "unknown account"
    lines = [
        f"{title} for {account} as Terraform (hashicorp/aws provider); "
        f"plan made {plan.created_at} from {plan.source or 'files'}.",
    ]
    if plan.changes:
        lines.append(
            "Each block holds the arguments the fix sets: merge them into the resource that "
            "manages it,"
        )
        lines.append("then run terraform plan. Blocks marked NEW are resources to add.")
    else:
        lines.append("No changes proposed: nothing to write.")
    return hcl.comment("\n".join(lines))


def _change_comment(change: Change) -> str:
    lines = [f"{change.id}: {change.resource_type} {change.resource_arn}"]
    if change.finding_ids:
        lines.append("fixes: " + ", ".join(change.finding_ids))
    if change.summary:
        lines.append(change.summary)
    if change.managed_by is not None:
        lines.append("managed by " + change.managed_by.describe())
    if change.phase > 1:
        lines.append(f"phase {change.phase}: apply after the earlier phases are in place")
    return hcl.comment("\n".join(lines))


def _render_change(change: Change, names: TerraformNames) -> str:
    after = change.after
    if after is None:
        kind = {"role": ROLE, "profile": PROFILE}.get(change.resource_type, change.resource_type)
        return hcl.comment(f"remove the {kind} for {account_name(change)}: the plan deletes it")
    if change.resource_type == "role":
        return _role(change, after, names)
    if change.resource_type == "profile":
        return _profile(change, after, names)
    if change.resource_type == "trust-anchor":
        return _anchor(change, after, names)
    if change.resource_type == "crl":
        return _crl(change, after)
    return hcl.comment(f"no Terraform form for a {change.resource_type}")


def _attr(name: str, value: Any, indent: int = 1) -> str:
    return f"{'  ' * indent}{name} = {hcl.expression(value, indent)}\n"


def _jsonencode(name: str, document: Any, indent: int = 1) -> str:
    return f"{'  ' * indent}{name} = jsonencode({hcl.expression(document, indent)})\n"


def _block(kind: str, label: str, body: str, new: bool) -> str:
    mark = hcl.comment("NEW: add this resource") if new else ""
    return f"{mark}resource {hcl.string(kind)} {hcl.string(label)} {{\n{body}}}\n"


def _role(change: Change, after: dict[str, Any], names: TerraformNames) -> str:
    role_name = resource_id(change)
    label = names.name(ROLE, account_name(change))
    body = _attr("name", role_name)
    create = after.get("create") if is_new(change) else None
    if isinstance(create, dict):
        body += _attr("path", create.get("path") or "/")
    body += _jsonencode("assume_role_policy", after.get("trustPolicy"))
    extra = ""
    if isinstance(create, dict):
        if create.get("maxSessionDuration"):
            body += _attr("max_session_duration", create["maxSessionDuration"])
        if create.get("permissionsBoundary"):
            body += _attr("permissions_boundary", create["permissionsBoundary"])
        if create.get("tags"):
            body += _attr("tags", dict(create["tags"]))
        for arn in create.get("managedPolicyArns") or []:
            attach = names.name(
                "aws_iam_role_policy_attachment", f"{label}_{arn.rsplit('/', 1)[-1]}"
            )
            extra += _block(
                "aws_iam_role_policy_attachment",
                attach,
                _attr("role", role_name) + _attr("policy_arn", arn),
                True,
            )
        for policy_name, document in (create.get("inlinePolicies") or {}).items():
            inline = names.name("aws_iam_role_policy", f"{label}_{policy_name}")
            extra += _block(
                "aws_iam_role_policy",
                inline,
                _attr("name", policy_name)
                + _attr("role", role_name)
                + _jsonencode("policy", document),
                True,
            )
    return _block(ROLE, label, body, is_new(change)) + extra


def _profile(change: Change, after: dict[str, Any], names: TerraformNames) -> str:
    label = names.name(PROFILE, account_name(change))
    body = _attr("name", account_name(change))
    body += _attr("enabled", bool(after.get("enabled", True)))
    body += _attr("role_arns", list(after.get("roleArns") or []))
    body += _attr("managed_policy_arns", list(after.get("managedPolicyArns") or []))
    if after.get("sessionPolicy") is not None:
        body += _jsonencode("session_policy", after["sessionPolicy"])
    else:
        body += hcl.comment("no session_policy", 1)
    if after.get("durationSeconds") is not None:
        body += _attr("duration_seconds", after["durationSeconds"])
    body += _attr("accept_role_session_name", bool(after.get("acceptRoleSessionName")))
    out = _block(PROFILE, label, body, is_new(change))
    before = change.before or {}
    mappings = after.get("attributeMappings")
    if mappings is not None and mappings != before.get("attributeMappings"):
        out += _mapping_commands(change, before.get("attributeMappings") or [], mappings)
    return out


def _mapping_commands(
    change: Change, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> str:
    """The provider cannot set attribute mappings: the AWS CLI calls that do, as comments."""
    profile = resource_id(change) if not is_new(change) else "<the new profile's ID>"
    region = f" --region {change.region}" if change.region and change.region != "global" else ""
    lines = ["attribute mappings: aws_rolesanywhere_profile has no argument for them; run"]
    had = {m.get("certificateField") for m in before}
    for mapping in after:
        field = str(mapping.get("certificateField"))
        rules = [{"specifier": r.get("specifier")} for r in mapping.get("mappingRules") or []]
        if not rules:
            lines.append(
                f"  aws rolesanywhere delete-attribute-mapping --profile-id {profile}"
                f" --certificate-field {field}{region}"
            )
            continue
        specifiers = " ".join(f"specifier={shlex.quote(str(r['specifier']))}" for r in rules)
        lines.append(
            f"  aws rolesanywhere put-attribute-mapping --profile-id {profile}"
            f" --certificate-field {field} --mapping-rules {specifiers}{region}"
        )
    for field in sorted(str(f) for f in had - {m.get("certificateField") for m in after}):
        lines.append(
            f"  aws rolesanywhere delete-attribute-mapping --profile-id {profile}"
            f" --certificate-field {field}{region}"
        )
    return hcl.comment("\n".join(lines))


def _anchor(change: Change, after: dict[str, Any], names: TerraformNames) -> str:
    label = names.name(ANCHOR, account_name(change))
    body = _attr("name", account_name(change))
    body += _attr("enabled", bool(after.get("enabled", True)))
    body += hcl.comment("source { ... } stays as in your configuration", 1)
    for setting in after.get("notificationSettings") or []:
        inner = "".join(
            _attr(key, setting[key], 2)
            for key in ("enabled", "event", "threshold", "channel")
            if key in setting and setting[key] is not None
        )
        body += f"  notification_settings {{\n{inner}  }}\n"
    return _block(ANCHOR, label, body, is_new(change))


def _crl(change: Change, after: dict[str, Any]) -> str:
    op = "enable-crl" if after.get("enabled") else "disable-crl"
    region = f" --region {change.region}" if change.region and change.region != "global" else ""
    return hcl.comment(
        f"CRL {account_name(change)}: the hashicorp/aws provider has no CRL resource; run\n"
        f"  aws rolesanywhere {op} --crl-id {resource_id(change)}{region}"
    )

"""Resource state: the part of a resource rafix may change, in one comparable form.

Plans, snapshots, verification and rollback all speak in these states, so "what the plan was
made against", "what the snapshot holds" and "what the account shows now" compare directly.

State shapes (JSON-ready dicts):

- role: ``{"trustPolicy": <dict>}``; a role rafix creates (or reads back to verify or delete
  one) also carries ``"create"``: ``{"path", "maxSessionDuration", "permissionsBoundary" (ARN or
  None), "managedPolicyArns" (sorted), "inlinePolicies" ({name: document}), "tags" ({key:
  value})}`` (:func:`detailed_role_state`). A resource that does not exist is the state None.
- profile: ``{"enabled", "roleArns", "managedPolicyArns", "sessionPolicy" (dict or None),
  "durationSeconds", "acceptRoleSessionName", "attributeMappings" (list, sorted by field)}``
- trust-anchor: ``{"enabled", "notificationSettings" (list sorted by event, without
  configuredBy)}``
- crl: ``{"enabled"}``

A profile rafix creates (onboarding) has no ID until CreateProfile returns one, so plans,
snapshots and the executor address it by name until then: ``profile/new:<name>``
(:func:`pending_profile_arn`). Real profile IDs are UUIDs, so the two never collide.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from remediations.model import Crl, Inventory, Profile, Role, TrustAnchor

#: What a profile without a session policy is restored to: UpdateProfile cannot send an empty
#: sessionPolicy (min length 1), and deleting/recreating the profile would change its ARN and
#: break every client. This document is semantically neutral: session policies only filter.
NEUTRAL_SESSION_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Neutral", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DEFAULT_DURATION_SECONDS = 3600
DEFAULT_ATTRIBUTE_MAPPINGS: list[dict[str, Any]] = [
    {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
    {
        "certificateField": "x509SAN",
        "mappingRules": [{"specifier": "DNS"}, {"specifier": "URI"}, {"specifier": "Name/*"}],
    },
    {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}]},
]


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One AWS API call: botocore operation name and its parameters (JSON-ready)."""

    service: str  # "iam" | "rolesanywhere"
    operation: str  # e.g. "UpdateAssumeRolePolicy"
    params: dict[str, Any] = field(default_factory=dict)
    region: str | None = None  # None for IAM (global)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "region": self.region,
            "params": self.params,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApiCall:
        return cls(
            data["service"], data["operation"], dict(data.get("params") or {}), data.get("region")
        )

    def describe(self) -> str:
        target = next((str(v) for k, v in self.params.items() if k in _TARGET_KEYS), "")
        where = f" in {self.region}" if self.region else ""
        return f"{self.service}:{self.operation} {target}{where}".rstrip()


_TARGET_KEYS = ("RoleName", "profileId", "trustAnchorId", "crlId", "name")
#: How a profile that does not exist yet is named in its ARN (see the module docstring).
PENDING_PROFILE_PREFIX = "new:"


def pending_profile_arn(partition: str, region: str, account: str, name: str) -> str:
    """The ARN a plan uses for a profile it creates, until AWS gives the profile its ID."""
    return (
        f"arn:{partition}:rolesanywhere:{region}:{account}:profile/{PENDING_PROFILE_PREFIX}{name}"
    )


def pending_profile_name(arn_or_id: str) -> str | None:
    """The name of a profile addressed by :func:`pending_profile_arn`, else None."""
    rid = resource_id(arn_or_id)
    return (
        rid.removeprefix(PENDING_PROFILE_PREFIX) if rid.startswith(PENDING_PROFILE_PREFIX) else None
    )


def fingerprint(state: dict[str, Any] | None) -> str:
    """SHA-256 of the canonical JSON of a state; None ("should not exist yet") has one too."""
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def resource_id(arn: str) -> str:
    """The last path segment of an ARN (role name, profile/anchor/CRL id)."""
    return arn.rsplit("/", 1)[-1]


def region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None


def _sorted_mappings(mappings: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    source = DEFAULT_ATTRIBUTE_MAPPINGS if mappings is None else mappings
    out = []
    for m in source:
        rules = [{"specifier": r.get("specifier", "")} for r in m.get("mappingRules") or []]
        out.append({"certificateField": m.get("certificateField", ""), "mappingRules": rules})
    return sorted(out, key=lambda m: str(m["certificateField"]))


def _notification_state(settings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("enabled", "event", "threshold", "channel")
    out = [{k: s[k] for k in keep if k in s} for s in settings]
    return sorted(out, key=lambda s: (str(s.get("event")), str(s.get("channel"))))


def role_state(role: Role) -> dict[str, Any]:
    return {"trustPolicy": role.trust_policy}


def detailed_role_state(role: Role) -> dict[str, Any]:
    """A role's trust and everything a copy of it needs (what CreateRole and the policy calls
    set). Inline policies whose document could not be read are left out."""
    return {
        "trustPolicy": role.trust_policy,
        "create": {
            "path": role.path or "/",
            "maxSessionDuration": role.max_session_duration or DEFAULT_DURATION_SECONDS,
            "permissionsBoundary": role.permissions_boundary_arn,
            "managedPolicyArns": sorted(set(role.attached_policy_arns)),
            "inlinePolicies": {name: doc for name, doc in role.inline_policies if doc is not None},
            "tags": dict(role.tags),
        },
    }


def is_detailed(resource_type: str, *states: dict[str, Any] | None) -> bool:
    """Whether a role must be read with its permissions (:func:`detailed_role_state`) to
    compare with these states: one of them is a created role, or "does not exist"."""
    return resource_type == "role" and any(s is None or "create" in s for s in states)


def profile_state(profile: Profile) -> dict[str, Any]:
    return {
        "enabled": profile.enabled,
        "roleArns": list(profile.role_arns),
        "managedPolicyArns": list(profile.managed_policy_arns),
        "sessionPolicy": profile.session_policy,
        "durationSeconds": profile.duration_seconds or DEFAULT_DURATION_SECONDS,
        "acceptRoleSessionName": bool(profile.accept_role_session_name),
        "attributeMappings": _sorted_mappings(profile.attribute_mappings),
    }


def anchor_state(anchor: TrustAnchor) -> dict[str, Any]:
    return {
        "enabled": anchor.enabled,
        "notificationSettings": _notification_state(anchor.notification_settings),
    }


def crl_state(crl: Crl) -> dict[str, Any]:
    return {"enabled": crl.enabled}


def state_from_inventory(
    inventory: Inventory, resource_type: str, arn: str
) -> dict[str, Any] | None:
    """The state of one resource as the inventory saw it; None when it is not there."""
    if resource_type == "role":
        role = inventory.roles.get(arn)
        return role_state(role) if role else None
    if resource_type == "profile":
        profile = inventory.profiles.get(arn)
        return profile_state(profile) if profile else None
    if resource_type == "trust-anchor":
        anchor = inventory.trust_anchors.get(arn)
        return anchor_state(anchor) if anchor else None
    if resource_type == "crl":
        crl = inventory.crls.get(arn)
        return crl_state(crl) if crl else None
    raise ValueError(f"unknown resource type {resource_type!r}")


def equivalent(resource_type: str, a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two states mean the same; a profile without a session policy equals one with
    the neutral policy (the only faithful restore the API allows)."""
    if a is None or b is None:
        return a is b
    if resource_type == "profile":
        a, b = dict(a), dict(b)
        for s in (a, b):
            if s.get("sessionPolicy") in (None, NEUTRAL_SESSION_POLICY):
                s["sessionPolicy"] = None
    return fingerprint(a) == fingerprint(b)


def calls_to_reach(
    resource_type: str, arn: str, current: dict[str, Any] | None, target: dict[str, Any] | None
) -> list[ApiCall]:
    """The API calls that turn ``current`` into ``target`` (only what differs).

    None means "does not exist": roles are created (``target`` with a ``"create"`` block) or
    deleted (``target`` None, ``current`` read with :func:`detailed_role_state`'s shape);
    profiles are created under a :func:`pending_profile_arn` (the name comes from it) or deleted.

    Raises:
        ValueError: an unknown resource type, or creating/deleting something rafix cannot.
    """
    rid = resource_id(arn)
    region = region_of(arn)
    if current is None or target is None:
        if current is target:
            return []
        if resource_type == "profile":
            if target is not None:
                return _create_profile_calls(arn, region, target)
            return [ApiCall("rolesanywhere", "DeleteProfile", {"profileId": rid}, region)]
        if resource_type != "role":
            raise ValueError(f"rafix does not create or delete a {resource_type}")
        if target is not None:
            return _create_role_calls(rid, target)
        return _delete_role_calls(rid, current or {})
    if resource_type == "role":
        calls = []
        if current.get("trustPolicy") != target.get("trustPolicy"):
            doc = json.dumps(target["trustPolicy"], separators=(",", ":"), ensure_ascii=False)
            calls.append(
                ApiCall("iam", "UpdateAssumeRolePolicy", {"RoleName": rid, "PolicyDocument": doc})
            )
        if "create" in target and "create" in current:
            calls += _role_detail_calls(rid, current["create"], target["create"])
        return calls
    if resource_type == "profile":
        return _profile_calls(rid, region, current, target)
    if resource_type == "trust-anchor":
        calls = []
        if current.get("notificationSettings") != target.get("notificationSettings"):
            calls.append(
                ApiCall(
                    "rolesanywhere",
                    "PutNotificationSettings",
                    {"trustAnchorId": rid, "notificationSettings": target["notificationSettings"]},
                    region,
                )
            )
        if current.get("enabled") != target.get("enabled"):
            op = "EnableTrustAnchor" if target["enabled"] else "DisableTrustAnchor"
            calls.append(ApiCall("rolesanywhere", op, {"trustAnchorId": rid}, region))
        return calls
    if resource_type == "crl":
        if current.get("enabled") == target.get("enabled"):
            return []
        op = "EnableCrl" if target["enabled"] else "DisableCrl"
        return [ApiCall("rolesanywhere", op, {"crlId": rid}, region)]
    raise ValueError(f"unknown resource type {resource_type!r}")


def _profile_calls(
    rid: str, region: str | None, current: dict[str, Any], target: dict[str, Any]
) -> list[ApiCall]:
    calls: list[ApiCall] = []
    update: dict[str, Any] = {}
    if not equivalent(
        "profile",
        {"sessionPolicy": current.get("sessionPolicy")},
        {"sessionPolicy": target.get("sessionPolicy")},
    ):
        policy = target.get("sessionPolicy") or NEUTRAL_SESSION_POLICY
        update["sessionPolicy"] = json.dumps(policy, separators=(",", ":"), ensure_ascii=False)
    for key in ("roleArns", "managedPolicyArns", "durationSeconds", "acceptRoleSessionName"):
        if current.get(key) != target.get(key):
            update[key] = target[key]
    if update:
        calls.append(
            ApiCall("rolesanywhere", "UpdateProfile", {"profileId": rid, **update}, region)
        )
    cur_maps = {m["certificateField"]: m for m in current.get("attributeMappings") or []}
    tgt_maps = {m["certificateField"]: m for m in target.get("attributeMappings") or []}
    for cert_field, mapping in tgt_maps.items():
        if cur_maps.get(cert_field) != mapping:
            if mapping["mappingRules"]:
                params = {
                    "profileId": rid,
                    "certificateField": cert_field,
                    "mappingRules": mapping["mappingRules"],
                }
                calls.append(ApiCall("rolesanywhere", "PutAttributeMapping", params, region))
            else:
                calls.append(
                    ApiCall(
                        "rolesanywhere",
                        "DeleteAttributeMapping",
                        {"profileId": rid, "certificateField": cert_field},
                        region,
                    )
                )
    for cert_field in cur_maps.keys() - tgt_maps.keys():
        calls.append(
            ApiCall(
                "rolesanywhere",
                "DeleteAttributeMapping",
                {"profileId": rid, "certificateField": cert_field},
                region,
            )
        )
    if current.get("enabled") != target.get("enabled"):
        op = "EnableProfile" if target["enabled"] else "DisableProfile"
        calls.append(ApiCall("rolesanywhere", op, {"profileId": rid}, region))
    return calls


def _create_profile_calls(arn: str, region: str | None, target: dict[str, Any]) -> list[ApiCall]:
    """CreateProfile with every setting it takes, then the attribute mappings that differ
    from the defaults a new profile gets (CreateProfile takes no mappings)."""
    name = pending_profile_name(arn)
    if name is None:
        raise ValueError(f"{arn}: a profile rafix creates needs a pending ARN (profile/new:NAME)")
    params: dict[str, Any] = {
        "name": name,
        "roleArns": list(target["roleArns"]),
        "enabled": bool(target.get("enabled", True)),
        "durationSeconds": target.get("durationSeconds") or DEFAULT_DURATION_SECONDS,
        "acceptRoleSessionName": bool(target.get("acceptRoleSessionName")),
    }
    if target.get("managedPolicyArns"):
        params["managedPolicyArns"] = list(target["managedPolicyArns"])
    if target.get("sessionPolicy") is not None:
        params["sessionPolicy"] = _policy_text(target["sessionPolicy"])
    created = dict(target, attributeMappings=_sorted_mappings(None))
    mappings = _profile_calls(resource_id(arn), region, created, target)
    return [ApiCall("rolesanywhere", "CreateProfile", params, region), *mappings]


def _policy_text(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _create_role_calls(rid: str, target: dict[str, Any]) -> list[ApiCall]:
    """CreateRole with the trust, path, duration, boundary and tags; then the policies."""
    spec = target.get("create")
    if not isinstance(spec, dict):
        raise ValueError(f"role {rid}: a created role's state needs a 'create' block")
    params: dict[str, Any] = {
        "RoleName": rid,
        "Path": spec.get("path") or "/",
        "AssumeRolePolicyDocument": _policy_text(target["trustPolicy"]),
        "MaxSessionDuration": spec.get("maxSessionDuration") or DEFAULT_DURATION_SECONDS,
    }
    if spec.get("permissionsBoundary"):
        params["PermissionsBoundary"] = spec["permissionsBoundary"]
    if spec.get("tags"):
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(spec["tags"].items())]
    empty: dict[str, Any] = {"managedPolicyArns": [], "inlinePolicies": {}}
    policies = {k: v for k, v in spec.items() if k in empty}
    return [ApiCall("iam", "CreateRole", params), *_role_detail_calls(rid, empty, policies)]


def _delete_role_calls(rid: str, current: dict[str, Any]) -> list[ApiCall]:
    """DeleteRole needs the role's inline policies deleted and managed ones detached first."""
    spec = current.get("create") or {}
    calls = [
        ApiCall("iam", "DeleteRolePolicy", {"RoleName": rid, "PolicyName": name})
        for name in sorted(spec.get("inlinePolicies") or {})
    ]
    calls += [
        ApiCall("iam", "DetachRolePolicy", {"RoleName": rid, "PolicyArn": arn})
        for arn in sorted(spec.get("managedPolicyArns") or [])
    ]
    return [*calls, ApiCall("iam", "DeleteRole", {"RoleName": rid})]


def _role_detail_calls(rid: str, current: dict[str, Any], target: dict[str, Any]) -> list[ApiCall]:
    """Calls for the parts of ``target``'s create block that differ from ``current``'s (a key
    absent from ``target`` is left alone)."""
    calls: list[ApiCall] = []

    def call(operation: str, **params: Any) -> None:
        calls.append(ApiCall("iam", operation, {"RoleName": rid, **params}))

    duration = target.get("maxSessionDuration")
    if duration is not None and duration != current.get("maxSessionDuration"):
        call("UpdateRole", MaxSessionDuration=duration)
    if "permissionsBoundary" in target:
        boundary = target["permissionsBoundary"]
        if boundary and boundary != current.get("permissionsBoundary"):
            call("PutRolePermissionsBoundary", PermissionsBoundary=boundary)
        elif not boundary and current.get("permissionsBoundary"):
            call("DeleteRolePermissionsBoundary")
    if "managedPolicyArns" in target:
        have, want = set(current.get("managedPolicyArns") or []), set(target["managedPolicyArns"])
        for arn in sorted(want - have):
            call("AttachRolePolicy", PolicyArn=arn)
        for arn in sorted(have - want):
            call("DetachRolePolicy", PolicyArn=arn)
    if "inlinePolicies" in target:
        have_docs, want_docs = current.get("inlinePolicies") or {}, target["inlinePolicies"]
        for name, doc in sorted(want_docs.items()):
            if have_docs.get(name) != doc:
                call("PutRolePolicy", PolicyName=name, PolicyDocument=_policy_text(doc))
        for name in sorted(set(have_docs) - set(want_docs)):
            call("DeleteRolePolicy", PolicyName=name)
    if "tags" in target:
        have_tags, want_tags = current.get("tags") or {}, target["tags"]
        changed = {k: v for k, v in want_tags.items() if have_tags.get(k) != v}
        if changed:
            call("TagRole", Tags=[{"Key": k, "Value": v} for k, v in sorted(changed.items())])
        gone = sorted(set(have_tags) - set(want_tags))
        if gone:
            call("UntagRole", TagKeys=gone)
    return calls

"""The Roles Anywhere operations the sandbox answers, one handler each, registered by name."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from remediations.sources.sandbox.service import (
    DEFAULT_DURATION_SECONDS,
    DEFAULT_MAPPINGS,
    JSON,
    MAX_TAGS,
    AccountService,
    RegionState,
    ServiceError,
    default_notification_settings,
    invalid,
    not_found,
    now,
)
from remediations.sources.sandbox.wire import page

# --- operations ---------------------------------------------------------------------------

Handler = Callable[[AccountService, RegionState, str, JSON], JSON]
OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        OPERATIONS[name] = fn
        return fn

    return register


def _arn(emu: AccountService, region: str, kind: str, ident: str) -> str:
    return f"arn:aws:rolesanywhere:{region}:{emu.account_id}:{kind}/{ident}"


def _get(store: dict[str, JSON], ident: str, what: str) -> JSON:
    item = store.get(ident)
    if item is None:
        raise not_found(what, ident)
    return item


def _touch(item: JSON) -> JSON:
    item["updatedAt"] = now()
    return item


def _store_tags(state: RegionState, arn: str, tags: list[JSON] | None) -> None:
    if tags:
        if len(tags) > MAX_TAGS:
            raise ServiceError("TooManyTagsException", f"at most {MAX_TAGS} tags per resource")
        state.tags[arn] = {t["key"]: t.get("value", "") for t in tags}


# Trust anchors


def _check_source(source: JSON) -> None:
    source_type = source.get("sourceType")
    data = source.get("sourceData") or {}
    if source_type == "CERTIFICATE_BUNDLE":
        pem = data.get("x509CertificateData")
        if not pem:
            raise invalid("sourceData.x509CertificateData is required for CERTIFICATE_BUNDLE")
        _check_ca_certificate(pem)
    elif source_type == "AWS_ACM_PCA" and not data.get("acmPcaArn"):
        raise invalid("sourceData.acmPcaArn is required for AWS_ACM_PCA")


def _check_ca_certificate(pem: str) -> None:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise invalid(f"x509CertificateData is not a CA certificate: {exc}") from exc
    if not constraints.ca:
        raise invalid("x509CertificateData is not a CA certificate (basicConstraints CA:false)")


@operation("CreateTrustAnchor")
def _create_anchor(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    _check_source(p["source"])
    ident = str(uuid.uuid4())
    moment = now()
    anchor = {
        "trustAnchorId": ident,
        "trustAnchorArn": _arn(emu, region, "trust-anchor", ident),
        "name": p["name"],
        "source": p["source"],
        "enabled": p.get("enabled", False),
        "createdAt": moment,
        "updatedAt": moment,
        "notificationSettings": _merge_notifications(
            default_notification_settings(), p.get("notificationSettings") or [], emu.account_id
        ),
    }
    state.anchors[ident] = anchor
    _store_tags(state, anchor["trustAnchorArn"], p.get("tags"))
    return {"trustAnchor": anchor}


@operation("UpdateTrustAnchor")
def _update_anchor(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    anchor = _get(state.anchors, p["trustAnchorId"], "Trust anchor")
    if "source" in p:
        _check_source(p["source"])
        anchor["source"] = p["source"]
    if "name" in p:
        anchor["name"] = p["name"]
    return {"trustAnchor": _touch(anchor)}


def _merge_notifications(
    current: list[JSON], updates: list[JSON], configured_by: str
) -> list[JSON]:
    """Each update replaces the setting with the same (event, channel)."""
    merged = {(s["event"], s.get("channel", "ALL")): s for s in current}
    for update in updates:
        if update.get("enabled") and "threshold" not in update:
            raise invalid("threshold is required for an enabled notification setting")
        key = (update["event"], update.get("channel", "ALL"))
        setting = {"channel": "ALL", **update, "configuredBy": configured_by}
        if "threshold" not in setting and key in merged:
            setting["threshold"] = merged[key].get("threshold")
        merged[key] = setting
    return list(merged.values())


@operation("PutNotificationSettings")
def _put_notifications(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    anchor = _get(state.anchors, p["trustAnchorId"], "Trust anchor")
    anchor["notificationSettings"] = _merge_notifications(
        anchor["notificationSettings"], p["notificationSettings"], emu.account_id
    )
    return {"trustAnchor": _touch(anchor)}


@operation("ResetNotificationSettings")
def _reset_notifications(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    anchor = _get(state.anchors, p["trustAnchorId"], "Trust anchor")
    defaults = {(s["event"], s["channel"]): s for s in default_notification_settings()}
    current = {(s["event"], s.get("channel", "ALL")): s for s in anchor["notificationSettings"]}
    for key_spec in p["notificationSettingKeys"]:
        key = (key_spec["event"], key_spec.get("channel", "ALL"))
        if key in defaults:
            current[key] = defaults[key]
    anchor["notificationSettings"] = list(current.values())
    return {"trustAnchor": _touch(anchor)}


# Profiles


def _check_session_policy(text: str | None) -> None:
    if text is None:
        return
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise invalid(f"sessionPolicy is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or "Statement" not in document:
        raise invalid("sessionPolicy is not a policy document (no Statement)")


@operation("CreateProfile")
def _create_profile(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    _check_session_policy(p.get("sessionPolicy"))
    ident = str(uuid.uuid4())
    moment = now()
    profile = {
        "profileId": ident,
        "profileArn": _arn(emu, region, "profile", ident),
        "name": p["name"],
        "requireInstanceProperties": p.get("requireInstanceProperties", False),
        "enabled": p.get("enabled", False),
        "createdBy": f"arn:aws:iam::{emu.account_id}:user/sandbox",
        "sessionPolicy": p.get("sessionPolicy"),
        "roleArns": list(p["roleArns"]),
        "managedPolicyArns": list(p.get("managedPolicyArns") or []),
        "createdAt": moment,
        "updatedAt": moment,
        "durationSeconds": p.get("durationSeconds", DEFAULT_DURATION_SECONDS),
        "acceptRoleSessionName": p.get("acceptRoleSessionName", False),
        "attributeMappings": json.loads(json.dumps(DEFAULT_MAPPINGS)),
    }
    state.profiles[ident] = profile
    _store_tags(state, profile["profileArn"], p.get("tags"))
    return {"profile": profile}


@operation("UpdateProfile")
def _update_profile(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    profile = _get(state.profiles, p["profileId"], "Profile")
    _check_session_policy(p.get("sessionPolicy"))
    duration = p.get("durationSeconds")
    if duration is not None and not 900 <= duration <= 43200:
        raise invalid("durationSeconds must be between 900 and 43200")
    for key in (
        "name",
        "sessionPolicy",
        "roleArns",
        "managedPolicyArns",
        "durationSeconds",
        "acceptRoleSessionName",
    ):
        if key in p:
            profile[key] = p[key]
    return {"profile": _touch(profile)}


def _mappings(profile: JSON) -> Iterator[JSON]:
    yield from profile.get("attributeMappings") or []


@operation("PutAttributeMapping")
def _put_mapping(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    """Replaces the rules of one certificate field (adds the field when it has none)."""
    profile = _get(state.profiles, p["profileId"], "Profile")
    others = [m for m in _mappings(profile) if m["certificateField"] != p["certificateField"]]
    mapping = {"certificateField": p["certificateField"], "mappingRules": p["mappingRules"]}
    profile["attributeMappings"] = sorted(
        [*others, mapping], key=lambda m: str(m["certificateField"])
    )
    return {"profile": _touch(profile)}


@operation("DeleteAttributeMapping")
def _delete_mapping(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    """Drops the given specifiers of a field, or the whole field when none are given."""
    profile = _get(state.profiles, p["profileId"], "Profile")
    kept = []
    for mapping in _mappings(profile):
        if mapping["certificateField"] == p["certificateField"]:
            drop = set(p.get("specifiers") or [])
            rules = [r for r in mapping["mappingRules"] if drop and r["specifier"] not in drop]
            if rules:
                kept.append({**mapping, "mappingRules": rules})
        else:
            kept.append(mapping)
    profile["attributeMappings"] = kept
    return {"profile": _touch(profile)}


# CRLs


def _check_crl(data: bytes) -> None:
    """The service wants a PEM CRL (RA-UG p.50)."""
    from cryptography import x509

    try:
        x509.load_pem_x509_crl(data)
    except ValueError as exc:
        raise invalid(f"crlData is not a PEM certificate revocation list: {exc}") from exc


_ANCHOR_ARN = re.compile(r"^arn:aws[a-z-]*:rolesanywhere:([a-z0-9-]+):(\d{12}):trust-anchor/.+$")


@operation("ImportCrl")
def _import_crl(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    match = _ANCHOR_ARN.match(p["trustAnchorArn"])
    if not match or match.group(1) != region or match.group(2) != emu.account_id:
        raise invalid("trustAnchorArn must be a trust anchor of this account and region")
    _check_crl(p["crlData"])
    ident = str(uuid.uuid4())
    moment = now()
    crl = {
        "crlId": ident,
        "crlArn": _arn(emu, region, "crl", ident),
        "name": p["name"],
        "enabled": p.get("enabled", False),
        "crlData": p["crlData"],
        "trustAnchorArn": p["trustAnchorArn"],
        "createdAt": moment,
        "updatedAt": moment,
    }
    state.crls[ident] = crl
    _store_tags(state, crl["crlArn"], p.get("tags"))
    return {"crl": crl}


@operation("UpdateCrl")
def _update_crl(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    crl = _get(state.crls, p["crlId"], "CRL")
    if "crlData" in p:
        _check_crl(p["crlData"])
        crl["crlData"] = p["crlData"]
    if "name" in p:
        crl["name"] = p["name"]
    return {"crl": _touch(crl)}


# Get, List, Delete, Enable and Disable work alike for trust anchors, profiles and CRLs.


@dataclass(frozen=True)
class _Kind:
    """One resource kind: its operation suffix, store, id parameter and output members."""

    name: str  # operation suffix: GetTrustAnchor, ListTrustAnchors, ...
    store: str  # RegionState attribute
    id_param: str
    arn_field: str
    one: str  # output member of Get/Delete/Enable/Disable
    many: str  # output member of List
    label: str  # for "not found" messages


_KINDS = (
    _Kind(
        "TrustAnchor",
        "anchors",
        "trustAnchorId",
        "trustAnchorArn",
        "trustAnchor",
        "trustAnchors",
        "Trust anchor",
    ),
    _Kind("Profile", "profiles", "profileId", "profileArn", "profile", "profiles", "Profile"),
    _Kind("Crl", "crls", "crlId", "crlArn", "crl", "crls", "CRL"),
)


def _register_common(kind: _Kind) -> None:
    def items(state: RegionState) -> dict[str, JSON]:
        store: dict[str, JSON] = getattr(state, kind.store)
        return store

    def get(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
        return {kind.one: _get(items(state), p[kind.id_param], kind.label)}

    def list_all(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
        found, token = page(list(items(state).values()), p)
        return {kind.many: found, "nextToken": token}

    def delete(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
        item = _get(items(state), p[kind.id_param], kind.label)
        del items(state)[p[kind.id_param]]
        state.tags.pop(item[kind.arn_field], None)
        return {kind.one: item}

    def set_enabled(enabled: bool) -> Handler:
        def handler(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
            item = _get(items(state), p[kind.id_param], kind.label)
            item["enabled"] = enabled
            return {kind.one: _touch(item)}

        return handler

    operation(f"Get{kind.name}")(get)
    operation(f"List{kind.name}s")(list_all)
    operation(f"Delete{kind.name}")(delete)
    operation(f"Enable{kind.name}")(set_enabled(True))
    operation(f"Disable{kind.name}")(set_enabled(False))


for _kind in _KINDS:
    _register_common(_kind)


# Subjects (created by CreateSession on the real service; seeded from files here)


@operation("ListSubjects")
def _list_subjects(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    items, token = page(list(state.subjects.values()), p)
    return {"subjects": items, "nextToken": token}


@operation("GetSubject")
def _get_subject(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    subject = _get(state.subjects, p["subjectId"], "Subject")
    return {"subject": {"credentials": [], "instanceProperties": [], **subject}}


# Tags


def _tagged(state: RegionState, arn: str) -> JSON:
    item = state.by_arn(arn)
    if item is None:
        raise not_found("Resource", arn)
    return item


@operation("ListTagsForResource")
def _list_tags(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    _tagged(state, p["resourceArn"])
    tags = state.tags.get(p["resourceArn"], {})
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}


@operation("TagResource")
def _tag(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    _tagged(state, p["resourceArn"])
    tags = {**state.tags.get(p["resourceArn"], {}), **{t["key"]: t["value"] for t in p["tags"]}}
    if len(tags) > MAX_TAGS:
        raise ServiceError("TooManyTagsException", f"at most {MAX_TAGS} tags per resource")
    state.tags[p["resourceArn"]] = tags
    return {}


@operation("UntagResource")
def _untag(emu: AccountService, state: RegionState, region: str, p: JSON) -> JSON:
    _tagged(state, p["resourceArn"])
    tags = state.tags.get(p["resourceArn"], {})
    for key in p["tagKeys"]:
        tags.pop(key, None)
    return {}

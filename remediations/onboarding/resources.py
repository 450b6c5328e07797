"""The states onboarding creates: the role (trust and permissions policies) and the profile."""

from __future__ import annotations

import copy
import re
from typing import Any

from remediations.errors import PolicyError
from remediations.iam.managed_policies import resolve_policy
from remediations.iam.policy import as_list
from remediations.model import Inventory, Profile, Role
from remediations.onboarding.request import (
    DURATION_SECONDS,
    GUARDRAIL_ALLOW_SID,
    GUARDRAIL_DENY_SIDS,
    ONBOARDING_TAG,
    PERMISSIONS_POLICY_NAME,
    TRUST_SID,
    OnboardingError,
    OnboardNames,
    OnboardRequest,
)
from remediations.onboarding.validate import allowed_prefixes
from remediations.proposals.render import check_document, render, render_document
from remediations.state import NEUTRAL_SESSION_POLICY

# --- states ------------------------------------------------------------------------------------


def _trust_policy(
    anchor_arn: str, cn: str, ou: str | None, issuer_cn: str, spiffe: str | None
) -> dict[str, Any]:
    if spiffe is not None:
        statement = render(
            "trust_statement_spiffe.json.j2",
            sid=TRUST_SID,
            trust_anchor_arns=[anchor_arn],
            uri=spiffe,
            cn=cn,
            ou=ou,
            issuer_cn=issuer_cn,
        )
    else:
        statement = render(
            "trust_statement_hardened.json.j2",
            sid=TRUST_SID,
            trust_anchor_arns=[anchor_arn],
            cn=cn,
            ou=ou,
            issuer_cn=issuer_cn,
        )
    return render_document("trust_policy_onboarding.json.j2", statement=statement)


def _sid(service: str) -> str:
    return "Allow" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service))


def _permissions_policy(services: list[str], scoped: dict[str, list[str]]) -> dict[str, Any]:
    statements = [(_sid(s), s, scoped.get(s) or "*") for s in services]
    return render_document("identity_policy_onboarding.json.j2", statements=statements)


def role_state(
    request: OnboardRequest,
    anchor_arn: str,
    cn: str,
    ou: str | None,
    issuer_cn: str,
    spiffe: str | None,
    services: list[str],
    scoped: dict[str, list[str]],
    managed: list[str],
) -> dict[str, Any]:
    inline: dict[str, Any] = {}
    # The role's own permissions: the named services (and those of the resources), unless
    # managed policies alone were asked for.
    own = [s for s in services if s in scoped or s in _requested_services(request)]
    if own:
        inline[PERMISSIONS_POLICY_NAME] = _permissions_policy(own, scoped)
    return {
        "trustPolicy": _trust_policy(anchor_arn, cn, ou, issuer_cn, spiffe),
        "create": {
            "path": "/",
            "maxSessionDuration": DURATION_SECONDS,
            "permissionsBoundary": None,
            "managedPolicyArns": sorted(managed),
            "inlinePolicies": inline,
            "tags": {ONBOARDING_TAG: _tag_value(request)},
        },
    }


def _requested_services(request: OnboardRequest) -> set[str]:
    return {n.strip().lower() for raw in request.services for n in str(raw).split(",")}


def _tag_value(request: OnboardRequest) -> str:
    return f"{request.workload}/{request.env}/{request.team}"


def find_existing_role(
    inventory: Inventory, role_name: str, request: OnboardRequest
) -> Role | None:
    """The role of an earlier run of this onboarding; refuses a name taken by another role."""
    for role in inventory.roles.values():
        if role.name.lower() != role_name.lower():
            continue
        if role.tags.get(ONBOARDING_TAG) == _tag_value(request) and role.name == role_name:
            return role
        raise OnboardingError(
            f"role name {role.name} is already taken by {role.arn}, which this onboarding did "
            "not create; choose another --workload/--env or change role_name_template"
        )
    return None


def team_profile(inventory: Inventory, region: str, name: str) -> Profile | None:
    found = [p for p in inventory.profiles.values() if p.region == region and p.name == name]
    if len(found) > 1:
        raise OnboardingError(
            f"{len(found)} profiles in {region} are named {name}; rafix cannot tell which is "
            "the team's (rename one, or change profile_name_template)"
        )
    if not found:
        return None
    profile = found[0]
    if not profile.enabled:
        raise OnboardingError(
            f"profile {name} ({profile.arn}) exists but is disabled: enable it, or change "
            "profile_name_template to onboard into another profile"
        )
    if profile.require_instance_properties:
        raise OnboardingError(
            f"profile {name} ({profile.arn}) requires instance properties, which the "
            "printed signing-helper configuration does not send; choose another profile name"
        )
    if profile.session_policy_error is not None:
        raise OnboardingError(
            f"profile {name}'s session policy cannot be read ({profile.session_policy_error})"
        )
    return profile


def _is_guardrail_policy(policy: dict[str, Any]) -> bool:
    sids = {str(s.get("Sid")) for s in as_list(policy.get("Statement")) if isinstance(s, dict)}
    return sids >= GUARDRAIL_DENY_SIDS


def _guardrail_allow(policy: dict[str, Any]) -> list[str]:
    for statement in as_list(policy.get("Statement")):
        if isinstance(statement, dict) and statement.get("Sid") == GUARDRAIL_ALLOW_SID:
            return [str(a) for a in as_list(statement.get("Action"))]
    return []


def _role_services(role: Role, inventory: Inventory) -> set[str]:
    """The services a role's permissions reach, to keep them in a shared session policy."""
    documents = [doc for _name, doc in role.inline_policies]
    documents += [resolve_policy(arn, inventory.policies) for arn in role.attached_policy_arns]
    out: set[str] = set()
    for document in documents:
        if document is None:
            raise OnboardingError(
                f"a permissions policy of {role.name} cannot be read, so rafix cannot tell "
                "which services the profile's session policy must keep allowing"
            )
        out |= allowed_prefixes(document, f"{role.name}'s permissions")
    return out


def team_profile_state(
    inventory: Inventory,
    profile: Profile | None,
    role_arn: str,
    services: list[str],
    role_after: dict[str, Any],
    before: dict[str, Any] | None,
) -> dict[str, Any]:
    allow = {f"{s}:*" for s in services}
    if before is None:
        return {
            "enabled": True,
            "roleArns": [role_arn],
            "managedPolicyArns": [],
            "sessionPolicy": _session_policy(sorted(allow)),
            "durationSeconds": DURATION_SECONDS,
            "acceptRoleSessionName": False,
            "attributeMappings": _mappings_for([role_after["trustPolicy"]], None),
        }
    assert profile is not None
    after = copy.deepcopy(before)
    current = before.get("sessionPolicy")
    if current is None or current == NEUTRAL_SESSION_POLICY:
        for arn in before["roleArns"]:
            role = _role_for_arn(inventory, arn)
            if role is None:
                raise OnboardingError(
                    f"profile {profile.name} lists {arn}, which rafix cannot read; it cannot "
                    "tell which services the new session policy must keep allowing"
                )
            allow |= {f"{s}:*" for s in _role_services(role, inventory)}
    elif _is_guardrail_policy(current):
        allow |= set(_guardrail_allow(current))
    else:
        raise OnboardingError(
            f"profile {profile.name} has a session policy rafix did not write; onboarding "
            "would replace it. Change profile_name_template to onboard into another profile, "
            "or adopt rafix's guardrail policy with `rafix plan` first"
        )
    after["sessionPolicy"] = _session_policy(sorted(allow))
    if role_arn not in after["roleArns"]:
        after["roleArns"] = [*after["roleArns"], role_arn]
    after["durationSeconds"] = min(int(before["durationSeconds"]), DURATION_SECONDS)
    after["acceptRoleSessionName"] = False
    after["attributeMappings"] = _mappings_for(
        [role_after["trustPolicy"]], before["attributeMappings"]
    )
    return after


def _role_for_arn(inventory: Inventory, arn: str) -> Role | None:
    role = inventory.roles.get(arn)
    if role is not None:
        return role
    name = arn.rsplit("/", 1)[-1]
    return next((r for r in inventory.roles.values() if r.name == name), None)


def _session_policy(allow_actions: list[str]) -> dict[str, Any]:
    policy = render("session_policy_guardrails.json.j2", allow_actions=allow_actions)
    if not isinstance(policy, dict):
        raise PolicyError("the guardrail session policy template did not render an object")
    check_document(policy, "session", what="the profile's session policy")
    return policy


#: certificate field of a condition key -> how its specifier is written in a mapping.
_FIELD_OF_KEY = {
    "x509subject": "x509Subject",
    "x509issuer": "x509Issuer",
    "x509san": "x509SAN",
}


def _mappings_for(
    trust_policies: list[dict[str, Any]], current: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Attribute mappings: for a new profile only what the trust conditions use; for an
    existing one its mappings, plus what the new role's conditions need that they drop."""
    needed: dict[str, list[str]] = {}
    for policy in trust_policies:
        for statement in as_list(policy.get("Statement")):
            for keys in (statement.get("Condition") or {}).values():
                for key in keys:
                    parts = str(key).split("/")
                    if len(parts) == 3 and parts[0].lower() == "aws:principaltag":
                        cert_field = _FIELD_OF_KEY.get(parts[1].lower())
                        if cert_field and parts[2] not in needed.setdefault(cert_field, []):
                            needed[cert_field].append(parts[2])
    from remediations.checks.profile import key_is_mapped, mapped_specifiers

    if current is None:
        out = {f: list(specs) for f, specs in needed.items()}
        # A new profile maps only these fields: the others' default mappings are removed.
        for cert_field in _FIELD_OF_KEY.values():
            out.setdefault(cert_field, [])
    else:
        out = {m["certificateField"]: [r["specifier"] for r in m["mappingRules"]] for m in current}
        mapped = mapped_specifiers(current)
        for cert_field, specs in needed.items():
            for spec in specs:
                key = f"aws:principaltag/{cert_field.lower()}/{spec.lower()}"
                if key_is_mapped(key, mapped) is False:
                    out.setdefault(cert_field, []).append(spec)
    mappings = [
        {"certificateField": f, "mappingRules": [{"specifier": s} for s in specs]}
        for f, specs in out.items()
        if specs
    ]
    return sorted(mappings, key=lambda m: str(m["certificateField"]))


def role_summary(names: OnboardNames, exists: bool) -> str:
    pins = f"CN={names.cn}" + (f", OU={names.ou}" if names.ou else "")
    if names.spiffe_uri:
        pins += f" and SPIFFE ID {names.spiffe_uri}"
    grants = ", ".join(names.services)
    verb = "updates" if exists else "creates"
    return (
        f"{verb} role {names.role_name}: trusts only certificates with {pins} issued by "
        f"{names.issuer_cn} through the trust anchor; allows {grants}"
    )


def profile_summary(
    names: OnboardNames, before: dict[str, Any] | None, after: dict[str, Any]
) -> str:
    if before is None:
        return (
            f"creates profile {names.profile_name} in {names.region} listing "
            f"{names.role_name}: guardrail session policy, {after['durationSeconds']} s "
            "sessions, no caller-chosen session names, attribute mappings limited to what the "
            "trust conditions use"
        )
    parts = []
    if names.role_arn not in before["roleArns"]:
        parts.append(f"adds {names.role_name} to roleArns (other roles kept)")
    if before["sessionPolicy"] != after["sessionPolicy"]:
        parts.append("guardrail session policy allowing the team's services")
    for key, label in (
        ("durationSeconds", "durationSeconds"),
        ("acceptRoleSessionName", "acceptRoleSessionName"),
    ):
        if before[key] != after[key]:
            parts.append(f"{label} {before[key]} -> {after[key]}")
    if before["attributeMappings"] != after["attributeMappings"]:
        parts.append("maps the certificate attributes the new role's trust uses")
    return f"updates profile {names.profile_name}: " + "; ".join(parts or ["no change"])

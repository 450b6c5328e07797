"""Profile fixes: guardrail session policy, session duration, session names, role ARNs and
attribute mappings, merged into one target state per profile."""

from __future__ import annotations

import re
from typing import Any

from remediations.errors import PolicyError
from remediations.iam.managed_policies import resolve_policy
from remediations.iam.policy import as_list
from remediations.iam.wildcard import has_wildcard, wildcard_match
from remediations.model import Inventory, Profile
from remediations.proposals.job import _Job
from remediations.proposals.render import (
    check_document,
    check_managed_arns,
    render,
    render_document,
)
from remediations.proposals.results import FixRefused, InputNeeded
from remediations.proposals.trees import copy_tree
from remediations.proposals.values import _Values
from remediations.state import state_from_inventory
from remediations.trust import analyze_trust

ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Findings grouped by the fix that answers them.
_SESSION_POLICY_IDS = frozenset(
    {
        "RA-PROFILE-UNSCOPED-SESSION",
        "RA-PROFILE-NO-GUARDRAIL-DENIES",
        "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
    }
)


def _propose_profile(job: _Job) -> None:
    profile = job.inventory.profiles.get(job.arn)
    before = state_from_inventory(job.inventory, "profile", job.arn)
    if profile is None or before is None:
        job.refuse("The profile is not in the account data.")
        return
    after = copy_tree(before)
    summary: list[str] = []
    fixed: set[str] = set()
    values = job.values(profile.name)
    steps = (
        (_SESSION_POLICY_IDS, _fix_session_policy),
        ({"RA-PROFILE-LONG-DURATION", "RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX"}, _fix_duration),
        ({"RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND"}, _fix_session_name),
        ({"RA-PROFILE-ROLE-MISSING", "RA-PROFILE-ROLE-NOT-RA-TRUSTED"}, _fix_role_arns),
        ({"RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE"}, _fix_mappings),
    )
    for ids, step in steps:
        wanted = set(ids) & job.ids
        if not wanted:
            continue
        saved = copy_tree(after)
        try:
            summary += step(job, profile, values, after, wanted)
            fixed |= wanted
        except InputNeeded as exc:
            after.clear()
            after.update(saved)  # a fix that waits for input leaves no trace
            job.need(exc, wanted)
        except (FixRefused, PolicyError) as exc:
            after.clear()
            after.update(saved)
            job.refuse(f"Refused: {exc}.", wanted)
    try:
        check_managed_arns(after["managedPolicyArns"])
        settings = render(
            "profile_settings.json.j2",
            role_arns=after["roleArns"],
            managed_policy_arns=after["managedPolicyArns"],
            duration_seconds=after["durationSeconds"],
            accept_role_session_name=after["acceptRoleSessionName"],
        )
    except PolicyError as exc:
        job.refuse(f"Refused: {exc}.", fixed)
        return
    after.update(settings)
    job.emit(summary, after, fixed)


def _findings_evidence(job: _Job, ids: set[str], key: str) -> list[str]:
    out: list[str] = []
    for finding in job.findings:
        if finding.id in ids:
            out += [str(v) for v in as_list(finding.evidence.get(key))]
    return list(dict.fromkeys(out))


def _fix_session_policy(
    job: _Job, profile: Profile, values: _Values, after: dict[str, Any], ids: set[str]
) -> list[str]:
    summary: list[str] = []
    managed = [a for a in after["managedPolicyArns"] if not a.endswith(ADMIN_POLICY_SUFFIX)]
    if managed != after["managedPolicyArns"]:
        summary.append("drops AdministratorAccess from managedPolicyArns")
        after["managedPolicyArns"] = managed
    current = after.get("sessionPolicy")
    # With managed session policies left, they provide the Allow: "*" here would widen them.
    # An existing inline policy keeps its own Allow unless it is the permissive part.
    keeps_allow = bool(managed) or (
        isinstance(current, dict) and "RA-PROFILE-PERMISSIVE-SESSION-POLICY" not in ids
    )
    allow = None if keeps_allow else _allowed_actions(job, profile, values)
    extra: list[dict[str, Any]] = []
    notes: list[str] = []
    if allow is not None and allow != ["*"] and values.get_list("services") is None:
        extra, notes = _identity_grants(job, profile, managed)
        if not allow:
            if not extra:
                raise InputNeeded(
                    "services",
                    f"Which AWS services does the workload of profile {profile.name} use? "
                    "(its roles grant only identity and control-plane actions, which a session "
                    "policy does not allow wholesale)",
                )
            allow = None
    kept = extra + (
        [s for s in as_list(current.get("Statement")) if isinstance(s, dict)]
        if keeps_allow and isinstance(current, dict)
        else []
    )
    denies = _identity_denies(kept)
    template = render_document(
        "session_policy_guardrails.json.j2",
        allow_actions=allow,
        extra_allows=extra,
        identity_denies=denies,
    )
    summary += notes
    if isinstance(current, dict) and "RA-PROFILE-PERMISSIVE-SESSION-POLICY" not in ids:
        merged = copy_tree(current)
        present = {s.get("Sid") for s in as_list(merged.get("Statement")) if isinstance(s, dict)}
        added = [
            s for s in template["Statement"] if s["Effect"] == "Deny" and s["Sid"] not in present
        ]
        merged["Statement"] = as_list(merged.get("Statement")) + added
        check_document(merged, "session")
        after["sessionPolicy"] = merged
        if added:
            summary.append("adds the guardrail denies " + ", ".join(s["Sid"] for s in added))
    else:
        after["sessionPolicy"] = template
        scope = ", ".join(allow) if allow else "the managed session policies"
        if extra:
            scope += " and the roles' own grants of " + ", ".join(
                dict.fromkeys(str(a) for s in extra for a in as_list(s["Action"]))
            )
        denied = "iam:*, the control plane" if "iam:*" in denies else "the control plane"
        summary.append(
            f"sets a guardrail session policy (allows {scope}; denies {denied} and "
            "destructive actions)"
        )
    _check_converges(job, profile, after, ids)
    return summary


#: Services whose ``svc:*`` a session policy must never allow (identity and control plane):
#: the roles' exact grants of them are copied instead.
_IDENTITY_SERVICES = frozenset({"iam", "sts", "rolesanywhere", "organizations", "account"})
#: The guardrail's identity and control-plane denies (session_policy_guardrails.json.j2).
_IDENTITY_DENIES = (
    "iam:*",
    "rolesanywhere:*",
    "organizations:*",
    "account:*",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
)


def _identity_grants(
    job: _Job, profile: Profile, managed: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The listed roles' Allow statements for identity and control-plane actions, copied
    exactly (actions, resources, condition), so that the session keeps what the roles grant
    on purpose (``iam:CreateServiceLinkedRole`` for ECR replication, ``sts:AssumeRole`` on
    ``cdk-*``), minus any grant that would make the session policy permissive or cost it the
    ``iam:*`` guardrail: those are cut, and said so."""
    from remediations.iam.session_policies import analyze_session_policies

    grants: list[dict[str, Any]] = []
    for statement in _role_allow_statements(job.inventory, profile.role_arns):
        actions = [
            str(a)
            for a in as_list(statement.get("Action"))
            if str(a).split(":", 1)[0].lower() in _IDENTITY_SERVICES
        ]
        if not actions:
            continue
        grant: dict[str, Any] = {
            "Sid": f"AllowRoleGrant{len(grants) + 1}",
            "Effect": "Allow",
            "Action": actions,
            "Resource": statement.get("Resource", "*"),
        }
        if isinstance(statement.get("Condition"), dict):
            grant["Condition"] = copy_tree(statement["Condition"])
        if any(_same_grant(grant, g) for g in grants):
            continue
        grants.append(grant)
    kept: list[dict[str, Any]] = []
    cut: list[str] = []
    for grant in grants:
        trial = {"Version": "2012-10-17", "Statement": [grant]}
        analysis = analyze_session_policies(
            profile.arn, trial, managed, job.inventory.policies, shapes=job.session_shapes
        )
        if analysis.dangerous_allowed or "iam:*" in analysis.missing_denies:
            cut += [str(a) for a in as_list(grant["Action"])]
            continue
        grant["Sid"] = f"AllowRoleGrant{len(kept) + 1}"
        kept.append(grant)
    notes = []
    if cut:
        notes.append(
            "does not allow " + ", ".join(dict.fromkeys(cut)) + " although a listed role "
            "grants it: a session policy that allows it is permissive or cannot deny iam:* "
            "(give that power to a dedicated role, or allow it with --set services=...)"
        )
    return kept, notes


def _same_grant(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "Sid"} == {k: v for k, v in b.items() if k != "Sid"}


def _identity_denies(allows: list[dict[str, Any]]) -> list[str]:
    """The identity and control-plane denies that deny none of the exact actions the Allow
    statements name (an Allow entirely under a Deny is a contradiction, and a silent cut)."""
    named = [
        str(a)
        for s in allows
        if s.get("Effect") == "Allow"
        for a in as_list(s.get("Action"))
        if not has_wildcard(str(a))
    ]
    return [
        d
        for d in _IDENTITY_DENIES
        if not any(wildcard_match(d, a, ignore_case=True) for a in named)
    ]


def _role_allow_statements(inventory: Inventory, role_arns: list[str]) -> list[dict[str, Any]]:
    """The Allow statements (with ``Action``) of the listed roles' identity policies."""
    out: list[dict[str, Any]] = []
    for arn in role_arns:
        role = inventory.roles.get(arn)
        if role is None:
            continue
        docs = [doc for _, doc in role.inline_policies]
        docs += [resolve_policy(p, inventory.policies) for p in role.attached_policy_arns]
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            for statement in as_list(doc.get("Statement")):
                if (
                    isinstance(statement, dict)
                    and statement.get("Effect") == "Allow"
                    and "Action" in statement
                ):
                    out.append(statement)
    return out


def _check_converges(job: _Job, profile: Profile, after: dict[str, Any], ids: set[str]) -> None:
    """The proposed session policies must not be what the scan reports (a fix that does not
    end its finding, or adds one): refuse rather than propose it."""
    from remediations.iam.session_policies import analyze_session_policies

    analysis = analyze_session_policies(
        profile.arn,
        after.get("sessionPolicy"),
        after["managedPolicyArns"],
        job.inventory.policies,
        shapes=job.session_shapes,
    )
    if analysis.dangerous_allowed and values_allow_all(job, profile) is False:
        raise FixRefused(
            "the session policy rafix can build still allows "
            + ", ".join(analysis.dangerous_allowed)
            + " (RA-PROFILE-PERMISSIVE-SESSION-POLICY); give the services with --set services=..."
        )
    if analysis.keeps_allow and analysis.complete and analysis.missing_denies:
        raise FixRefused(
            "the session policy rafix can build would still not deny "
            + ", ".join(analysis.missing_denies)
            + " (RA-PROFILE-NO-GUARDRAIL-DENIES)"
        )


def values_allow_all(job: _Job, profile: Profile) -> bool:
    """``--set services=*`` was given for the profile (an explicit, reported choice)."""
    return job.values(profile.name).get_list("services") == ["*"]


def _allowed_actions(job: _Job, profile: Profile, values: _Values) -> list[str]:
    """The session policy's Allow: ``--set services``, else the services the listed roles'
    own policies name (the session then loses nothing the roles grant).

    ``services=*`` allows everything (the guardrail denies still apply); it is never the silent
    default, because an Allow of ``*`` is itself RA-PROFILE-PERMISSIVE-SESSION-POLICY.
    """
    services = values.get_list("services")
    if services == ["*"]:
        job.result.opted_in.add(profile.arn)
        return ["*"]
    for service in services or []:
        if not _SERVICE.match(service):
            raise FixRefused(f"{service!r} is not a service prefix such as s3 or sqs")
        if service in _IDENTITY_SERVICES:
            raise FixRefused(
                f"{service}:* in a session policy is what RA-PROFILE-PERMISSIVE-SESSION-POLICY "
                f"reports; leave {service} out of --set services (the roles' own {service} "
                "grants are kept exactly when rafix reads them from the roles)"
            )
    if services:
        return [f"{s}:*" for s in services]
    seen = _role_services(job.inventory, profile.role_arns)
    if seen is not None:
        # Identity and control-plane services are allowed by their exact grants instead.
        plain = [s for s in seen if s not in _IDENTITY_SERVICES]
        if plain or len(plain) != len(seen):
            return [f"{s}:*" for s in plain]
    raise InputNeeded(
        "services",
        f"Which AWS services does the workload of profile {profile.name} use? (comma list of "
        "prefixes such as s3,sqs; '*' allows all, which the scan still reports as permissive)",
        sorted(_role_services(job.inventory, profile.role_arns, partial=True) or ()),
    )


def _role_services(
    inventory: Inventory, role_arns: list[str], *, partial: bool = False
) -> list[str] | None:
    """Service prefixes the roles' Allow statements name; None when some grant is unknown or
    is a wildcard (``*``, NotAction), unless ``partial``."""
    services: set[str] = set()
    for arn in role_arns:
        role = inventory.roles.get(arn)
        if role is None:
            if partial:
                continue
            return None
        docs = [doc for _, doc in role.inline_policies]
        docs += [
            inventory.policies[p].document if p in inventory.policies else None
            for p in role.attached_policy_arns
        ]
        for doc in docs:
            if doc is None:
                if partial:
                    continue
                return None
            for statement in as_list(doc.get("Statement")):
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                actions = [str(a) for a in as_list(statement.get("Action"))]
                if "NotAction" in statement or any(":" not in a for a in actions):
                    if partial:
                        continue
                    return None
                services |= {a.split(":", 1)[0].lower() for a in actions}
    return sorted(s for s in services if _SERVICE.match(s)) or None


def _fix_duration(
    job: _Job, profile: Profile, values: _Values, after: dict[str, Any], ids: set[str]
) -> list[str]:
    target = int(after["durationSeconds"])
    if "RA-PROFILE-LONG-DURATION" in ids:
        target = min(target, job.settings.max_session_duration)
    if "RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX" in ids:
        limits = [
            r.max_session_duration
            for arn in profile.role_arns
            if (r := job.inventory.roles.get(arn)) is not None and r.max_session_duration
        ]
        if limits:
            target = min(target, min(limits))
    if target == after["durationSeconds"]:
        return []
    old = after["durationSeconds"]
    after["durationSeconds"] = target
    return [f"sets durationSeconds {old} -> {target}"]


def _fix_session_name(
    job: _Job, profile: Profile, values: _Values, after: dict[str, Any], ids: set[str]
) -> list[str]:
    if not after["acceptRoleSessionName"]:
        return []
    after["acceptRoleSessionName"] = False
    return [
        "sets acceptRoleSessionName false (sessions are named by certificate serial); "
        "WARNING: Roles Anywhere then refuses clients that send a session name (the AWS "
        "signing helper's --role-session-name, roleSessionName in CreateSession): remove it "
        "from their configuration before applying"
    ]


def _fix_role_arns(
    job: _Job, profile: Profile, values: _Values, after: dict[str, Any], ids: set[str]
) -> list[str]:
    drop = set(_findings_evidence(job, ids, "role_arns"))
    # A broken role that trusts Roles Anywhere stays listed: removing it would orphan it
    # (RA-ROLE-ORPHANED), and its fix is the repair of its trust (--repair-broken).
    kept_broken: list[str] = []
    for arn in sorted(drop):
        role = job.inventory.roles.get(arn)
        if (
            role is not None
            and role.trust_policy is not None
            and analyze_trust(role.trust_policy).trusts_ra
        ):
            kept_broken.append(arn)
    drop -= set(kept_broken)
    if not drop and not kept_broken:
        for arn in profile.role_arns:
            role = job.inventory.roles.get(arn)
            if (
                role is None
                and "RA-PROFILE-ROLE-MISSING" in ids
                and "iam" in job.inventory.coverage
            ) or (
                (
                    role is not None
                    and role.trust_policy is not None
                    and "RA-PROFILE-ROLE-NOT-RA-TRUSTED" in ids
                )
                and not (analysis := analyze_trust(role.trust_policy)).usable
            ):
                if analysis.trusts_ra:
                    kept_broken.append(arn)
                else:
                    drop.add(arn)
    kept = [a for a in after["roleArns"] if a not in drop]
    removed = [a for a in after["roleArns"] if a in drop]
    if kept_broken and not removed:
        how = (
            "this plan repairs it"
            if job.repair_broken
            else "repair it with `rafix plan --repair-broken` (which says which certificates "
            "gain access), or remove it from the profile and retire it by hand"
        )
        raise FixRefused(
            f"{', '.join(kept_broken)} trusts Roles Anywhere but no certificate can use it "
            f"today; removing it from the profile would leave it orphaned: {how}"
        )
    after["roleArns"] = kept
    return [f"removes {arn} from roleArns" for arn in removed]


def _mapping_target(key: str) -> tuple[str, str] | None:
    """``aws:principaltag/x509subject/cn`` -> (``x509Subject``, ``CN``)."""
    tail = key.lower().removeprefix("aws:principaltag/")
    field_name, _, attribute = tail.partition("/")
    fields = {"x509subject": "x509Subject", "x509issuer": "x509Issuer", "x509san": "x509SAN"}
    if field_name not in fields or not attribute:
        return None
    if field_name == "x509san":
        if attribute.startswith("name/"):
            return fields[field_name], "Name/" + attribute[5:].upper()
        return fields[field_name], attribute.upper()
    return fields[field_name], attribute.upper()


def _fix_mappings(
    job: _Job, profile: Profile, values: _Values, after: dict[str, Any], ids: set[str]
) -> list[str]:
    keys = _findings_evidence(job, ids, "missing_keys")
    if not keys:
        raise FixRefused("the finding does not say which attribute is dropped")
    mappings = {m["certificateField"]: m for m in after["attributeMappings"]}
    summary: list[str] = []
    for key in keys:
        target = _mapping_target(key)
        if target is None:
            continue
        cert_field, specifier = target
        current = mappings.get(cert_field, {"mappingRules": []})
        specifiers = [str(r.get("specifier")) for r in current["mappingRules"]]
        if specifier in specifiers:
            continue
        mappings[cert_field] = render(
            "attribute_mapping.json.j2",
            certificate_field=cert_field,
            specifiers=[*specifiers, specifier],
        )
        summary.append(f"maps {cert_field} {specifier} again (PutAttributeMapping)")
    after["attributeMappings"] = sorted(mappings.values(), key=lambda m: str(m["certificateField"]))
    return summary

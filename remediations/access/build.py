"""Each role's paths, what it can do, the whole map, the reverse question, role chaining."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from remediations.access.alternatives import (
    admits_any_certificate,
    path_alternatives,
    ra_statements,
    search_witness,
    summarise_constraints,
    witness_domains,
)
from remediations.access.certificates import attribute_name, dropped_by_mapping, is_cert_key
from remediations.access.model import (
    PQC_KEY_ALGORITHMS,
    AccessMap,
    AccessMatch,
    AccessPath,
    AnchorInfo,
    CertificateQuery,
    ChainLink,
    RoleAccess,
    SessionScope,
)
from remediations.iam.evaluator import (
    CompiledPolicy,
    ContextValue,
    Decision,
    compile_policy,
    has_wildcard,
    variable_keys,
)
from remediations.model import REQUIRED_ACTIONS, Inventory, Profile, Role, TrustAnchor

# --- roles --------------------------------------------------------------------------------------


def anchor_info(anchor: TrustAnchor) -> AnchorInfo:
    """The CA facts the map shows for a trust anchor."""
    from remediations.iam.x509 import issuing_ca_cns, parse_certificate_bundle

    subject = algorithm = None
    size = None
    cns: tuple[str, ...] = ()
    if anchor.certificate_pem:
        bundle = parse_certificate_bundle(anchor.certificate_pem)
        certs = list(bundle.certificates)
        if certs:
            cns = tuple(issuing_ca_cns(anchor.certificate_pem))
            issuing = next((c for c in certs if c.rdn("CN") in cns), certs[0])
            subject, algorithm, size = issuing.subject_text, issuing.key_type, issuing.key_size
    pca_key = anchor.pca_key_algorithm
    if anchor.source_type == "AWS_ACM_PCA":
        if pca_key:
            algorithm = pca_key
            size = _pca_key_size(pca_key)
            active = anchor.pca_status in (None, "ACTIVE")
            ready: bool | None = pca_key in PQC_KEY_ALGORITHMS and active
            note = f"ACM PCA key {pca_key}" + (
                "" if pca_key in PQC_KEY_ALGORITHMS else " is not ML-DSA"
            )
            if not active:
                note += f"; the CA is {anchor.pca_status}"
        else:
            ready, note = None, "ACM PCA: its key algorithm was not read (a live read describes it)"
    else:
        ready = False
        note = "not an ACM PCA: Prowler reports every such anchor as not post-quantum ready"
    return AnchorInfo(
        arn=anchor.arn,
        name=anchor.name,
        region=anchor.region,
        enabled=anchor.enabled,
        source_type=anchor.source_type,
        ca_subject=subject,
        issuer_cns=cns,
        key_algorithm=algorithm,
        key_size=size,
        pqc_ready=ready,
        pqc_note=note,
    )


def _pca_key_size(algorithm: str) -> int | None:
    """``RSA_2048`` -> 2048, ``EC_prime256v1`` -> 256, ``EC_secp384r1`` -> 384."""
    import re

    match = re.search(r"(\d{3,4})", algorithm)
    if algorithm.startswith("ML_DSA") or match is None:
        return None
    return int(match.group(1))


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _referenced_cert_keys(policy: CompiledPolicy) -> set[str]:
    keys: set[str] = set()
    for statement in policy.statements:
        for clause in statement.clauses:
            for key in [clause.key, *(k for v in clause.values for k in variable_keys(v))]:
                if is_cert_key(key):
                    keys.add(key)
    return keys


def role_paths(
    role: Role,
    policy: CompiledPolicy,
    profiles: Sequence[Profile],
    anchors: Sequence[TrustAnchor],
    infos: Mapping[str, AnchorInfo],
    scopes: Mapping[str, SessionScope] | None = None,
) -> tuple[list[AccessPath], list[str]]:
    """Every way in to ``role`` through ``profiles`` (those listing it) and ``anchors``; and,
    when there is none, the reasons, most telling first."""
    per_action, denies = ra_statements(policy)
    if not all(per_action):
        missing = [a for a, found in zip(REQUIRED_ACTIONS, per_action, strict=True) if not found]
        return [], [f"the trust policy does not allow {', '.join(missing)} for Roles Anywhere"]
    if not profiles:
        return [], ["no profile lists the role"]
    enabled = [p for p in profiles if p.enabled]
    if not enabled:
        return [], ["every profile that lists the role is disabled"]
    referenced = _referenced_cert_keys(policy)
    paths: list[AccessPath] = []
    reasons: list[str] = []
    for profile in sorted(enabled, key=lambda p: p.arn):
        usable = [
            a
            for a in anchors
            if a.enabled and _account(a.arn) == _account(profile.arn) and a.region == profile.region
        ]
        if not usable:
            reasons.append(
                f"no enabled trust anchor in {profile.region} for profile {profile.name}"
            )
            continue
        dropped = dropped_by_mapping(profile, referenced)
        scope = (scopes or {}).get(profile.arn, SessionScope(False, None, ()))
        for anchor in sorted(usable, key=lambda a: a.arn):
            fixed: dict[str, ContextValue] = {
                "aws:sourcearn": anchor.arn,
                "aws:sourceaccount": _account(anchor.arn),
            }
            alternatives, closed = path_alternatives(per_action, denies, fixed, dropped)
            reasons.extend(closed)
            info = infos.get(anchor.arn)
            for alt in alternatives:
                domains = witness_domains(alt.requirements, dropped)
                if search_witness(alt.requirements, domains, fixed) is None:
                    reasons.append(
                        f"no certificate meets the conditions of statement(s) "
                        f"{', '.join(str(i + 1) for i in alt.statements)} together"
                    )
                    continue
                constraints = summarise_constraints(alt.requirements, domains)
                path = AccessPath(
                    profile_arn=profile.arn,
                    profile_name=profile.name,
                    trust_anchor_arn=anchor.arn,
                    trust_anchor_name=anchor.name,
                    region=profile.region,
                    any_certificate=admits_any_certificate(
                        alt.requirements, domains, fixed, info.issuer_cns if info else ()
                    ),
                    constraints=constraints,
                    requirements=tuple(alt.requirements),
                    statements=alt.statements,
                    dropped_attributes=tuple(sorted(attribute_name(k, k) for k in dropped)),
                    session=scope,
                )
                if not any(_same(path, p) for p in paths):
                    paths.append(path)
    if not paths and not reasons:
        reasons.append("no enabled trust anchor in the profiles' regions")
    return paths, list(dict.fromkeys(reasons))


def _same(a: AccessPath, b: AccessPath) -> bool:
    return (
        a.profile_arn == b.profile_arn
        and a.trust_anchor_arn == b.trust_anchor_arn
        and a.constraints == b.constraints
        and {r.describe() for r in a.requirements} == {r.describe() for r in b.requirements}
    )


def _unreachable_reason(
    role: Role, policy: CompiledPolicy, reasons: Sequence[str], inventory: Inventory
) -> str:
    """One sentence: why no certificate reaches the role."""
    from remediations.trust import analyze_trust

    if role.trust_policy is not None:
        analysis = analyze_trust(role.trust_policy)
        pins = sorted(analysis.pinned_source_arns)
        if pins and not analysis.source_arn_wildcards:
            live = [
                a
                for a in pins
                if a in inventory.trust_anchors and inventory.trust_anchors[a].enabled
            ]
            if not live:
                gone = [a for a in pins if a not in inventory.trust_anchors]
                if gone and len(gone) == len(pins):
                    return f"aws:SourceArn pins only trust anchors that do not exist ({', '.join(gone)})"
                if not gone:
                    return "aws:SourceArn pins only disabled trust anchors"
    if not reasons:
        return "no certificate can reach it"
    return reasons[0]


# --- what a role can do -------------------------------------------------------------------------


def granted_services(documents: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Service prefixes the Allow statements of ``documents`` grant (``*``: every service)."""
    from remediations.iam.statements import compile_statements

    out: set[str] = set()
    for document in documents:
        for statement in compile_statements(document)[1]:
            if statement.effect != "Allow" or statement.actions.patterns is None:
                continue
            if statement.actions.negated:
                out.add("*")
                continue
            for pattern in statement.actions.patterns:
                service = pattern.partition(":")[0].lower()
                out.add("*" if has_wildcard(service) or ":" not in pattern else service)
    return frozenset(out)


def narrow(services: frozenset[str], limit: frozenset[str] | None) -> tuple[str, ...]:
    """The services of ``services`` that ``limit`` (a session policy's grant) also allows."""
    if limit is None:
        kept = services
    elif "*" in services:
        kept = limit
    elif "*" in limit:
        kept = services
    else:
        kept = services & limit
    return ("*",) if "*" in kept else tuple(sorted(kept))


# --- the map ------------------------------------------------------------------------------------


def build_access_map(
    inventory: Inventory,
    *,
    roles: Sequence[str] = (),
    query: CertificateQuery | None = None,
    context: Any = None,
    chains: bool = True,
) -> AccessMap:
    """The access map of every role that trusts Roles Anywhere (or of the ARNs in ``roles``),
    and with ``query`` the roles that certificate reaches.

    Args:
        context: a :class:`~remediations.checks.context.ScanContext` to share its caches
            (optional; a context kept between calls makes each later call cost only its roles).
        chains: also work out the roles each role chains into (``chains_to``; the costliest
            part of a role's entry in a large account: every role trusting an AWS principal).
    """
    from remediations.checks.context import ScanContext
    from remediations.iam.managed_policies import resolve_policy
    from remediations.iam.session_policies import analyze_session_policies

    ctx = context if context is not None else ScanContext(inventory)
    infos = {arn: anchor_info(a) for arn, a in sorted(inventory.trust_anchors.items())}
    anchors = list(inventory.trust_anchors.values())
    wanted = set(roles)
    scopes_cache: dict[str, SessionScope] = {}
    result: list[RoleAccess] = []
    chain_targets: list[tuple[Role, CompiledPolicy]] = []
    if chains:
        memo_key = ("access", "chain_targets")
        if memo_key not in ctx.memo:
            ctx.memo[memo_key] = _chain_targets(inventory)
        chain_targets = ctx.memo[memo_key]
    for role, analysis in sorted(ctx.ra_roles, key=lambda item: item[0].arn):
        if wanted and role.arn not in wanted and role.name not in wanted:
            continue
        policy = (
            analysis.compiled
            if analysis.compiled is not None
            else compile_policy(role.trust_policy)
        )
        privilege = ctx.privilege(role)
        identity_docs = [d for _, d in role.inline_policies if d is not None] + [
            d
            for arn in role.attached_policy_arns
            if (d := resolve_policy(arn, inventory.policies)) is not None
        ]
        services = granted_services(identity_docs)
        if role.permissions_boundary_arn:
            boundary = resolve_policy(role.permissions_boundary_arn, inventory.policies)
            if boundary is not None:
                services = frozenset(narrow(services, granted_services([boundary])))
        profiles = ctx.profiles_listing(role)
        scopes: dict[str, SessionScope] = {}
        for profile in profiles:
            key = f"{profile.arn}|{role.arn}"
            scope = scopes_cache.get(key)
            if scope is None:
                session = analyze_session_policies(
                    profile.arn,
                    profile.session_policy,
                    profile.managed_policy_arns,
                    inventory.policies,
                    ctx.policy_memo,
                )
                limit = None
                if session.has_session_policy:
                    docs = [profile.session_policy] if profile.session_policy is not None else []
                    docs += [
                        d
                        for arn in profile.managed_policy_arns
                        if (d := resolve_policy(arn, inventory.policies)) is not None
                    ]
                    limit = granted_services(docs) if session.complete else None
                narrowed = narrow(services, limit)
                privileged = _session_privileged(privilege.privileged, session, narrowed)
                keeps = session.keeps_allow or not session.has_session_policy
                scope = scopes_cache[key] = SessionScope(
                    session.has_session_policy, privileged, narrowed if keeps else ()
                )
            scopes[profile.arn] = scope
        paths, reasons = role_paths(role, policy, profiles, anchors, infos, scopes)
        reachable = bool(paths)
        result.append(
            RoleAccess(
                role_arn=role.arn,
                role_name=role.name,
                account_id=role.account_id,
                reachable=reachable,
                unreachable_reason=None
                if reachable
                else _unreachable_reason(role, policy, reasons, inventory),
                any_certificate=any(p.any_certificate for p in paths),
                privileged=privilege.privileged,
                privilege_grants=privilege.grants,
                services=narrow(services, None),
                paths=tuple(paths),
                chains_to=tuple(_chains(role, identity_docs, chain_targets, paths))
                if reachable and chains
                else (),
                open_to_new_anchors=analysis.usable and analysis.open_to_any_anchor,
            )
        )
    access = AccessMap(result, infos)
    if query is not None:
        access.query = query
        access.matches = reverse(access, query)
    return access


def roles_through(ctx: Any, through: Iterable[str]) -> list[str]:
    """The roles that trust Roles Anywhere and could be reached through these profiles or trust
    anchors (ARNs): the roles a profile lists; for an anchor, the roles listed by a profile of
    its account and region (a path needs both)."""
    wanted = set(through)
    inventory = ctx.inventory
    places = {
        (_account(a.arn), a.region)
        for arn in wanted
        if (a := inventory.trust_anchors.get(arn)) is not None
    }
    return [
        role.arn
        for role, _ in ctx.ra_roles
        if any(
            p.arn in wanted or (_account(p.arn), p.region) in places
            for p in ctx.profiles_listing(role)
        )
    ]


def keep_paths_through(access: AccessMap, through: Iterable[str]) -> AccessMap:
    """``access`` with only the paths through these profiles or trust anchors (ARNs), and only
    the roles that have one."""
    wanted = set(through)
    roles = []
    for role in access.roles:
        paths = tuple(
            p for p in role.paths if p.profile_arn in wanted or p.trust_anchor_arn in wanted
        )
        if paths:
            roles.append(
                dataclasses.replace(
                    role, paths=paths, any_certificate=any(p.any_certificate for p in paths)
                )
            )
    access.roles = roles
    access.matches = [
        m
        for m in access.matches
        if m.path.profile_arn in wanted or m.path.trust_anchor_arn in wanted
    ]
    return access


def _session_privileged(
    role_privileged: bool | None, session: Any, narrowed: Sequence[str]
) -> bool | None:
    """The role's verdict, unless the session policy provably takes the power away: it keeps
    no Allow, or it neither allows ``*:*``/``iam:*`` nor leaves IAM reachable."""
    if not session.has_session_policy or role_privileged is not True:
        return role_privileged
    if not session.complete:
        return None
    if not session.keeps_allow:
        return False
    if {"*:*", "iam:*"} & set(session.dangerous_allowed):
        return True
    return not session.denies_iam and ("iam" in narrowed or "*" in narrowed)


def reverse(access: AccessMap, query: CertificateQuery) -> list[AccessMatch]:
    """The roles ``query``'s certificate reaches, each with the path it takes."""
    out: list[AccessMatch] = []
    for role in access.roles:
        for path in role.paths:
            if query.trust_anchor_arn and path.trust_anchor_arn != query.trust_anchor_arn:
                continue
            confirmed = _issuer_confirmed(query, access.anchors.get(path.trust_anchor_arn))
            if confirmed is False and not query.trust_anchor_arn:
                continue
            if path.admits(query.context(path.trust_anchor_arn)):
                out.append(AccessMatch(role.role_arn, path, confirmed))
    return out


def _issuer_confirmed(query: CertificateQuery, info: AnchorInfo | None) -> bool | None:
    if info is None or not info.issuer_cns or "CN" not in query.issuer:
        return None
    return query.issuer["CN"] in info.issuer_cns


# --- role chaining ------------------------------------------------------------------------------


def _chain_targets(inventory: Inventory) -> list[tuple[Role, CompiledPolicy]]:
    """Roles whose trust policy has an Allow for some AWS principal (chaining candidates)."""
    out = []
    for role in inventory.roles.values():
        if role.trust_policy is None:
            continue
        policy = compile_policy(role.trust_policy)
        if any(
            s.effect == "Allow"
            and s.principals is not None
            and any(kind.lower() in ("aws", "*") for kind, _ in s.principals)
            for s in policy.statements
        ):
            out.append((role, policy))
    return out


def _chains(
    role: Role,
    identity_docs: Sequence[Mapping[str, Any]],
    targets: Sequence[tuple[Role, CompiledPolicy]],
    paths: Sequence[AccessPath],
) -> Iterator[ChainLink]:
    """Roles the role's sessions can assume: the target's trust names this role (or its
    account, and the role's own policies allow sts:AssumeRole on the target)."""
    from remediations.iam.permissions import Applies, compile_document, evaluate_action

    partition = role.arn.split(":")[1] if role.arn.count(":") >= 5 else "aws"
    root = f"arn:{partition}:iam::{role.account_id}:root"
    session_arn = f"arn:{partition}:sts::{role.account_id}:assumed-role/{role.name}/rafix"
    compiled = [compile_document(d) for d in identity_docs]
    base = {"aws:principalarn": role.arn, "aws:principalaccount": role.account_id}
    for target, policy in targets:
        if target.arn == role.arn:
            continue
        direct = any(
            policy.evaluate(action="sts:AssumeRole", principal=("AWS", who), context=base)
            is Decision.ALLOW
            for who in (role.arn, session_arn)
        )
        named = direct or any(
            s.effect == "Allow"
            and s.principals is not None
            and any(v in (role.arn, session_arn) for _, v in s.principals)
            for s in policy.statements
        )
        if named:
            yield ChainLink(target.arn, "role", not direct)
            continue
        by_account = [
            s
            for s in policy.statements
            if s.effect == "Allow"
            and s.covers_action("sts:AssumeRole")
            and s.principals is not None
            and any(v in (root, role.account_id) for _, v in s.principals)
        ]
        if not by_account:
            continue
        grant = evaluate_action(compiled, "sts:AssumeRole", [target.arn])
        if grant.allow is Applies.NO or grant.deny is Applies.ALWAYS:
            continue
        conditional = grant.allow is Applies.CONDITIONAL or not all(s.vacuous for s in by_account)
        yield ChainLink(target.arn, "account", conditional)

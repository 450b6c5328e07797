"""Two-phase splits: a dedicated role per workload (phase 2), then the shared role narrowed
(phase 3) once the workloads' clients have switched."""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from remediations.catalog import CATALOG
from remediations.errors import PolicyError
from remediations.findings import Finding
from remediations.iam.evaluator import ContextValue, has_wildcard, parse_operator
from remediations.iam.policy import as_list
from remediations.model import (
    GLOBAL_REGION,
    RA_SERVICE_PRINCIPAL,
    REQUIRED_ACTIONS,
    Inventory,
    Role,
)
from remediations.proposals.job import ProfileIndex
from remediations.proposals.proofs import prove
from remediations.proposals.render import check_document, render
from remediations.proposals.results import FixRefused, NotFixable, ProposalSet, ProposedChange
from remediations.proposals.trees import copy_tree
from remediations.proposals.trust_edit import required_actions_only
from remediations.proposals.trust_patches import VARIABLES_VERSION
from remediations.settings import Settings
from remediations.state import detailed_role_state, resource_id, state_from_inventory
from remediations.trust import TrustAnalysis, analyze_trust, canonical_subject_key
from remediations.trust.facts import CertificateContext
from remediations.trust.witness import describe_certificate, is_intended

#: Findings fixed by moving workloads to dedicated roles (phase 2) and narrowing the shared
#: role once their clients have switched (phase 3). Splits change which role each workload
#: uses, so they are never part of a plain ``rafix apply`` (phase 1).
SPLIT_CREATE_PHASE = 2
SPLIT_NARROW_PHASE = 3
#: Which subject key names a workload, most specific first (as the scan counts workloads).
_WORKLOAD_KEYS = (
    "x509subject/cn",
    "x509san/uri",
    "x509san/dns",
    "sts:sourceidentity",
    "x509san/name/cn",
)
_ROLE_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}$")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_+=,.@-]+")
_SWITCH = (
    "Each workload must then switch its signing helper's --role-arn (aws_signing_helper "
    "credential-process / its config) to its new role before phase 3."
)

#: One workload: (canonical subject key, value), or None for "the whole Roles Anywhere path".
Workload = tuple[str, str] | None


def _propose_splits(
    inventory: Inventory,
    settings: Settings,
    groups: dict[str, list[Finding]],
    result: ProposalSet,
    profiles: ProfileIndex,
) -> None:
    """Plan the two-phase split of every role with a multiple-subject or mixed-principal
    finding; a split that cannot be made safely is explained instead."""
    taken = {role.name.lower() for role in inventory.roles.values()}
    changes = _Changes(result.changes)
    for arn, findings in sorted(groups.items()):
        ids = sorted({f.id for f in findings})
        try:
            _split_role(_Split(inventory, settings, arn, ids, result, profiles, changes), taken)
        except (FixRefused, PolicyError) as exc:
            for fid in ids:
                result.not_fixable.append(NotFixable(fid, arn, f"Refused: {exc}."))


class _Changes:
    """The first change of each (resource, phase) in a plan's growing list of changes,
    looked up without scanning the list (every split looks up many)."""

    def __init__(self, changes: list[ProposedChange]) -> None:
        self._changes = changes
        self._first: dict[tuple[str, int], ProposedChange] = {}
        self._seen: list[ProposedChange] = []

    def first(self, arn: str, phase: int) -> ProposedChange | None:
        changes = self._changes
        seen = self._seen
        if len(changes) < len(seen) or any(
            changes[i] is not seen[i] for i in (0, len(seen) - 1) if seen
        ):
            # Not only appended to since the last look: index it afresh.
            self._first.clear()
            seen.clear()
        for change in changes[len(seen) :]:
            self._first.setdefault((change.resource_arn, change.phase), change)
            seen.append(change)
        return self._first.get((arn, phase))


@dataclass(slots=True)
class _Split:
    """One shared role being split, and where its proposals go."""

    inventory: Inventory
    settings: Settings
    arn: str
    ids: list[str]
    result: ProposalSet
    profiles: ProfileIndex
    changes: _Changes

    def change(self, arn: str, phase: int) -> ProposedChange | None:
        return self.changes.first(arn, phase)

    def why(self) -> str:
        return " ".join(f"{fid}: {CATALOG[fid].title}." for fid in self.ids)

    def state_before(self, arn: str, phase: int) -> dict[str, Any] | None:
        """Where the earlier phases of this plan leave a resource (else the account's state)."""
        for earlier in range(phase - 1, 0, -1):
            change = self.change(arn, earlier)
            if change is not None:
                return change.after
        kind = "role" if ":iam::" in arn else "profile"
        return state_from_inventory(self.inventory, kind, arn)


def _split_role(split: _Split, taken: set[str]) -> None:
    role = split.inventory.roles.get(split.arn)
    if role is None or role.trust_policy is None:
        raise FixRefused("the role's trust policy could not be read")
    unreadable = [name for name, doc in role.inline_policies if doc is None]
    if unreadable:
        raise FixRefused(f"inline policy {unreadable[0]} could not be read, so it cannot be copied")
    earlier = split.change(split.arn, 1)
    # Build on the phase-1 hardening of the shared role, if any: the new roles get it too.
    base = copy_tree(earlier.after["trustPolicy"] if earlier and earlier.after else None)
    base = base or copy_tree(role.trust_policy)
    analysis = analyze_trust(base)
    if analysis.wildcard_principal:
        raise FixRefused(
            'the trust allows Principal "*"; replace it first (RA-TRUST-WILDCARD-PRINCIPAL)'
        )
    workloads: list[Workload] = [None]
    pinned = list(_workloads(base, analysis))
    if "RA-TRUST-MULTIPLE-SUBJECTS" in split.ids:
        workloads = list[Workload](pinned)
        if len(workloads) < 2:
            raise FixRefused(
                "the subjects are patterns, not values rafix can give one role each; pin each "
                "workload's subject first"
            )
    anchors = list(split.inventory.trust_anchors)
    created: list[tuple[Workload, str]] = []
    analyses = (analyze_trust(role.trust_policy), analysis)
    for workload in workloads:
        trust = _dedicated_trust(base, analysis, workload)
        check_document(trust, "trust", what="the dedicated role's trust policy")
        prove_dedicated(role.trust_policy, base, trust, _intended(workload), anchors, analyses)
        # A mixed role's one pinned workload names its dedicated role.
        named = workload or (pinned[0] if len(pinned) == 1 else None)
        name = _dedicated_name(split.settings, role, named, taken)
        taken.add(name.lower())
        new_arn = f"{role.arn.split(':role/', 1)[0]}:role{role.path or '/'}{name}"
        state = detailed_role_state(role)
        state["trustPolicy"] = trust
        who = _workload_label(workload)
        split.result.changes.append(
            ProposedChange(
                new_arn,
                "role",
                GLOBAL_REGION,
                list(split.ids),
                f"creates role {name} for {who}: the Roles Anywhere trust of {role.name} "
                f"restricted to it, with {role.name}'s permissions copied",
                f"Phase {SPLIT_CREATE_PHASE}, first step of splitting {role.name} (additive: "
                f"nothing that works today changes). {split.why()} {_SWITCH}",
                None,
                state,
                phase=SPLIT_CREATE_PHASE,
            )
        )
        created.append((workload, new_arn))
    _add_to_profiles(split, [a for _, a in created])
    _narrow_shared_role(split, base, analysis, created)


def _workloads(base: dict[str, Any], analysis: TrustAnalysis) -> Iterator[tuple[str, str]]:
    """The concrete subjects the Roles Anywhere statements pin, one per workload."""
    statements = as_list(base.get("Statement"))
    seen: set[tuple[str, str]] = set()
    for index in analysis.ra_statement_indexes:
        for _operator, written, values in _workload_clauses(statements[index]):
            key = canonical_subject_key(written)
            for value in values:
                if (key, value) not in seen and not has_wildcard(value) and "${" not in value:
                    seen.add((key, value))
                    yield key, value


def _workload_clauses(statement: Any) -> list[tuple[str, str, list[str]]]:
    """(operator, key as written, values) of the clauses on the statement's workload key."""
    block = statement.get("Condition") if isinstance(statement, dict) else None
    if not isinstance(block, dict):
        return []
    clauses: dict[str, list[tuple[str, str, list[str]]]] = {}
    for operator, keys in block.items():
        parsed = parse_operator(str(operator))
        if not isinstance(keys, dict) or not parsed.positive or parsed.set_op:
            continue
        for key, value in keys.items():
            canonical = canonical_subject_key(str(key))
            if canonical in _WORKLOAD_KEYS:
                entry = (str(operator), str(key), [str(v) for v in as_list(value)])
                clauses.setdefault(canonical, []).append(entry)
    primary = next((k for k in _WORKLOAD_KEYS if k in clauses), None)
    return clauses[primary] if primary else []


def _intended(workload: Workload) -> dict[str, list[str]]:
    if workload is None:
        return {}
    key, value = workload
    if key == "sts:sourceidentity":
        return {"x509subject/cn": [value.removeprefix("CN=")]}
    return {key: [value]}


def _workload_label(workload: Workload) -> str:
    return "its Roles Anywhere workloads" if workload is None else f"{workload[0]}={workload[1]}"


def _ra_only(statement: dict[str, Any]) -> dict[str, Any]:
    out = copy_tree(statement)
    out["Principal"] = {"Service": RA_SERVICE_PRINCIPAL}
    narrowed = required_actions_only(out)  # a dedicated role needs only what RA asks for
    if narrowed is not None:
        out["Action"] = narrowed
    return out


def _dedicated_trust(
    base: dict[str, Any], analysis: TrustAnalysis, workload: Workload
) -> dict[str, Any]:
    """The shared trust's Roles Anywhere statements (Roles Anywhere as their only principal),
    restricted to one workload's subject, plus its Deny statements (they only narrow)."""
    statements = as_list(base.get("Statement"))
    kept: list[Any] = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            continue
        if statement.get("Effect") == "Deny":
            kept.append(copy_tree(statement))
        elif index in analysis.ra_statement_indexes:
            narrowed = _ra_only(statement)
            if workload is None or _restrict(narrowed, workload):
                kept.append(narrowed)
    doc = {k: copy_tree(v) for k, v in base.items() if k != "Statement"}
    doc["Version"] = doc.get("Version") or VARIABLES_VERSION
    doc["Statement"] = kept
    return doc


def _restrict(statement: dict[str, Any], workload: tuple[str, str]) -> bool:
    """Narrow the statement's workload clauses to one value; False when it does not name it."""
    key, value = workload
    clauses = _workload_clauses(statement)
    if not clauses or canonical_subject_key(clauses[0][1]) != key:
        return False
    if not all(value in values for _op, _key, values in clauses):
        return False
    for operator, written, _values in clauses:
        statement["Condition"][operator][written] = value
    return True


def prove_dedicated(
    original: dict[str, Any],
    base: dict[str, Any],
    dedicated: dict[str, Any],
    intended: dict[str, list[str]],
    anchors: list[str],
    analyses: tuple[TrustAnalysis, TrustAnalysis] | None = None,
) -> None:
    """The dedicated role admits exactly the workload's certificates that the shared role
    admits (after phase 1), none the shared role refuses today, and no other workload's.
    ``analyses``: the caller's ``analyze_trust`` of ``original`` and ``base``, when it has
    them (a role split into several workloads proves each against the same two)."""
    before, shared = analyses or (analyze_trust(original), analyze_trust(base))
    after = analyze_trust(dedicated)

    def verdict(
        cert: CertificateContext, request: Mapping[str, ContextValue]
    ) -> tuple[str | None, bool]:
        admitted, ours = after.admits_request(request), is_intended(cert, intended)
        if admitted and not before.admits_request(request):
            return (
                "the dedicated role would admit a certificate the shared role refuses "
                f"({describe_certificate(cert)})",
                True,
            )
        if admitted and not ours:
            return (
                f"the dedicated role would admit another workload ({describe_certificate(cert)})",
                True,
            )
        if ours and shared.admits_request(request) and not admitted:
            return (
                "the dedicated role would refuse a certificate of the workload that the shared "
                f"role admits ({describe_certificate(cert)})",
                False,
            )
        return None, admitted

    prove(
        shared,
        after,
        intended,
        anchors,
        evaluated=(original,),
        analysed=(before,),
        judged=(before.policy(), shared.policy(), after.policy()),
        verdict=verdict,
        kind="dedicated",
        missing="the dedicated role would admit no certificate at all",
    )


def _slug(value: str) -> str:
    return _SLUG_UNSAFE.sub("-", value.lower()).strip("-") or "workload"


def _dedicated_name(settings: Settings, role: Role, workload: Workload, taken: set[str]) -> str:
    """``Settings.role_name_template`` filled from the workload and the shared role's tags;
    else ``<shared role>-<workload>``; both kept to IAM's role-name rules and unused."""
    slug = _slug(workload[1].removeprefix("CN=")) if workload else "rolesanywhere"
    fields = {_slug(k).replace("-", "_"): _slug(v) for k, v in role.tags.items()}
    fields.update(workload=slug, role=role.name)
    try:
        wanted = {
            f
            for _text, f, _spec, _conv in string.Formatter().parse(settings.role_name_template)
            if f is not None
        }
        candidate = settings.role_name_template.format(**fields) if wanted <= set(fields) else ""
    except (ValueError, KeyError, IndexError, AttributeError):
        candidate = ""
    if _ROLE_NAME.match(candidate) and candidate.lower() not in taken:
        return candidate
    for attempt in range(1, 100):
        suffix = slug if attempt == 1 else f"{slug}-{attempt}"
        name = f"{role.name}-{suffix}"
        if len(name) > 64:
            digest = hashlib.sha256(name.encode()).hexdigest()[:8]
            name = f"{name[:55]}-{digest}"
        if name.lower() not in taken:
            return name
    raise FixRefused(f"no free role name for {_workload_label(workload)}")


def _add_to_profiles(split: _Split, new_arns: list[str]) -> None:
    """Phase 2: every profile that lists the shared role lists the new roles too (one change
    per profile, starting from where the profile's earlier phases leave it)."""
    for profile in split.profiles.listing(split.arn):
        change = split.change(profile.arn, SPLIT_CREATE_PHASE)
        if change is None:
            before = split.state_before(profile.arn, SPLIT_CREATE_PHASE)
            if before is None:
                continue
            change = ProposedChange(
                profile.arn,
                "profile",
                profile.region,
                [],
                "",
                "",
                copy_tree(before),
                copy_tree(before),
                phase=SPLIT_CREATE_PHASE,
            )
            split.result.changes.append(change)
        after = change.after
        if after is None or split.arn not in after["roleArns"]:
            continue  # another fix drops the shared role from this profile
        added = [a for a in new_arns if a not in after["roleArns"]]
        after["roleArns"] = after["roleArns"] + added
        _extend(
            change,
            split.ids,
            f"adds {', '.join(added)} to roleArns (dedicated roles split from "
            f"{resource_id(split.arn)})",
            f"Phase {SPLIT_CREATE_PHASE} of splitting {resource_id(split.arn)}: lets each "
            f"workload ask for its own role with --role-arn. Until phase {SPLIT_NARROW_PHASE} "
            "the profile offers the same certificates both roles (a transitional "
            "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING).",
        )


def _extend(change: ProposedChange, ids: Iterable[str], summary: str, why: str) -> None:
    change.finding_ids = sorted(set(change.finding_ids) | set(ids))
    change.summary = "; ".join(s for s in (change.summary, summary) if s)
    change.why = " ".join(s for s in (change.why, why) if s)


def _narrow_shared_role(
    split: _Split,
    base: dict[str, Any],
    analysis: TrustAnalysis,
    created: list[tuple[Workload, str]],
) -> None:
    """Phase 3: the shared role stops trusting what moved; profiles stop listing it once it no
    longer trusts Roles Anywhere at all."""
    moved = [w for w, _ in created]
    narrowed = _without_workloads(base, analysis, moved)
    name = resource_id(split.arn)
    new_names = ", ".join(resource_id(a) for _, a in created)
    wait = (
        f"Phase {SPLIT_NARROW_PHASE}: waits until every workload has switched its --role-arn to "
        f"its dedicated role ({new_names}); until then it breaks the clients that still assume "
        f"{name}. Then apply this plan again with --phase {SPLIT_NARROW_PHASE}."
    )
    after_trust = analyze_trust(narrowed)
    leftover = [w for w in moved if w is not None and _still_admitted(after_trust, w)]
    if leftover:
        raise FixRefused(
            f"{name} would still admit {_workload_label(leftover[0])} after phase "
            f"{SPLIT_NARROW_PHASE}"
        )
    check_document(narrowed, "trust")
    what = (
        "removes the Roles Anywhere statement(s) (moved to their own role)"
        if moved == [None]
        else "removes " + ", ".join(_workload_label(w) for w in moved) + " from the trust"
    )
    split.result.changes.append(
        ProposedChange(
            split.arn,
            "role",
            GLOBAL_REGION,
            list(split.ids),
            f"{what}; the dedicated roles trust them now",
            f"{wait} {split.why()}",
            {"trustPolicy": base},
            {"trustPolicy": narrowed},
            phase=SPLIT_NARROW_PHASE,
        )
    )
    if after_trust.trusts_ra:
        return
    for profile in split.profiles.listing(split.arn):
        existing = split.change(profile.arn, SPLIT_NARROW_PHASE)
        before = split.state_before(profile.arn, SPLIT_NARROW_PHASE)
        if before is None or split.arn not in before["roleArns"]:
            continue
        summary = f"removes {split.arn} from roleArns ({name} no longer trusts Roles Anywhere)"
        if existing is not None and existing.after is not None:  # another split of this profile
            existing.after["roleArns"] = [a for a in existing.after["roleArns"] if a != split.arn]
            _extend(existing, split.ids, summary, "")
            continue
        after = copy_tree(before)
        after["roleArns"] = [a for a in before["roleArns"] if a != split.arn]
        split.result.changes.append(
            ProposedChange(
                profile.arn,
                "profile",
                profile.region,
                list(split.ids),
                summary,
                wait,
                copy_tree(before),
                after,
                phase=SPLIT_NARROW_PHASE,
            )
        )


def _still_admitted(analysis: TrustAnalysis, workload: tuple[str, str]) -> bool:
    key, value = workload
    canonical = "x509subject/cn" if key == "sts:sourceidentity" else key
    value = value.removeprefix("CN=") if key == "sts:sourceidentity" else value
    return value in analysis.pinned_subjects.get(canonical, frozenset())


def _without_workloads(
    base: dict[str, Any], analysis: TrustAnalysis, moved: list[Workload]
) -> dict[str, Any]:
    """The shared trust without the moved workloads: their values leave the subject clauses;
    a Roles Anywhere statement left naming no workload stops trusting Roles Anywhere."""
    doc = copy_tree(base)
    single = isinstance(doc.get("Statement"), dict)
    statements = as_list(doc.get("Statement"))
    gone = {w[1] for w in moved if w is not None}
    kept: list[Any] = []
    for index, statement in enumerate(statements):
        if index not in analysis.ra_statement_indexes or not isinstance(statement, dict):
            kept.append(statement)
            continue
        remaining = None not in moved and _drop_values(statement, gone)
        if remaining:
            kept.append(statement)
        elif (others := _without_ra(statement)) is not None:
            kept.append(others)
    if not kept:  # a trust policy needs a statement, and a Deny admits nobody
        kept = [
            render(
                "trust_statement_retired.json.j2",
                sid="RafixRolesAnywhereMovedToDedicatedRoles",
                actions=list(REQUIRED_ACTIONS),
            )
        ]
    doc["Statement"] = kept[0] if single and len(kept) == 1 else kept
    return doc


def _drop_values(statement: dict[str, Any], gone: set[str]) -> bool:
    """Remove moved values from the workload clauses; whether the statement still names one."""
    clauses = _workload_clauses(statement)
    if not clauses:
        return False  # it names no workload: every workload it admitted has moved
    for operator, written, values in clauses:
        left = [v for v in values if v not in gone]
        if not left:
            return False
        statement["Condition"][operator][written] = left if len(left) > 1 else left[0]
    return True


def _without_ra(statement: dict[str, Any]) -> dict[str, Any] | None:
    """The statement for its other principals only; None when it trusts nobody else."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return None
    others = {k: v for k, v in principal.items() if k != "Service"}
    services = [s for s in as_list(principal.get("Service")) if s != RA_SERVICE_PRINCIPAL]
    if services:
        others["Service"] = services if len(services) > 1 else services[0]
    if not others:
        return None
    out = copy_tree(statement)
    out["Principal"] = others
    return out

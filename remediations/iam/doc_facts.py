"""What the scan's identity analyses read of a raw policy document, once per document and
without compiling it.

The privilege probes, the session-policy probes and the Roles Anywhere administration
questions ask a statement only about a fixed set of actions (:data:`VOCABULARY`). Which of
them a statement's Action or NotAction covers depends on that element alone, and action
lists are vocabulary, not literals: thousands of statements share a few dozen of them. So the
answer is kept per element (:func:`action_mask`, a bit per vocabulary action) and each
document is read once per scan into :class:`DocFacts`: the actions its Allow statements may
grant (under any condition, and unconditionally), those its Deny statements name, and the few
statements that bear on a privilege probe. That tells most roles apart without compiling
anything (no privilege probe can pass, no Roles Anywhere write is allowed), and the privilege
and session analyses are shared between documents of one shape (:func:`shared_role_privilege`,
:func:`session_statement_shapes`).

Resources and conditions stay per statement: they are the literals (each role's own ARNs).
Everything here answers what the compiled statements (:mod:`remediations.iam.statements`)
answer; the property tests compare them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from remediations.iam.grants import ANCHOR_WRITES, PROFILE_WRITES
from remediations.iam.permissions import (
    Memo,
    RolePrivilege,
    analyze_role_privilege,
    arn_parts,
    covered_resources,
    dangerous_session_probes,
    guardrail_probes,
    identity_documents,
    privilege_probes,
    writes,
)
from remediations.iam.statements import Element, condition_is_vacuous, statement_list, strings
from remediations.model import ManagedPolicy, Role
from remediations.shortcuts import shortcuts_on


def _vocabulary() -> tuple[str, ...]:
    """Every action a probe or an administration question names, lower-case. The probes'
    actions do not depend on the partition or account (their resources do)."""
    profile = "arn:aws:rolesanywhere:rafix-probe-region:000000000000:profile/rafix-probe"
    guards = guardrail_probes(profile)
    actions = [
        *(a for p in privilege_probes("aws", "000000000000") for a in p.actions),
        *(a for p in dangerous_session_probes(profile) for a in p.actions),
        *(a for p in guards for a in writes(p)),
        *ANCHOR_WRITES,
        *PROFILE_WRITES,
        "iam:PassRole",
    ]
    return tuple(dict.fromkeys(a.lower() for a in actions))


#: The actions a statement's coverage is recorded for (bit ``i`` of a mask: ``VOCABULARY[i]``).
VOCABULARY = _vocabulary()
_BIT = {action: 1 << i for i, action in enumerate(VOCABULARY)}


def mask_of(actions: Sequence[str]) -> int:
    """The bits of these vocabulary actions (any case)."""
    out = 0
    for action in actions:
        out |= _BIT[action.lower()]
    return out


#: The privilege probes' actions, and those of them that are IAM actions (every privilege
#: probe needs one of these allowed unconditionally).
PRIVILEGE_ACTIONS = mask_of([a for p in privilege_probes("aws", "0") for a in p.actions])
PRIVILEGE_IAM = mask_of(
    [a for p in privilege_probes("aws", "0") for a in p.actions if a.lower().startswith("iam:")]
)
#: The Roles Anywhere writes of RA-GOV-ADMIN-SURFACE, and PassRole.
ADMIN_WRITES = mask_of([*ANCHOR_WRITES, *PROFILE_WRITES])
PASS_ROLE = mask_of(["iam:PassRole"])


def action_mask(negated: bool, patterns: tuple[str, ...] | None) -> int:
    """The vocabulary actions an Action (``negated``: NotAction) element of these patterns
    covers (``patterns`` None: unreadable, covers nothing)."""
    if patterns is None:
        return 0
    element = Element.of(
        {"NotAction" if negated else "Action": list(patterns)}, "Action", ignore_case=True
    )
    out = 0
    for i, action in enumerate(VOCABULARY):
        if element.covers(action):
            out |= 1 << i
    return out


#: Masks of the Action values met so far: a plain string by itself, anything else as
#: (negated, value as a tuple). Bounded: emptied when full.
_MASKS: dict[Hashable, int] = {}
_MAX_MASKS = 8192
_MISSING = object()


def statement_mask(raw: Mapping[str, Any]) -> int:
    """:func:`action_mask` of a raw statement's Action or NotAction (Action first, as
    :meth:`Element.of` reads it); 0 without either."""
    value = raw.get("Action", _MISSING)
    negated = False
    if value is _MISSING:
        value = raw.get("NotAction", _MISSING)
        if value is _MISSING:
            return 0
        negated = True
    key: Hashable
    if type(value) is str and not negated:
        key = value
    else:
        key = (negated, tuple(value) if type(value) is list else value)
    try:
        return _MASKS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable item (a list or an object): not kept
        return action_mask(negated, strings(value))
    mask = action_mask(negated, strings(value))
    if len(_MASKS) >= _MAX_MASKS:
        _MASKS.clear()
    _MASKS[key] = mask
    return mask


@dataclass(frozen=True, slots=True)
class DocFacts:
    """One document, read once: what its Allow statements may grant, and the statements a
    privilege probe reads."""

    #: Vocabulary actions some Allow statement covers, under any condition.
    allows: int
    #: Privilege-probe actions some Allow statement whose condition never fails covers.
    always_allows: int
    #: Vocabulary actions some Deny statement covers, under any condition.
    denies: int
    #: (effect, privilege-action bits, condition never fails, raw statement) of each Allow or
    #: Deny statement covering a privilege probe's action, in document order.
    privilege_statements: tuple[tuple[str, int, bool, Mapping[str, Any]], ...]

    def touches(self, actions: int) -> bool:
        """Some Allow or Deny statement covers one of these actions (bits), under any
        condition: otherwise no question about them reads the document."""
        return bool((self.allows | self.denies) & actions)


_NOTHING = DocFacts(0, 0, 0, ())

#: Facts by ``id(document)``; a scan keeps one while its inventory owns the documents.
DocFactsMemo = dict[int, DocFacts]


def read_document(document: Any) -> DocFacts:
    """The :class:`DocFacts` of a raw document."""
    allows = always = denies = 0
    privilege: list[tuple[str, int, bool, Mapping[str, Any]]] = []
    for raw in statement_list(document):
        if not isinstance(raw, dict):
            continue
        effect = raw.get("Effect")
        if effect == "Allow":
            mask = statement_mask(raw)
            allows |= mask
        elif effect == "Deny":
            mask = statement_mask(raw)
            denies |= mask
        else:
            continue  # never applies
        if mask & PRIVILEGE_ACTIONS:
            vacuous = condition_is_vacuous(raw.get("Condition"))
            if vacuous and effect == "Allow":
                always |= mask & PRIVILEGE_ACTIONS
            privilege.append((effect, mask & PRIVILEGE_ACTIONS, vacuous, raw))
    if not (allows or denies):
        return _NOTHING
    return DocFacts(allows, always, denies, tuple(privilege))


def facts_of(document: Any, memo: DocFactsMemo) -> DocFacts:
    """:func:`read_document`, once per document object of a scan."""
    found = memo.get(id(document))
    if found is None:
        found = memo[id(document)] = read_document(document)
    return found


# --- role privilege ---------------------------------------------------------------------------

_NOT_PRIVILEGED = RolePrivilege(False)

#: Shared verdicts of one scan (see :func:`shared_role_privilege`).
PrivilegeShapes = dict[Hashable, RolePrivilege]


@lru_cache(maxsize=64)
def _privilege_resources(partition: str, account: str) -> tuple[str, ...]:
    """Every resource the privilege probes name."""
    return tuple(
        dict.fromkeys(r for p in privilege_probes(partition, account) for r in p.resources)
    )


def shared_role_privilege(
    role: Role,
    policies: Mapping[str, ManagedPolicy],
    memo: Memo,
    shapes: PrivilegeShapes,
    facts: DocFactsMemo,
) -> RolePrivilege:
    """:func:`analyze_role_privilege`, shared between roles whose documents have one shape.

    Every privilege probe needs an IAM action of its own allowed unconditionally: most roles
    have no statement that does, which the documents' facts tell without compiling them. The
    others are analysed once per shape: the probes read of a statement only its effect, the
    probe actions it covers, whether its condition can fail and the probe resources it
    covers, so roles whose policies name their own buckets, tables and roles share one
    analysis. A set of those: the documents are one union (any statement may grant, any may
    deny), so order and repeats change nothing. Under :func:`~remediations.shortcuts.plain_paths`, every role is analysed.
    """
    if not shortcuts_on():
        return analyze_role_privilege(role, policies, memo)
    documents, unknown = identity_documents(role, policies)
    found = []
    always = 0
    for document in documents:
        known = facts.get(id(document))
        if known is None:
            known = facts_of(document, facts)
        always |= known.always_allows
        found.append(known)
    if not always & PRIVILEGE_IAM:
        return _NOT_PRIVILEGED if not unknown else RolePrivilege(None, unknown=tuple(unknown))
    partition, account = arn_parts(role.arn)
    resources = _privilege_resources(partition, account)
    key = (
        partition,
        account,
        frozenset(
            (effect, mask, vacuous, raw_covered_resources(raw, resources))
            for f in found
            for effect, mask, vacuous, raw in f.privilege_statements
        ),
        role.permissions_boundary_arn,
        tuple(unknown),
    )
    verdict = shapes.get(key)
    if verdict is None:
        verdict = shapes[key] = analyze_role_privilege(role, policies, memo)
    return verdict


# --- session policies -------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _plain_and_prefixes(resources: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The resources as a set, and every prefix of every resource (the empty one too)."""
    return frozenset(resources), frozenset(r[:i] for r in resources for i in range(len(r) + 1))


def raw_covered_resources(raw: Mapping[str, Any], resources: tuple[str, ...]) -> tuple[int, ...]:
    """:func:`covered_resources` of a raw statement's Resource or NotResource element,
    without building the element when its plain patterns and the literal prefixes of its
    wildcard ones start none of ``resources`` (nearly every statement of an account)."""
    if "Resource" in raw:
        value = raw["Resource"]
        patterns = (value,) if type(value) is str else value if type(value) is list else None
        if patterns is None:
            return ()
        plain, prefixes = _plain_and_prefixes(resources)
        for pattern in patterns:
            if type(pattern) is not str:
                continue
            if pattern == "*":
                return tuple(range(len(resources)))  # covers every resource
            if "*" in pattern or "?" in pattern:
                if pattern.split("*", 1)[0].split("?", 1)[0] in prefixes:
                    break
            elif pattern in plain:
                break
        else:
            return ()
    return covered_resources(Element.of(raw, "Resource", ignore_case=False), resources)


def session_statement_shapes(
    documents: Sequence[Any], resources: tuple[str, ...]
) -> frozenset[Hashable]:
    """What the session-policy probes (whose resources are ``resources``) read of raw
    documents: per Allow or Deny statement, its effect, the vocabulary actions it covers,
    whether its condition can fail, and the probe resources it covers. A set: the documents
    are one union, so neither the order of statements nor their repeats change an answer."""
    out: set[Hashable] = set()
    for document in documents:
        for raw in statement_list(document):
            if not isinstance(raw, dict):
                continue
            effect = raw.get("Effect")
            if effect != "Allow" and effect != "Deny":
                continue
            out.add(
                (
                    effect,
                    statement_mask(raw),
                    condition_is_vacuous(raw.get("Condition")),
                    raw_covered_resources(raw, resources),
                )
            )
    return frozenset(out)

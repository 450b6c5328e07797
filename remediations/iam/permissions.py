"""Identity and session policy analysis: is a role privileged, does a session policy limit it?

Pure functions over parsed policy documents; nothing here talks to AWS.

The questions are answered with *probes*: actions on resources that stand for a kind of power
(:class:`Probe`). A probe action such as ``iam:RafixProbe`` names no real action, so only a pattern that
covers actions the policy never names (``iam:*``, ``*``, a ``NotAction`` without ``iam``)
matches it. That is exactly what "allows iam:*" means, whatever the spelling.

Rules (FINDINGS F-ROLE-01, F-PROF-01..03, section 2.9):

- Effective role permissions = (attached managed + inline) intersected with the permissions
  boundary. A condition-guarded Allow does not count (conservative: it proves nothing); a
  Deny only removes a probe when it is unconditional.
- Session policies (the inline ``sessionPolicy`` plus every ``managedPolicyArns`` entry) are one
  set: their Allows are a union, a Deny in any of them applies to all. A set without any Allow
  grants nothing at all. Conditions that can never fail (``aws:SourceIp`` ``0.0.0.0/0``) are
  read as no condition.

This module holds the matching, the probes and the role analysis; AWS managed policies are in
``managed_policies.py``, session policies in ``session_policies.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from remediations.iam.managed_policies import resolve_policy
from remediations.iam.statements import (
    Element,
    Statement,
    compile_statements,
    condition_is_vacuous,
    statement_list,
    strings,
)
from remediations.iam.wildcard import compile_wildcard
from remediations.model import ManagedPolicy, Role

JSON = dict[str, Any]


# --- matching (the shared IAM building blocks) -------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: ``*`` and ``?`` wildcards, case-insensitive."""
    return compile_wildcard(pattern, True).matches(action)


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM resource matching: ``*`` and ``?`` wildcards, case-sensitive."""
    return compile_wildcard(pattern, False).matches(resource)


class Applies(Enum):
    """How a statement's condition bears on a probe."""

    NO = "no"
    #: The statement covers the probe whatever the request context.
    ALWAYS = "always"
    #: The statement covers the probe only under its condition.
    CONDITIONAL = "conditional"


def applies(stmt: Statement, action: str, resources: Sequence[str]) -> Applies:
    """Whether a statement covers ``action`` on one of ``resources``, and under what condition."""
    if not stmt.covers_action(action):
        return Applies.NO
    if not any(stmt.covers_resource(r) for r in resources):
        return Applies.NO
    return Applies.ALWAYS if stmt.vacuous else Applies.CONDITIONAL


Compiled = tuple[Statement, ...]
#: Compiled documents by ``id(document)``. A scan keeps one memo while its inventory (which
#: owns the documents) is alive, so managed policies shared by many roles compile once.
Memo = dict[int, Compiled]


def compile_document(doc: Mapping[str, Any], memo: Memo | None = None) -> Compiled:
    """The Allow and Deny statements of a document, compiled for repeated probing."""
    if memo is not None and id(doc) in memo:
        return memo[id(doc)]
    compiled = tuple(stmt for stmt in compile_statements(doc)[1] if stmt.effect)
    if memo is not None:
        memo[id(doc)] = compiled
    return compiled


@dataclass(frozen=True, slots=True)
class Probe:
    """A kind of power: every one of ``actions`` on one of the resources that stand for "any"."""

    label: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    allow: Applies
    deny: Applies

    @property
    def granted(self) -> bool:
        """Allowed unconditionally and not denied unconditionally."""
        return self.allow is Applies.ALWAYS and self.deny is not Applies.ALWAYS

    @property
    def denied(self) -> bool:
        return self.deny is Applies.ALWAYS


def _strongest(values: Iterable[Applies]) -> Applies:
    found = Applies.NO
    for value in values:
        if value is Applies.ALWAYS:
            return value
        if value is Applies.CONDITIONAL:
            found = value
    return found


def evaluate_action(docs: Sequence[Compiled], action: str, resources: Sequence[str]) -> ProbeResult:
    """How compiled documents (a union) treat one action on any of ``resources``."""
    allow = deny = Applies.NO
    for doc in docs:
        for stmt in doc:
            found = applies(stmt, action, resources)
            if found is Applies.NO:
                continue
            if stmt.effect == "Allow":
                allow = _strongest((allow, found))
            else:
                deny = _strongest((deny, found))
    return ProbeResult(allow=allow, deny=deny)


def probe_granted(docs: Sequence[Compiled], probe: Probe) -> bool:
    """Every action of the probe is allowed unconditionally and not denied unconditionally."""
    return all(evaluate_action(docs, a, probe.resources).granted for a in probe.actions)


def probe_denied(docs: Sequence[Compiled], probe: Probe) -> bool:
    """Every action of the probe is denied unconditionally."""
    return all(evaluate_action(docs, a, probe.resources).denied for a in probe.actions)


def could_allow(docs: Sequence[Compiled], actions: Iterable[str]) -> bool:
    """Some Allow statement covers one of the actions, under any condition, on any resource."""
    wanted = tuple(actions)
    return any(
        stmt.effect == "Allow" and any(stmt.covers_action(a) for a in wanted)
        for doc in docs
        for stmt in doc
    )


def may_allow_service(document: Mapping[str, Any], service: str) -> bool:
    """Cheap over-approximation on a raw document: could some Allow statement whose condition
    never fails cover an action of ``service``? (What the compiled statements' ``effect``,
    ``vacuous`` and ``actions.may_cover_service`` say, without compiling the document.)"""
    for raw in statement_list(document):
        if not isinstance(raw, dict) or raw.get("Effect") != "Allow":
            continue
        if not condition_is_vacuous(raw.get("Condition")):
            continue
        for key, negated in (("Action", False), ("NotAction", True)):
            if key not in raw:
                continue
            patterns = strings(raw[key])
            if patterns is not None and (
                negated or any(pattern_may_cover_service(p, service) for p in patterns)
            ):
                return True
            break
    return False


def pattern_may_cover_service(pattern: str, service: str) -> bool:
    """Could an action pattern cover some action of ``service`` (lower-case)? An action has
    one colon, so a pattern's first colon stands for it and the text before must match the
    service; a pattern without a colon may match across it (``*Role``), so it may cover any."""
    head, colon, _ = pattern.partition(":")
    if "*" in head or "?" in head:
        return not colon or compile_wildcard(head, True).matches(service)
    return head.lower() == service


def has_allow(docs: Sequence[Compiled]) -> bool:
    """Some statement of the documents is an Allow (otherwise they grant nothing)."""
    return any(stmt.effect == "Allow" for doc in docs for stmt in doc)


# --- probes -----------------------------------------------------------------------------------


def arn_parts(arn: str) -> tuple[str, str]:
    """(partition, account) of an ARN, with safe defaults for odd input."""
    parts = arn.split(":")
    partition = parts[1] if len(parts) > 1 and parts[1] else "aws"
    account = parts[4] if len(parts) > 4 and parts[4] else "000000000000"
    return partition, account


def _any_resource(partition: str, account: str, service: str) -> str:
    """A resource ARN that only a pattern meaning "any resource of the service" matches."""
    return f"arn:{partition}:{service}:rafix-probe-region:{account}:rafix-probe/rafix-probe"


def _iam(partition: str, account: str, kind: str) -> str:
    return f"arn:{partition}:iam::{account}:{kind}/rafix-probe"


_PROBE_ACTION = "RafixProbe"
#: IAM writes that amount to iam:* (a principal with one of them on any resource can grant
#: itself anything), with the resource type each acts on.
_ESCALATION_ACTIONS: dict[str, str] = {
    "iam:AttachRolePolicy": "role",
    "iam:PutRolePolicy": "role",
    "iam:DeleteRolePermissionsBoundary": "role",
    "iam:AttachUserPolicy": "user",
    "iam:PutUserPolicy": "user",
    "iam:CreateAccessKey": "user",
    "iam:CreateLoginProfile": "user",
    "iam:UpdateLoginProfile": "user",
    "iam:AddUserToGroup": "group",
    "iam:AttachGroupPolicy": "group",
    "iam:PutGroupPolicy": "group",
    "iam:CreatePolicyVersion": "policy",
    "iam:SetDefaultPolicyVersion": "policy",
}


def _everything(partition: str, account: str) -> Probe:
    """``*:*``: an unnamed action of an unnamed service, and of IAM (``NotAction: iam:*`` is not
    everything)."""
    actions = (f"rafixprobe:{_PROBE_ACTION}", f"iam:{_PROBE_ACTION}")
    return Probe("*:*", actions, (_any_resource(partition, account, "rafixprobe"),))


def _service_wildcard(service: str, partition: str, account: str) -> Probe:
    """``<service>:*`` on any resource of the service."""
    resources: tuple[str, ...]
    if service == "iam":
        resources = (_iam(partition, account, "role"), _iam(partition, account, "user"))
    else:
        resources = (_any_resource(partition, account, service),)
    return Probe(f"{service}:*", (f"{service}:{_PROBE_ACTION}",), resources)


@lru_cache(maxsize=64)
def privilege_probes(partition: str, account: str) -> tuple[Probe, ...]:
    """The probes that make a role privileged (F-ROLE-01): ``*:*``, ``iam:*``, PassRole on *."""
    probes = [
        _everything(partition, account),
        _service_wildcard("iam", partition, account),
        Probe("iam:PassRole", ("iam:PassRole",), (_iam(partition, account, "role"),)),
    ]
    probes += [
        Probe(action, (action,), (_iam(partition, account, kind),))
        for action, kind in _ESCALATION_ACTIONS.items()
    ]
    return tuple(probes)


def dangerous_session_probes(profile_arn: str) -> tuple[Probe, ...]:
    """What a session policy must not allow (F-PROF-02)."""
    partition, account = arn_parts(profile_arn)
    return (
        _everything(partition, account),
        _service_wildcard("iam", partition, account),
        Probe("sts:AssumeRole on *", ("sts:AssumeRole",), (_iam(partition, account, "role"),)),
        _service_wildcard("rolesanywhere", partition, account),
        _service_wildcard("organizations", partition, account),
    )


#: The denies every session policy should carry (FINDINGS F-PROF-03): identity administration and
#: the destructive data-plane actions.
GUARDRAIL_DENIES: tuple[str, ...] = (
    "iam:*",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutLifecycleConfiguration",
    "rds:DeleteDBInstance",
    "rds:DeleteDBCluster",
    "rds:DeleteDBSnapshot",
    "rds:DeleteDBClusterSnapshot",
    "dynamodb:DeleteTable",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
)


def guardrail_probes(profile_arn: str) -> tuple[Probe, ...]:
    partition, account = arn_parts(profile_arn)
    out = []
    for label in GUARDRAIL_DENIES:
        service, action = label.split(":", 1)
        if action == "*":
            out.append(_service_wildcard(service, partition, account))
        else:
            out.append(Probe(label, (label,), (_any_resource(partition, account, service),)))
    return tuple(out)


def writes(probe: Probe) -> tuple[str, ...]:
    """The actions whose Allow makes a guardrail Deny necessary: for ``iam:*``, an unnamed IAM
    action (a wildcard), PassRole and the escalation writes, not ``iam:Get*`` reads."""
    if probe.label == "iam:*":
        return (*probe.actions, "iam:PassRole", *_ESCALATION_ACTIONS)
    return probe.actions


# --- roles ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RolePrivilege:
    """The verdict on a role's effective permissions."""

    #: True: privileged; False: not; None: cannot be decided (unknown documents).
    privileged: bool | None
    #: Probe labels the role is granted (e.g. ``("*:*", "iam:*", "iam:PassRole")``).
    grants: tuple[str, ...] = ()
    #: Policies whose documents are unknown or malformed (ARNs, or ``inline:<name>``).
    unknown: tuple[str, ...] = ()
    #: The boundary cut every privileged grant of the identity policies.
    bounded: bool = False


def identity_documents(
    role: Role, policies: Mapping[str, ManagedPolicy]
) -> tuple[list[JSON], list[str]]:
    """The role's identity documents (inline, then attached), and the policies among them
    whose documents are unknown or malformed (ARNs, or ``inline:<name>``)."""
    docs: list[JSON] = []
    unknown: list[str] = []
    for name, doc in role.inline_policies:
        if doc is None:
            unknown.append(f"inline:{name}")
        else:
            docs.append(doc)
    for arn in role.attached_policy_arns:
        resolved = resolve_policy(arn, policies)
        if resolved is None:
            unknown.append(arn)
        else:
            docs.append(resolved)
    return docs, unknown


def analyze_role_privilege(
    role: Role, policies: Mapping[str, ManagedPolicy], memo: Memo | None = None
) -> RolePrivilege:
    """Does the role's effective identity permission include ``*:*``, ``iam:*`` or PassRole on *?

    ``memo`` (see :data:`Memo`) shares compiled documents between calls of one scan.
    """
    documents, unknown = identity_documents(role, policies)
    if not any(may_allow_service(d, "iam") for d in documents):
        return RolePrivilege(None if unknown else False, unknown=tuple(unknown))
    docs = [compile_document(d, memo) for d in documents]
    probes = privilege_probes(*arn_parts(role.arn))
    grants = [p for p in probes if probe_granted(docs, p)]
    if not grants:
        # Unknown documents could hold the grant; known ones do not.
        return RolePrivilege(None if unknown else False, unknown=tuple(unknown))
    labels = tuple(p.label for p in grants)
    if role.permissions_boundary_arn is None:
        return RolePrivilege(True, labels, tuple(unknown))
    boundary = resolve_policy(role.permissions_boundary_arn, policies)
    if boundary is None:
        return RolePrivilege(None, labels, (*unknown, role.permissions_boundary_arn))
    bounds = [compile_document(boundary, memo)]
    kept = tuple(p.label for p in grants if probe_granted(bounds, p))
    if kept:
        return RolePrivilege(True, kept, tuple(unknown))
    return RolePrivilege(None if unknown else False, (), tuple(unknown), bounded=True)


def role_privilege(role: Role, policies: Mapping[str, ManagedPolicy]) -> bool | None:
    """True when the role is privileged, False when it is not, None when it cannot be decided."""
    return analyze_role_privilege(role, policies).privileged


def covered_resources(element: Element, resources: tuple[str, ...]) -> tuple[int, ...]:
    """The indexes of ``resources`` the element covers.

    A Resource element of plain ARNs (or of patterns whose text before the first wildcard
    starts none of the resources) covers none of them: the common case, told without
    matching each pattern against each resource.
    """
    if element.patterns is None:
        return ()
    if (
        not element.negated
        and not element.ignore_case
        and element.exact.isdisjoint(resources)
        and not any(r.startswith(_literal_prefix(p)) for p in element.wild for r in resources)
    ):
        return ()
    return tuple(i for i, r in enumerate(resources) if element.covers(r))


def _literal_prefix(pattern: str) -> str:
    """The text of a pattern before its first ``*`` or ``?``."""
    return pattern.split("*", 1)[0].split("?", 1)[0]

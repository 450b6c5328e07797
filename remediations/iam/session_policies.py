"""Session policies of a profile (its inline ``sessionPolicy`` and every ``managedPolicyArns``
entry, one set): does it limit the session, does it carry the guardrail denies, what does it
allow? Answered with the probes of :mod:`remediations.iam.permissions`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from remediations.iam.doc_facts import session_statement_shapes
from remediations.iam.managed_policies import resolve_policy
from remediations.iam.permissions import (
    Compiled,
    Memo,
    arn_parts,
    compile_document,
    could_allow,
    dangerous_session_probes,
    guardrail_probes,
    has_allow,
    probe_denied,
    probe_granted,
    writes,
)
from remediations.model import ManagedPolicy
from remediations.shortcuts import shortcuts_on

SessionShapes = dict[Hashable, "SessionPolicyAnalysis"]


# --- session policies -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionPolicyAnalysis:
    """What a profile's session policies (inline + managed, as one set) let a session do."""

    #: The profile has an inline session policy or managed policy ARNs.
    has_session_policy: bool
    #: Labels of dangerous probes the set allows (``*:*``, ``iam:*``, ``sts:AssumeRole on *``,
    #: ``rolesanywhere:*``, ``organizations:*``).
    dangerous_allowed: tuple[str, ...]
    #: Guardrail actions (``GUARDRAIL_DENIES``) the set could allow and does not deny
    #: unconditionally. An action no Allow covers needs no Deny: session policies only filter.
    missing_denies: tuple[str, ...]
    #: An unconditional Deny covers every IAM action.
    denies_iam: bool
    #: Some statement is an Allow; without one the session can do nothing at all.
    keeps_allow: bool
    #: Managed policy ARNs whose documents are unknown (the analysis may then miss grants).
    unknown_policy_arns: tuple[str, ...]

    @property
    def grants_everything(self) -> bool:
        return "*:*" in self.dangerous_allowed

    @property
    def complete(self) -> bool:
        return not self.unknown_policy_arns


def analyze_session_policies(
    profile_arn: str,
    session_policy: Mapping[str, Any] | None,
    managed_policy_arns: Sequence[str],
    policies: Mapping[str, ManagedPolicy],
    memo: Memo | None = None,
    shapes: SessionShapes | None = None,
) -> SessionPolicyAnalysis:
    """Analyse the inline session policy and managed policy ARNs of a profile as one set.

    ``shapes`` (one dict per scan) shares the analysis between profiles whose documents have
    the same shape (:func:`session_shape`, read from the raw documents: only a new shape
    compiles them); without it, or under :func:`~remediations.shortcuts.plain_paths`, every
    call analyses afresh.
    """
    documents: list[Mapping[str, Any]] = [session_policy] if session_policy is not None else []
    unknown: list[str] = []
    for arn in managed_policy_arns:
        resolved = resolve_policy(arn, policies)
        if resolved is None:
            unknown.append(arn)
        else:
            documents.append(resolved)
    has_session_policy = session_policy is not None or bool(managed_policy_arns)
    if shapes is None or not shortcuts_on():
        docs = [compile_document(d, memo) for d in documents]
        return _analyze_session(profile_arn, docs, has_session_policy, unknown)
    key = (session_shape(profile_arn, documents), has_session_policy, tuple(unknown))
    found = shapes.get(key)
    if found is None:
        docs = [compile_document(d, memo) for d in documents]
        found = shapes[key] = _analyze_session(profile_arn, docs, has_session_policy, unknown)
    return found


@lru_cache(maxsize=64)
def _session_probe_resources(partition: str, account: str) -> tuple[str, ...]:
    """Every resource a session-policy probe names, for one partition and account."""
    arn = f"arn:{partition}:rolesanywhere:rafix-probe-region:{account}:profile/rafix-probe"
    probes = (*dangerous_session_probes(arn), *guardrail_probes(arn))
    return tuple(dict.fromkeys(r for p in probes for r in p.resources))


def session_shape(profile_arn: str, documents: Sequence[Mapping[str, Any]]) -> Hashable:
    """What the session-policy analysis reads of the raw documents, with the literals left out.

    The probes ask of a statement only its effect, which of their actions it covers, whether
    its condition can fail, and whether it covers each probe resource
    (:func:`~remediations.iam.doc_facts.session_statement_shapes`), so documents that agree
    on those get the same analysis whatever Resources they name. The probe resources depend
    only on the profile's partition and account, which are part of the shape.
    """
    partition, account = arn_parts(profile_arn)
    resources = _session_probe_resources(partition, account)
    return (partition, account, session_statement_shapes(documents, resources))


def _analyze_session(
    profile_arn: str, docs: Sequence[Compiled], has_session_policy: bool, unknown: list[str]
) -> SessionPolicyAnalysis:
    keeps_allow = has_allow(docs)
    dangerous = (
        tuple(p.label for p in dangerous_session_probes(profile_arn) if probe_granted(docs, p))
        if keeps_allow
        else ()
    )
    guards = guardrail_probes(profile_arn)
    missing = tuple(
        p.label for p in guards if could_allow(docs, writes(p)) and not probe_denied(docs, p)
    )
    return SessionPolicyAnalysis(
        has_session_policy=has_session_policy,
        dangerous_allowed=dangerous,
        missing_denies=missing,
        denies_iam=any(p.label == "iam:*" and probe_denied(docs, p) for p in guards),
        keeps_allow=keeps_allow or bool(unknown),
        unknown_policy_arns=tuple(unknown),
    )

"""Findings -> proposed target states: one coherent change per resource, rendered and validated.

``propose(inventory, findings, settings, values)`` turns the findings that have a fix into
:class:`ProposedChange` objects (before/after resource states, see ``state.py``), lists what
needs a value only the user knows (:class:`NeedsInput`, answered with ``--set``) and what rafix
does not fix automatically (:class:`NotFixable`, with the reason).

Patches are minimal: they touch only the statements and fields a finding is about, keep every
other statement as it is and in order, and several findings on one resource merge into one
target state. Every patched trust policy is proved safe with the evaluator before it is
proposed (a witness search, :func:`prove_safe`): it admits
no certificate the current policy refuses, and it still admits the intended workload.

Phase 1 holds the fixes that need no input and change no workload's role: what a plain
``rafix apply`` applies. Splits (RA-TRUST-MULTIPLE-SUBJECTS, RA-TRUST-MIXED-PRINCIPALS) are
opt-in, in two steps: phase 2 (``rafix apply --phase 2``) creates a dedicated role per workload
(state ``before`` None; the shared role's Roles Anywhere trust restricted to that workload,
proved to admit exactly its certificates; the shared role's policies, boundary, duration, path
and tags copied) and adds it to every profile that lists the shared role; phase 3 (``--phase
3``, once clients use their new ``--role-arn``) removes what moved from the shared role, and the
shared role from the profiles when it no longer trusts Roles Anywhere. Each change's ``before``
is the ``after`` of the same resource's change in the phase before it.
RA-ROLE-PRIVILEGED stays advisory: a split alone copies the same permissions.

``--set`` grammar (``parse_values``): ``KEY=VALUE`` applies to every resource;
``SCOPE.KEY=VALUE`` only to the resource whose name, ID or ARN is SCOPE (the key is what follows
the last dot, so role names with dots work). Keys: ``cn``, ``ou``, ``uri``, ``dns`` (subject
pins), ``issuer_cn``, ``trust_anchor_arn`` (comma list), ``services`` (comma list of service
prefixes such as ``s3,sqs`` for the session policy's Allow).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import random
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from remediations.catalog import CATALOG
from remediations.errors import InputError, PolicyError
from remediations.evaluator import (
    compile_policy,
    has_wildcard,
    parse_operator,
    wildcard_match,
)
from remediations.findings import RESOURCE_TYPES, Finding
from remediations.model import (
    GLOBAL_REGION,
    RA_SERVICE_PRINCIPAL,
    REQUIRED_ACTIONS,
    Inventory,
    Profile,
    Role,
)
from remediations.policy import as_list
from remediations.render import check_document, check_managed_arns, render, render_document
from remediations.settings import Settings
from remediations.state import detailed_role_state, resource_id, state_from_inventory
from remediations.trust import (
    CERTIFICATE_CATEGORIES,
    SUBJECT_CATEGORIES,
    CertificateContext,
    TrustAnalysis,
    analyze_trust,
    canonical_subject_key,
    key_category,
)
from remediations.x509 import parse_certificate_bundle, parse_crl

KNOWN_KEYS = ("cn", "ou", "uri", "dns", "issuer_cn", "trust_anchor_arn", "services")
VARIABLES_VERSION = "2012-10-17"
ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"
_TYPE_BY_CFN = {cfn: short for short, cfn in RESOURCE_TYPES.items()}
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TAG_PUNCTUATION = frozenset("_.:/=+-@")

# Findings grouped by the fix that answers them.
_ANCHOR_IDS = frozenset(
    {"RA-TRUST-NO-SOURCEARN", "RA-TRUST-SOURCEARN-WILDCARD", "RA-TRUST-SOURCEARN-STALE"}
)
_SESSION_POLICY_IDS = frozenset(
    {
        "RA-PROFILE-UNSCOPED-SESSION",
        "RA-PROFILE-NO-GUARDRAIL-DENIES",
        "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
    }
)
_TWO_PHASE = {
    "RA-ROLE-PRIVILEGED": "the workload needs a least-privilege role first, and splitting "
    "the role alone does not reduce privilege (a dedicated role would copy the same "
    "permissions)",
}
_REPORT_ONLY = {
    "RA-TRUST-WILDCARD-PRINCIPAL": 'the explicit principals that should replace "*" are '
    "not in the account's data",
    "RA-TRUST-SUBJECT-NAMING": "the fix is a new certificate for the workload, issued outside AWS",
    "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING": "it is fixed by pinning each listed role's trust "
    "(RA-TRUST-NO-SUBJECT-CONDITION) or by splitting the profile",
    "RA-ROLE-ORPHANED": "removing a trust or deleting a role needs a person to check "
    "RoleLastUsed first",
    "RA-TA-NO-REVOCATION": "importing a CRL needs the CA's CRL data, which rafix does not have",
    "RA-CRL-STALE": "refreshing a CRL needs fresh data from the CA",
    "RA-CRL-ORPHANED": "deleting a CRL is not reversible; delete it by hand (DeleteCrl)",
    "RA-TA-CA-EXPIRING": "renewing a CA happens in your PKI",
    "RA-TA-EXTERNAL-CA": "whether a CA is yours is a decision for a person",
    "RA-TA-BLAST-RADIUS": "the fix is a PKI design change (a dedicated issuing CA)",
    "RA-INPUT-MALFORMED-POLICY": "the document could not be read",
}
#: canonical subject key (lower case, without aws:principaltag/) -> the --set key for its value.
_PIN_VALUE_KEYS = {
    "x509subject/cn": "cn",
    "x509subject/ou": "ou",
    "x509san/uri": "uri",
    "x509san/dns": "dns",
    "sts:sourceidentity": "cn",
}
_NEGATED_TO_POSITIVE = {
    "stringnotequals": "StringEquals",
    "stringnotequalsignorecase": "StringEqualsIgnoreCase",
    "stringnotlike": "StringLike",
    "arnnotequals": "ArnEquals",
    "arnnotlike": "ArnLike",
}
_POSITIVE = (
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
)


# --- results -----------------------------------------------------------------------------------


@dataclass(slots=True)
class ProposedChange:
    """The target state of one resource and why."""

    resource_arn: str
    resource_type: str
    region: str
    finding_ids: list[str]
    summary: str
    why: str
    #: None: the resource does not exist yet (a dedicated role phase 1 creates).
    before: dict[str, Any] | None
    after: dict[str, Any]
    phase: int = 1


@dataclass(frozen=True, slots=True)
class NeedsInput:
    """A value the account cannot tell, and how to give it."""

    finding_id: str
    resource_arn: str
    key: str
    question: str
    candidates: tuple[str, ...] = ()

    @property
    def set_option(self) -> str:
        """The ``--set`` option that answers it, scoped to the resource."""
        return f"--set {_scope_name(self.resource_arn)}.{self.key}=VALUE"

    def to_json(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "resource_arn": self.resource_arn,
            "key": self.key,
            "question": self.question,
            "candidates": list(self.candidates),
            "set": self.set_option,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NeedsInput:
        return cls(
            str(data["finding_id"]),
            str(data["resource_arn"]),
            str(data["key"]),
            str(data.get("question", "")),
            tuple(str(c) for c in data.get("candidates") or ()),
        )


@dataclass(frozen=True, slots=True)
class NotFixable:
    finding_id: str
    resource_arn: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "resource_arn": self.resource_arn,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotFixable:
        return cls(str(data["finding_id"]), str(data["resource_arn"]), str(data.get("reason", "")))


@dataclass(slots=True)
class ProposalSet:
    changes: list[ProposedChange] = field(default_factory=list)
    needs_input: list[NeedsInput] = field(default_factory=list)
    not_fixable: list[NotFixable] = field(default_factory=list)


class _NeedInput(Exception):
    def __init__(self, key: str, question: str, candidates: Iterable[str] = ()) -> None:
        super().__init__(question)
        self.key = key
        self.question = question
        self.candidates = tuple(dict.fromkeys(candidates))


class _Refuse(Exception):
    """A fix that cannot be made safely; the message is the reason."""


# --- --set values ------------------------------------------------------------------------------


def parse_values(items: Iterable[str]) -> dict[str, str]:
    """``--set`` options -> values for :func:`propose`.

    Raises:
        InputError: an item without ``=``, an unknown key or an empty value.
    """
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set {item!r}: expected KEY=VALUE or RESOURCE.KEY=VALUE")
        key = name.rsplit(".", 1)[-1].strip()
        if key not in KNOWN_KEYS:
            raise InputError(
                f"--set {item!r}: unknown key {key!r} (one of: {', '.join(KNOWN_KEYS)})"
            )
        if not value.strip():
            raise InputError(f"--set {item!r}: the value is empty")
        values[name.strip()] = value.strip()
    return values


def _scope_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class _Values:
    """The ``--set`` values that apply to one resource (scoped ones win)."""

    def __init__(self, values: dict[str, str], arn: str, name: str) -> None:
        self._values = values
        self._scopes = (arn, name, _scope_name(arn))

    def get(self, key: str) -> str | None:
        for scope in self._scopes:
            if f"{scope}.{key}" in self._values:
                return self._values[f"{scope}.{key}"]
        return self._values.get(key)

    def get_list(self, key: str) -> list[str] | None:
        value = self.get(key)
        if value is None:
            return None
        return [v.strip() for v in value.split(",") if v.strip()]


def tag_value_problem(value: str) -> str | None:
    """Why Roles Anywhere could not map a value into a session tag (STS charset), or None."""
    if len(value) > 256:
        return f"is {len(value):,} characters (session tag values are limited to 256)"
    for ch in value:
        if ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LNZ":
            continue
        return f"contains {ch!r}, outside the STS session-tag charset, so it can never match"
    return None


# --- entry point -------------------------------------------------------------------------------


def propose(
    inventory: Inventory,
    findings: list[Finding],
    settings: Settings | None = None,
    values: dict[str, str] | None = None,
) -> ProposalSet:
    """One change per resource for the findings that have a fix; the rest explained."""
    settings = settings or Settings()
    values = values or {}
    result = ProposalSet()
    by_resource: dict[tuple[str, str], list[Finding]] = {}
    splits: dict[str, list[Finding]] = {}
    for finding in findings:
        kind = _TYPE_BY_CFN.get(finding.resource_type, finding.resource_type)
        if finding.id in _SPLIT_IDS and kind == "role":
            splits.setdefault(finding.resource_arn, []).append(finding)
        elif finding.id in _TWO_PHASE:
            result.not_fixable.append(_two_phase(finding))
        elif finding.id in _REPORT_ONLY or finding.id not in CATALOG:
            reason = _REPORT_ONLY.get(finding.id, "rafix has no automatic fix for it")
            result.not_fixable.append(
                NotFixable(finding.id, finding.resource_arn, f"Not fixed automatically: {reason}.")
            )
        else:
            by_resource.setdefault((kind, finding.resource_arn), []).append(finding)
    builders = {
        "role": _propose_role,
        "profile": _propose_profile,
        "trust-anchor": _propose_anchor,
        "crl": _propose_crl,
    }
    for (kind, arn), group in sorted(by_resource.items()):
        builder = builders.get(kind)
        if builder is None:
            continue
        builder(_Job(inventory, settings, values, kind, arn, group, result))
    # After the one-resource fixes: a split builds on their phase-1 states.
    _propose_splits(inventory, settings, splits, result)
    return result


def _two_phase(finding: Finding) -> NotFixable:
    spec = CATALOG[finding.id]
    return NotFixable(
        finding.id,
        finding.resource_arn,
        f"Two-phase change, not automatic: {_TWO_PHASE[finding.id]}, and its clients must "
        f"switch before this role can be narrowed. {spec.fix}",
    )


@dataclass(slots=True)
class _Job:
    """One resource and its findings, while its proposal is made."""

    inventory: Inventory
    settings: Settings
    raw_values: dict[str, str]
    kind: str
    arn: str
    findings: list[Finding]
    result: ProposalSet

    @property
    def ids(self) -> set[str]:
        return {f.id for f in self.findings}

    def values(self, name: str) -> _Values:
        return _Values(self.raw_values, self.arn, name)

    def refuse(self, reason: str, ids: Iterable[str] | None = None) -> None:
        for fid in sorted(set(ids) if ids is not None else self.ids):
            self.result.not_fixable.append(NotFixable(fid, self.arn, reason))

    def need(self, exc: _NeedInput, ids: Iterable[str]) -> None:
        for fid in sorted(set(ids)):
            self.result.needs_input.append(
                NeedsInput(fid, self.arn, exc.key, exc.question, exc.candidates)
            )

    def emit(self, summary: list[str], after: dict[str, Any], ids: Iterable[str]) -> None:
        before = state_from_inventory(self.inventory, self.kind, self.arn)
        if before is None or before == after or not summary:
            return
        fixed = sorted(set(ids))
        why = " ".join(f"{fid}: {CATALOG[fid].title}." for fid in fixed)
        region = self.findings[0].region
        self.result.changes.append(
            ProposedChange(
                self.arn, self.kind, region, fixed, "; ".join(summary), why, before, after
            )
        )


# --- roles -------------------------------------------------------------------------------------


def _propose_role(job: _Job) -> None:
    role = job.inventory.roles.get(job.arn)
    if role is None or role.trust_policy is None:
        job.refuse("The role's trust policy could not be read.")
        return
    outcome = _patch_role(job, role, prove_each=False)
    if outcome.fixed and outcome.patcher.summary:
        try:
            outcome.patcher.prove(outcome.fixed)
        except (PolicyError, _Refuse):
            # Some fix is unsafe or does not fit: redo them one by one, keeping the safe ones.
            outcome = _patch_role(job, role, prove_each=True)
    for exc, ids in outcome.needs:
        job.need(exc, ids)
    for reason, ids in outcome.refusals:
        job.refuse(reason, ids)
    if outcome.fixed and outcome.patcher.summary:
        after = outcome.patcher.document()
        job.emit(outcome.patcher.summary, {"trustPolicy": after}, outcome.fixed)


@dataclass(slots=True)
class _RoleOutcome:
    patcher: _TrustPatcher
    fixed: set[str] = field(default_factory=set)
    needs: list[tuple[_NeedInput, set[str]]] = field(default_factory=list)
    refusals: list[tuple[str, set[str]]] = field(default_factory=list)


def _patch_role(job: _Job, role: Role, *, prove_each: bool) -> _RoleOutcome:
    """Apply every fix the role's findings ask for; a fix that needs input or is refused leaves
    no trace in the document. With ``prove_each``, each fix must keep the patch safe."""
    patcher = _TrustPatcher(job, role)
    outcome = _RoleOutcome(patcher)
    for step, ids in patcher.steps():
        wanted = ids & job.ids
        if not wanted:
            continue
        saved = patcher.checkpoint()
        try:
            step()
            if prove_each and patcher.summary:
                patcher.prove(outcome.fixed | wanted)
            outcome.fixed |= wanted
        except _NeedInput as exc:
            patcher.restore(saved)
            outcome.needs.append((exc, wanted))
        except (_Refuse, PolicyError) as exc:
            patcher.restore(saved)
            outcome.refusals.append((f"Refused: {exc}.", wanted))
    return outcome


class _TrustPatcher:
    """A copy of a trust policy and the edits the findings ask for."""

    def __init__(self, job: _Job, role: Role) -> None:
        self.job = job
        self.role = role
        self.values = job.values(role.name)
        self.original = role.trust_policy or {}
        self.doc = copy.deepcopy(self.original)
        self.single = isinstance(self.doc.get("Statement"), dict)
        self.statements: list[Any] = as_list(self.doc.get("Statement"))
        self.analysis: TrustAnalysis = analyze_trust(self.original)
        self.summary: list[str] = []
        #: The workload the patch is for: values it pins (source_arn, subject/<RDN>, issuer/CN).
        self.intended: dict[str, list[str]] = {}
        self._isolated: dict[int, int] = {}
        self._anchors: list[str] | None = None

    def checkpoint(self) -> tuple[Any, ...]:
        # One deepcopy keeps doc["Statement"] and self.statements the same objects.
        return (
            copy.deepcopy((self.doc, self.statements)),
            list(self.summary),
            copy.deepcopy(self.intended),
            dict(self._isolated),
            self._anchors,
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        (self.doc, self.statements), summary, intended, isolated, self._anchors = saved
        self.summary, self.intended, self._isolated = summary, intended, isolated

    def prove(self, fixed: set[str]) -> None:
        """Raise when the document so far is not valid, too large, or not provably safe."""
        after = copy.deepcopy(self.document())
        check_document(after, "trust")
        prove_safe(
            self.original,
            after,
            self.intended,
            anchors=list(self.job.inventory.trust_anchors),
            repair="RA-TRUST-MISSING-REQUIRED-ACTION" in fixed,
        )

    def steps(self) -> Iterator[tuple[Any, set[str]]]:
        yield self.fix_version, {"RA-TRUST-LEGACY-VERSION-WITH-VARIABLES"}
        yield self.fix_missing_actions, {"RA-TRUST-MISSING-REQUIRED-ACTION"}
        yield self.fix_source_ip, {"RA-TRUST-SOURCEIP-CONDITION"}
        yield self.fix_fail_open, {"RA-TRUST-FAIL-OPEN-OPERATOR"}
        yield self.fix_anchor, set(_ANCHOR_IDS)
        yield self.fix_subject_wildcard, {"RA-TRUST-SUBJECT-WILDCARD"}
        yield self.fix_subject, {"RA-TRUST-NO-SUBJECT-CONDITION"}
        yield self.fix_issuer, {"RA-TRUST-ISSUER-NOT-PINNED"}

    def document(self) -> dict[str, Any]:
        doc = self.doc
        if self.single and len(self.statements) == 1:
            doc["Statement"] = self.statements[0]
        else:
            doc["Statement"] = self.statements
        return doc

    # statements ----------------------------------------------------------------------------

    def ra_allows(self) -> list[int]:
        """Indexes (after isolation) of the Allow statements that apply to Roles Anywhere."""
        return [self.isolate(i) for i in self.analysis.ra_statement_indexes]

    def isolate(self, index: int) -> int:
        """Give Roles Anywhere its own statement when the statement also trusts others, so that
        certificate conditions never apply to (and break) the other principals."""
        if index in self._isolated:
            return self._isolated[index]
        statement = self.statements[index]
        principal = statement.get("Principal")
        if principal == "*" or (
            isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))
        ):
            raise _Refuse(
                f'statement {index + 1} allows Principal "*"; replace it with explicit '
                "principals first (RA-TRUST-WILDCARD-PRINCIPAL)"
            )
        target = index
        if isinstance(principal, dict):
            others = {k: v for k, v in principal.items() if k != "Service"}
            services = [s for s in as_list(principal.get("Service")) if s != RA_SERVICE_PRINCIPAL]
            if others or services:
                if services:
                    others["Service"] = services if len(services) > 1 else services[0]
                ra_only = copy.deepcopy(statement)
                ra_only["Principal"] = {"Service": RA_SERVICE_PRINCIPAL}
                if isinstance(ra_only.get("Sid"), str):
                    ra_only["Sid"] = ra_only["Sid"] + "RolesAnywhere"
                statement["Principal"] = others
                self.statements.append(ra_only)
                target = len(self.statements) - 1
                self.summary.append(
                    f"gives Roles Anywhere its own statement (split from statement {index + 1})"
                )
        self._isolated[index] = target
        return target

    @staticmethod
    def conditions(statement: dict[str, Any]) -> dict[str, Any]:
        block = statement.get("Condition")
        if not isinstance(block, dict):
            block = {}
            statement["Condition"] = block
        return block

    def clauses(self, index: int) -> Iterator[tuple[str, str, list[str]]]:
        """(operator, key as written, values) of one statement."""
        block = self.statements[index].get("Condition")
        if not isinstance(block, dict):
            return
        for operator, keys in list(block.items()):
            if isinstance(keys, dict):
                for key, value in list(keys.items()):
                    yield str(operator), str(key), [str(v) for v in as_list(value)]

    def remove(self, index: int, operator: str, key: str) -> None:
        block = self.conditions(self.statements[index])
        keys = block.get(operator)
        if isinstance(keys, dict):
            keys.pop(key, None)
            if not keys:
                del block[operator]
        if not block:
            del self.statements[index]["Condition"]

    def add(self, index: int, fragment: dict[str, Any]) -> None:
        """Merge a rendered condition block into a statement (same key: values replaced)."""
        block = self.conditions(self.statements[index])
        for operator, keys in fragment.items():
            existing = next((op for op in block if op.lower() == operator.lower()), operator)
            target = block.setdefault(existing, {})
            if not isinstance(target, dict):
                raise _Refuse(f"statement {index + 1} has a malformed {existing} block")
            for key, value in keys.items():
                same = next((k for k in target if k.lower() == key.lower()), key)
                target.pop(same, None)
                target[key] = value

    def statement_has(
        self, index: int, categories: frozenset[str], positive_only: bool = True
    ) -> bool:
        for operator, key, values in self.clauses(index):
            if key_category(key) not in categories:
                continue
            base = operator.split(":")[-1]
            if positive_only and base not in _POSITIVE:
                continue
            if not all(has_wildcard(v) for v in values):
                return True
        return False

    # fixes ---------------------------------------------------------------------------------

    def fix_version(self) -> None:
        if self.doc.get("Version") == VARIABLES_VERSION:
            return
        old = self.doc.get("Version")
        rest = {k: v for k, v in self.doc.items() if k != "Version"}
        self.doc.clear()
        self.doc.update({"Version": VARIABLES_VERSION, **rest})
        self.summary.append(f"sets Version {old or '(none)'} -> {VARIABLES_VERSION}")

    def fix_missing_actions(self) -> None:
        missing = [a for a in REQUIRED_ACTIONS if a not in self.analysis.allowed_actions]
        if not missing:
            return
        compiled = {s.index: s for s in compile_policy(self.original).statements}
        paths = [
            i
            for i in self.analysis.ra_statement_indexes
            if i in compiled and compiled[i].covers_action("sts:AssumeRole")
        ]
        if not paths:
            raise _Refuse(
                "no Roles Anywhere statement allows sts:AssumeRole to copy conditions from"
            )
        for original_index in paths:
            index = self.isolate(original_index)
            statement = self.statements[index]
            if "Action" not in statement:
                raise _Refuse(f"statement {index + 1} uses NotAction; add the actions by hand")
            actions = [str(a) for a in as_list(statement["Action"])]
            statement["Action"] = actions + [a for a in missing if a not in actions]
        self.summary.append(f"allows {', '.join(missing)} under the sts:AssumeRole conditions")

    def fix_source_ip(self) -> None:
        removed = 0
        for use in self.analysis.ip_conditions:
            if use.effect != "Allow":
                raise _Refuse(
                    f"a Deny statement ({use.operator} {use.key}) uses an IP condition; "
                    "removing it changes who is denied: edit it by hand"
                )
            index = self.isolate(use.statement_index)
            self.remove(index, use.operator, use.key)
            removed += 1
        if removed:
            self.summary.append(
                "removes IP conditions from the trust (the caller is Roles Anywhere, never the "
                "workload); restrict networks in the profile's session policy instead"
            )

    def fix_fail_open(self) -> None:
        uses = [
            u for u in self.analysis.fail_open_conditions if u.category in CERTIFICATE_CATEGORIES
        ]
        if not uses:
            raise _Refuse("the fail-open condition is not on a certificate key; fix it by hand")
        for number, use in enumerate(uses, start=1):
            index = self.isolate(use.statement_index)
            operator = use.operator.split(":")[-1]
            base = operator[: -len("IfExists")] if operator.endswith("IfExists") else operator
            if base == "Null":
                raise _Refuse(f"a Null condition on {use.key} in an Allow; fix it by hand")
            self.remove(index, use.operator, use.key)
            positive = _NEGATED_TO_POSITIVE.get(base.lower())
            if positive is None:
                self.add(index, {base: {use.key: list(use.values)}})
                self.summary.append(
                    f"rewrites {use.operator} on {use.key} as {base} (fails closed when absent)"
                )
                continue
            self.add(index, render("trust_conditions_presence.json.j2", key=use.key))
            actions = [a for a in REQUIRED_ACTIONS]
            deny = render(
                "trust_statement_deny_blocklist.json.j2",
                sid=f"RafixDenyBlocked{number}",
                operator=positive,
                key=use.key,
                blocked=list(use.values),
                actions=actions,
            )
            self.statements.append(deny)
            self.summary.append(
                f"moves the {use.operator} block list on {use.key} into a Deny statement and "
                f"requires {use.key} to be present"
            )

    def anchors(self) -> list[str]:
        """The trust anchors to pin: --set trust_anchor_arn, else the only candidate."""
        if self._anchors is not None:
            return self._anchors
        given = self.values.get_list("trust_anchor_arn")
        if given:
            self._anchors = given
            return given
        pinned = sorted(a for a in self.analysis.pinned_source_arns if self._live(a))
        if pinned:  # the anchors the role's other statements already trust
            self._anchors = pinned
            return pinned
        inventory = self.job.inventory
        regions = self.profile_regions()
        anchors = [
            a for a in inventory.trust_anchors.values() if not regions or a.region in regions
        ]
        enabled = [a.arn for a in anchors if a.enabled]
        if len(enabled) == 1:
            self._anchors = enabled
            return enabled
        where = f" in {', '.join(sorted(regions))}" if regions else ""
        raise _NeedInput(
            "trust_anchor_arn",
            f"Which trust anchor(s) does the workload of role {self.role.name} use? "
            f"(comma list; {len(enabled)} enabled trust anchors{where})",
            sorted(a.arn for a in anchors),
        )

    def profile_regions(self) -> set[str]:
        return {
            p.region
            for p in self.job.inventory.profiles.values()
            if self.role.arn in p.role_arns
            or any(a.endswith(f"/{self.role.name}") for a in p.role_arns)
        }

    def _live(self, arn: str) -> bool:
        inventory = self.job.inventory
        return "rolesanywhere" not in inventory.coverage or arn in inventory.trust_anchors

    def fix_anchor(self) -> None:
        ids = self.job.ids & _ANCHOR_IDS
        for index in self.ra_allows():
            current: list[tuple[str, str, list[str]]] = [
                (op, key, vals)
                for op, key, vals in self.clauses(index)
                if key.lower() == "aws:sourcearn"
                and op.split(":")[-1].removesuffix("IfExists") in _POSITIVE
            ]
            values = [v for _, _, vals in current for v in vals]
            wildcards = [v for v in values if has_wildcard(v)]
            live = [v for v in values if not has_wildcard(v) and self._live(v)]
            stale = [v for v in values if not has_wildcard(v) and not self._live(v)]
            if values and not wildcards and not stale:
                continue
            if stale and not live and not wildcards and "RA-TRUST-SOURCEARN-STALE" in ids:
                raise _Refuse(
                    "the role pins only trust anchors that no longer exist, so Roles Anywhere "
                    "cannot use it today; pinning a live anchor would open it. Check "
                    "RoleLastUsed and decide by hand"
                )
            pins = list(live)
            if not values or wildcards:
                pins += [a for a in self.anchors() if a not in pins]
            for op, key, _ in current:
                self.remove(index, op, key)
            self.add(index, render("trust_conditions_source_arn.json.j2", trust_anchor_arns=pins))
            self.intended["source_arn"] = pins
            label = f"statement {index + 1}"
            if stale:
                self.summary.append(
                    f"removes stale trust anchor(s) {', '.join(stale)} from {label}"
                )
            if wildcards:
                self.summary.append(
                    f"replaces aws:SourceArn pattern {', '.join(wildcards)} in {label}"
                )
            self.summary.append(f"pins aws:SourceArn to {', '.join(pins)} in {label}")

    def subjects_seen(self, pattern: str | None = None) -> list[str]:
        """CNs of the subjects Roles Anywhere has seen in the regions of the role's profiles."""
        regions = self.profile_regions()
        seen = []
        for subject in self.job.inventory.subjects.values():
            if regions and subject.region not in regions:
                continue
            cn = _rdn(subject.x509_subject, "CN")
            if cn and (pattern is None or wildcard_match(pattern, cn)):
                seen.append(cn)
        return sorted(set(seen))

    def pin_value(self, value_key: str, pattern: str | None = None) -> str:
        value = self.values.get(value_key)
        if value is None and value_key == "cn":
            known = self.analysis.pinned_subjects.get("x509subject/cn", frozenset())
            if len(known) == 1:
                value = next(iter(known))
        if value is None:
            question = {
                "cn": f"Which certificate CN should role {self.role.name} accept?",
                "ou": f"Which certificate OU should role {self.role.name} accept?",
                "uri": f"Which URI SAN (e.g. SPIFFE ID) should role {self.role.name} accept?",
                "dns": f"Which DNS SAN should role {self.role.name} accept?",
            }[value_key]
            candidates = self.subjects_seen(pattern) if value_key == "cn" else []
            raise _NeedInput(value_key, question, candidates)
        problem = tag_value_problem(value)
        if problem:
            raise _Refuse(f"the {value_key} {value[:60]!r} {problem}")
        return value

    def fix_subject_wildcard(self) -> None:
        for index in self.ra_allows():
            for operator, key, values in list(self.clauses(index)):
                if key_category(key) not in SUBJECT_CATEGORIES or not any(
                    has_wildcard(v) for v in values
                ):
                    continue
                canonical = key.lower().removeprefix("aws:principaltag/")
                value_key = _PIN_VALUE_KEYS.get(canonical)
                if value_key is None:
                    raise _Refuse(f"no exact value is known for {key}; pin it by hand")
                pattern = next(v for v in values if has_wildcard(v))
                exact = self.pin_value(value_key, pattern)
                if canonical == "sts:sourceidentity":
                    exact = f"CN={exact}"
                self.remove(index, operator, key)
                pins = [(key, exact)]
                self.add(index, render("trust_conditions_subject.json.j2", pins=pins))
                self._remember_subject(canonical, exact)
                self.summary.append(
                    f"replaces {key} pattern {pattern!r} with {exact!r} in statement {index + 1}"
                )

    def _remember_subject(self, canonical: str, value: str) -> None:
        if canonical == "sts:sourceidentity":
            canonical, value = "x509subject/cn", value.removeprefix("CN=")
        self.intended[canonical] = [value]

    def fix_subject(self) -> None:
        targets = [i for i in self.ra_allows() if not self.statement_has(i, SUBJECT_CATEGORIES)]
        if not targets:
            return
        cn = self.pin_value("cn")
        pins = [("aws:PrincipalTag/x509Subject/CN", cn)]
        ou = self.values.get("ou")
        if ou is not None:
            problem = tag_value_problem(ou)
            if problem:
                raise _Refuse(f"the ou {ou[:60]!r} {problem}")
            pins.append(("aws:PrincipalTag/x509Subject/OU", ou))
        for index in targets:
            self.add(index, render("trust_conditions_subject.json.j2", pins=pins))
            self.summary.append(
                f"pins the subject CN {cn!r}{f' OU {ou!r}' if ou else ''} in statement {index + 1}"
            )
        self._remember_subject("x509subject/cn", cn)
        if ou is not None:
            self.intended["x509subject/ou"] = [ou]

    def issuer_cns(self) -> list[str]:
        given = self.values.get_list("issuer_cn")
        if given:
            return given
        inventory = self.job.inventory
        arns = self.intended.get("source_arn") or sorted(self.analysis.pinned_source_arns)
        anchors = [inventory.trust_anchors[a] for a in arns if a in inventory.trust_anchors]
        if not anchors:
            anchors = list(inventory.trust_anchors.values())
        names: list[str] = []
        for anchor in anchors:
            bundle = (
                parse_certificate_bundle(anchor.certificate_pem) if anchor.certificate_pem else None
            )
            cns = [c.rdn("CN") for c in bundle.certificates] if bundle else []
            if not cns or not all(cns):
                names = []
                break
            names += [cn for cn in cns if cn and cn not in names]
        if not names:
            raise _NeedInput(
                "issuer_cn",
                f"Which issuing CA CN should role {self.role.name} accept? (the trust anchor's "
                "CA certificate is not available)",
            )
        return names

    def fix_issuer(self) -> None:
        targets = [i for i in self.ra_allows() if not self.statement_has(i, frozenset({"issuer"}))]
        if not targets:
            return
        names = self.issuer_cns()
        for name in names:
            problem = tag_value_problem(name)
            if problem:
                raise _Refuse(f"the issuer CN {name[:60]!r} {problem}")
        value: str | list[str] = names[0] if len(names) == 1 else names
        for index in targets:
            self.add(index, render("trust_conditions_issuer.json.j2", issuer_cn=value))
            self.summary.append(f"pins the issuer CN {', '.join(names)} in statement {index + 1}")
        self.intended["x509issuer/cn"] = names


def _rdn(text: str, name: str) -> str | None:
    """One RDN of an ``CN=a,OU=b`` subject string (no escaping support beyond ``\\,``)."""
    for part in re.split(r"(?<!\\),", text):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip().upper() == name:
            return value.strip().replace("\\,", ",")
    return None


# --- the safety proof --------------------------------------------------------------------------

_FRESH = "rafix-witness"
_ROGUE_ANCHOR = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/x"
_MAX_WITNESSES = 3000


def prove_safe(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    *,
    anchors: Iterable[str] = (),
    repair: bool = False,
) -> None:
    """Check a patched trust policy on witness certificates; raise ``_Refuse`` when unsafe.

    Safe means: every witness the patched policy admits, the original admitted too (for a
    ``repair`` of missing actions: the original's sts:AssumeRole path admitted it), and some
    witness with the intended workload's values is admitted.
    """
    baseline_doc = assume_role_view(original) if repair else original
    before = analyze_trust(baseline_doc)
    after = analyze_trust(patched)
    workload_seen = False
    for cert in witnesses(original, patched, intended, anchors):
        if not after.admits(cert):
            continue
        if not before.admits(cert):
            raise _Refuse(
                "the patched trust policy would admit a certificate the current one refuses "
                f"({describe_certificate(cert)})"
            )
        workload_seen = workload_seen or _matches(cert, intended)
    if not workload_seen:
        wanted = ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(intended.items())) or "any"
        raise _Refuse(f"the patched trust policy would not admit the workload ({wanted})")


def assume_role_view(document: dict[str, Any]) -> dict[str, Any]:
    """The policy as if every statement that covers sts:AssumeRole covered all three actions,
    and no other statement existed: ``admits`` then answers "may it call sts:AssumeRole"."""
    doc = copy.deepcopy(document)
    compiled = {s.index: s for s in compile_policy(document).statements}
    kept = []
    for index, statement in enumerate(as_list(doc.get("Statement"))):
        if index in compiled and compiled[index].covers_action("sts:AssumeRole"):
            statement = dict(statement)
            statement.pop("NotAction", None)
            statement["Action"] = list(REQUIRED_ACTIONS)
            kept.append(statement)
    doc["Statement"] = kept
    return doc


def _matches(cert: CertificateContext, intended: dict[str, list[str]]) -> bool:
    for key, wanted in intended.items():
        if key == "source_arn":
            actual: str | None = cert.source_arn
        else:
            field_name, _, rdn = key.partition("/")
            source = {"x509subject": cert.subject, "x509issuer": cert.issuer, "x509san": cert.san}
            actual = source.get(field_name, {}).get(
                rdn.upper() if field_name != "x509san" else _san_name(rdn)
            )
        if actual not in wanted:
            return False
    return True


def describe_certificate(cert: CertificateContext) -> str:
    parts = [f"trust anchor {cert.source_arn}"]
    parts += [f"subject {k}={v}" for k, v in cert.subject.items()]
    parts += [f"issuer {k}={v}" for k, v in cert.issuer.items()]
    parts += [f"SAN {k}={v}" for k, v in cert.san.items()]
    if cert.role_session_name is not None:
        parts.append(f"session name {cert.role_session_name}")
    parts += [f"{k}={v}" for k, v in cert.extra.items() if v is not None]
    return ", ".join(parts)


def _dimensions(
    docs: Iterable[dict[str, Any]], intended: dict[str, list[str]], anchors: Iterable[str]
) -> dict[str, list[str | None]]:
    """Candidate values per request key: absent, a fresh value, and every value the policies
    name (a matching witness for each wildcard pattern)."""
    dims: dict[str, list[str | None]] = {"aws:sourcearn": []}
    for doc in docs:
        for use in analyze_trust(doc).conditions:
            key = use.key.lower()
            if use.category == "ip":
                # The caller is Roles Anywhere: the workload's address never reaches the trust,
                # so an IP key is modelled as one value outside every range (here: absent).
                dims[key] = [None]
                continue
            if key == "sts:sourceidentity":
                key = "aws:principaltag/x509subject/cn"
            candidates = dims.setdefault(key, [None, _FRESH])
            for value in use.values:
                if "${" in value:
                    if key == "sts:rolesessionname":
                        candidates.append("$cn")
                    continue
                value = (
                    value.removeprefix("CN=") if use.key.lower() == "sts:sourceidentity" else value
                )
                candidates.append(value.replace("*", "rafix").replace("?", "r"))
    for key, wanted in intended.items():
        full = "aws:sourcearn" if key == "source_arn" else f"aws:principaltag/{key}"
        dims.setdefault(full, [None, _FRESH]).extend(wanted)
    named: list[str | None] = [a for a in dims["aws:sourcearn"] if a not in (None, _FRESH)]
    named += list(anchors)
    # A trust anchor created later (by an attacker) in the same account and region.
    model = next((a for a in named if a and a.count(":") >= 5), _ROGUE_ANCHOR)
    named.append(model.rsplit("/", 1)[0] + "/rafix-rogue-anchor")
    dims["aws:sourcearn"] = named
    return {k: list(dict.fromkeys(v)) for k, v in dims.items()}


def witnesses(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    anchors: Iterable[str] = (),
) -> Iterator[CertificateContext]:
    """Witness certificates over the values both policies name (bounded, deterministic)."""
    dims = _dimensions((original, patched), intended, anchors)
    keys = sorted(dims)
    total = 1
    for key in keys:
        total *= len(dims[key])
    if total <= _MAX_WITNESSES:
        combos: Iterable[tuple[str | None, ...]] = itertools.product(*(dims[k] for k in keys))
    else:
        rng = random.Random(0)
        intended_combo = tuple(_intended_value(k, dims[k], intended) for k in keys)
        combos = itertools.chain(
            [intended_combo],
            (tuple(rng.choice(dims[k]) for k in keys) for _ in range(_MAX_WITNESSES)),
        )
    for combo in combos:
        yield _certificate(dict(zip(keys, combo, strict=True)))


def _intended_value(
    key: str, options: list[str | None], intended: dict[str, list[str]]
) -> str | None:
    short = "source_arn" if key == "aws:sourcearn" else key.removeprefix("aws:principaltag/")
    if short in intended:
        return intended[short][0]
    return next((o for o in options if o not in (None, _FRESH)), options[0])


def _certificate(values: dict[str, str | None]) -> CertificateContext:
    subject: dict[str, str] = {}
    issuer: dict[str, str] = {}
    san: dict[str, str] = {}
    extra: dict[str, Any] = {}
    session: str | None = None
    source_arn = values.get("aws:sourcearn") or ""
    for key, value in values.items():
        if key == "aws:sourcearn":
            continue
        if key == "sts:rolesessionname":
            session = value
            continue
        tail = key.removeprefix("aws:principaltag/")
        field_name, _, rdn = tail.partition("/")
        target = {"x509subject": subject, "x509issuer": issuer, "x509san": san}.get(field_name)
        if target is not None and key.startswith("aws:principaltag/"):
            if value is not None:
                target[rdn.upper() if field_name != "x509san" else _san_name(rdn)] = value
        else:
            extra[key] = value
    if session == "$cn":
        session = subject.get("CN")
    return CertificateContext(
        source_arn=source_arn,
        subject=subject,
        issuer=issuer,
        san=san,
        role_session_name=session,
        extra=extra,
    )


def _san_name(rdn: str) -> str:
    if rdn.lower().startswith("name/"):
        return "Name/" + rdn[5:].upper()
    return rdn.upper()


# --- profiles ----------------------------------------------------------------------------------


def _propose_profile(job: _Job) -> None:
    profile = job.inventory.profiles.get(job.arn)
    before = state_from_inventory(job.inventory, "profile", job.arn)
    if profile is None or before is None:
        job.refuse("The profile is not in the account data.")
        return
    after = copy.deepcopy(before)
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
        saved = copy.deepcopy(after)
        try:
            summary += step(job, profile, values, after, wanted)
            fixed |= wanted
        except _NeedInput as exc:
            after.clear()
            after.update(saved)  # a fix that waits for input leaves no trace
            job.need(exc, wanted)
        except (_Refuse, PolicyError) as exc:
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
    template = render_document("session_policy_guardrails.json.j2", allow_actions=allow)
    if isinstance(current, dict) and "RA-PROFILE-PERMISSIVE-SESSION-POLICY" not in ids:
        merged = copy.deepcopy(current)
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
        summary.append(
            f"sets a guardrail session policy (allows {scope}; denies iam:*, the "
            "control plane and destructive actions)"
        )
    return summary


def _allowed_actions(job: _Job, profile: Profile, values: _Values) -> list[str]:
    """The session policy's Allow: ``--set services``, else the services the listed roles'
    own policies name (the session then loses nothing the roles grant).

    ``services=*`` allows everything (the guardrail denies still apply); it is never the silent
    default, because an Allow of ``*`` is itself RA-PROFILE-PERMISSIVE-SESSION-POLICY.
    """
    services = values.get_list("services")
    if services == ["*"]:
        return ["*"]
    for service in services or []:
        if not _SERVICE.match(service):
            raise _Refuse(f"{service!r} is not a service prefix such as s3 or sqs")
    if services:
        return [f"{s}:*" for s in services]
    seen = _role_services(job.inventory, profile.role_arns)
    if seen:
        return [f"{s}:*" for s in seen]
    raise _NeedInput(
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
    return ["sets acceptRoleSessionName false (sessions are named by certificate serial)"]


def _fix_role_arns(
    job: _Job, profile: Profile, values: _Values, after: dict[str, Any], ids: set[str]
) -> list[str]:
    drop = set(_findings_evidence(job, ids, "role_arns"))
    if not drop:
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
                and not analyze_trust(role.trust_policy).usable
            ):
                drop.add(arn)
    kept = [a for a in after["roleArns"] if a not in drop]
    removed = [a for a in after["roleArns"] if a in drop]
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
        raise _Refuse("the finding does not say which attribute is dropped")
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


# --- trust anchors and CRLs --------------------------------------------------------------------

_DEFAULT_THRESHOLDS = {"CA_CERTIFICATE_EXPIRY": 45, "END_ENTITY_CERTIFICATE_EXPIRY": 30}


def _propose_anchor(job: _Job) -> None:
    before = state_from_inventory(job.inventory, "trust-anchor", job.arn)
    if before is None:
        job.refuse("The trust anchor is not in the account data.")
        return
    minimum = job.settings.min_notification_threshold_days
    thresholds: dict[str, int] = {}
    for event, default in _DEFAULT_THRESHOLDS.items():
        current = next(
            (
                s
                for s in before["notificationSettings"]
                if s.get("event") == event and s.get("enabled")
            ),
            None,
        )
        threshold = current.get("threshold") if current else None
        keep = isinstance(threshold, int) and threshold >= minimum
        thresholds[event] = (
            threshold if keep and isinstance(threshold, int) else max(default, minimum)
        )
    settings = render(
        "notification_settings.json.j2",
        ca_threshold=thresholds["CA_CERTIFICATE_EXPIRY"],
        end_entity_threshold=thresholds["END_ENTITY_CERTIFICATE_EXPIRY"],
    )
    after = dict(
        before, notificationSettings=sorted(settings, key=lambda s: (s["event"], s["channel"]))
    )
    shown = ", ".join(f"{e} at {d} days" for e, d in thresholds.items())
    job.emit([f"enables expiry notifications: {shown}"], after, job.ids)


def _propose_crl(job: _Job) -> None:
    before = state_from_inventory(job.inventory, "crl", job.arn)
    if before is None:
        job.refuse("The CRL is not in the account data.")
        return
    crl = job.inventory.crls.get(job.arn)
    parsed = parse_crl(crl.crl_data) if crl is not None and crl.crl_data else None
    next_update = parsed.crl.next_update if parsed is not None and parsed.crl else None
    if next_update is not None and next_update < job.settings.now:
        # FINDINGS F-TA-02: enable after refreshing; enabling stale data only swaps findings.
        job.refuse(
            f"Not enabled automatically: the CRL's data is past its nextUpdate "
            f"({next_update:%Y-%m-%d}); import fresh data (UpdateCrl), then enable it."
        )
        return
    after = dict(before, **render("crl_state.json.j2", enabled=True))
    job.emit(["enables the CRL (EnableCrl)"], after, job.ids)


# --- two-phase splits: a dedicated role per workload -------------------------------------------

#: Findings fixed by moving workloads to dedicated roles (phase 2) and narrowing the shared
#: role once their clients have switched (phase 3). Splits change which role each workload
#: uses, so they are never part of a plain ``rafix apply`` (phase 1).
SPLIT_CREATE_PHASE = 2
SPLIT_NARROW_PHASE = 3
_SPLIT_IDS = frozenset({"RA-TRUST-MULTIPLE-SUBJECTS", "RA-TRUST-MIXED-PRINCIPALS"})
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
    inventory: Inventory, settings: Settings, groups: dict[str, list[Finding]], result: ProposalSet
) -> None:
    """Plan the two-phase split of every role with a multiple-subject or mixed-principal
    finding; a split that cannot be made safely is explained instead."""
    taken = {role.name.lower() for role in inventory.roles.values()}
    for arn, findings in sorted(groups.items()):
        ids = sorted({f.id for f in findings})
        try:
            _split_role(_Split(inventory, settings, arn, ids, result), taken)
        except (_Refuse, PolicyError) as exc:
            for fid in ids:
                result.not_fixable.append(NotFixable(fid, arn, f"Refused: {exc}."))


@dataclass(slots=True)
class _Split:
    """One shared role being split, and where its proposals go."""

    inventory: Inventory
    settings: Settings
    arn: str
    ids: list[str]
    result: ProposalSet

    def change(self, arn: str, phase: int) -> ProposedChange | None:
        return next(
            (c for c in self.result.changes if c.resource_arn == arn and c.phase == phase), None
        )

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
        raise _Refuse("the role's trust policy could not be read")
    unreadable = [name for name, doc in role.inline_policies if doc is None]
    if unreadable:
        raise _Refuse(f"inline policy {unreadable[0]} could not be read, so it cannot be copied")
    earlier = split.change(split.arn, 1)
    # Build on the phase-1 hardening of the shared role, if any: the new roles get it too.
    base = copy.deepcopy(earlier.after["trustPolicy"] if earlier and earlier.after else None)
    base = base or copy.deepcopy(role.trust_policy)
    analysis = analyze_trust(base)
    if analysis.wildcard_principal:
        raise _Refuse(
            'the trust allows Principal "*"; replace it first (RA-TRUST-WILDCARD-PRINCIPAL)'
        )
    workloads: list[Workload] = [None]
    pinned = list(_workloads(base, analysis))
    if "RA-TRUST-MULTIPLE-SUBJECTS" in split.ids:
        workloads = list[Workload](pinned)
        if len(workloads) < 2:
            raise _Refuse(
                "the subjects are patterns, not values rafix can give one role each; pin each "
                "workload's subject first"
            )
    anchors = list(split.inventory.trust_anchors)
    created: list[tuple[Workload, str]] = []
    for workload in workloads:
        trust = _dedicated_trust(base, analysis, workload)
        check_document(trust, "trust", what="the dedicated role's trust policy")
        _prove_dedicated(role.trust_policy, base, trust, _intended(workload), anchors)
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
    out = copy.deepcopy(statement)
    out["Principal"] = {"Service": RA_SERVICE_PRINCIPAL}
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
            kept.append(copy.deepcopy(statement))
        elif index in analysis.ra_statement_indexes:
            narrowed = _ra_only(statement)
            if workload is None or _restrict(narrowed, workload):
                kept.append(narrowed)
    doc = {k: copy.deepcopy(v) for k, v in base.items() if k != "Statement"}
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


def _prove_dedicated(
    original: dict[str, Any],
    base: dict[str, Any],
    dedicated: dict[str, Any],
    intended: dict[str, list[str]],
    anchors: list[str],
) -> None:
    """The dedicated role admits exactly the workload's certificates that the shared role
    admits (after phase 1), none the shared role refuses today, and no other workload's."""
    before, shared, after = analyze_trust(original), analyze_trust(base), analyze_trust(dedicated)
    seen = False
    for cert in witnesses(base, dedicated, intended, anchors):
        admitted, ours = after.admits(cert), _matches(cert, intended)
        if admitted and not before.admits(cert):
            raise _Refuse(
                "the dedicated role would admit a certificate the shared role refuses "
                f"({describe_certificate(cert)})"
            )
        if admitted and not ours:
            raise _Refuse(
                f"the dedicated role would admit another workload ({describe_certificate(cert)})"
            )
        if ours and shared.admits(cert) and not admitted:
            raise _Refuse(
                "the dedicated role would refuse a certificate of the workload that the shared "
                f"role admits ({describe_certificate(cert)})"
            )
        seen = seen or admitted
    if not seen:
        raise _Refuse("the dedicated role would admit no certificate at all")


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
    raise _Refuse(f"no free role name for {_workload_label(workload)}")


def _add_to_profiles(split: _Split, new_arns: list[str]) -> None:
    """Phase 2: every profile that lists the shared role lists the new roles too (one change
    per profile, starting from where the profile's earlier phases leave it)."""
    for profile in sorted(split.inventory.profiles.values(), key=lambda p: p.arn):
        if split.arn not in profile.role_arns:
            continue
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
                copy.deepcopy(before),
                copy.deepcopy(before),
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
        f"{name}. Apply it with `rafix apply PLAN --phase {SPLIT_NARROW_PHASE}`."
    )
    after_trust = analyze_trust(narrowed)
    leftover = [w for w in moved if w is not None and _still_admitted(after_trust, w)]
    if leftover:
        raise _Refuse(
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
    for profile in sorted(split.inventory.profiles.values(), key=lambda p: p.arn):
        if split.arn not in profile.role_arns:
            continue
        existing = split.change(profile.arn, SPLIT_NARROW_PHASE)
        before = split.state_before(profile.arn, SPLIT_NARROW_PHASE)
        if before is None or split.arn not in before["roleArns"]:
            continue
        summary = f"removes {split.arn} from roleArns ({name} no longer trusts Roles Anywhere)"
        if existing is not None and existing.after is not None:  # another split of this profile
            existing.after["roleArns"] = [a for a in existing.after["roleArns"] if a != split.arn]
            _extend(existing, split.ids, summary, "")
            continue
        after = copy.deepcopy(before)
        after["roleArns"] = [a for a in before["roleArns"] if a != split.arn]
        split.result.changes.append(
            ProposedChange(
                profile.arn,
                "profile",
                profile.region,
                list(split.ids),
                summary,
                wait,
                copy.deepcopy(before),
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
    doc = copy.deepcopy(base)
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
    out = copy.deepcopy(statement)
    out["Principal"] = others
    return out

"""Plans: the reviewed list of changes that ``rafix apply`` makes, and plan files.

A plan records, per resource, the state it was made against (``before`` and its fingerprint),
the target state (``after``), the exact API calls (``state.calls_to_reach``) and both diffs.
The file format is ``rafix.plan/v1`` (``/tmp/plan_format.md``, shared with apply): keys are
only ever added.

The result types of the proposals (:class:`ProposedChange`, :class:`NeedsInput`,
:class:`NotFixable`, :class:`ProposalSet`) live here, not in ``remediations.proposals``, so that
apply and the front ends read plans without importing the proposal engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remediations import __version__
from remediations.answers import Question, scope_name
from remediations.diff import Diff, diff
from remediations.errors import InputError
from remediations.files import write_output
from remediations.jsontext import dumps_indented
from remediations.managed import ManagedBy, managed_resource, resource_name
from remediations.model import Inventory
from remediations.state import ApiCall, calls_to_reach, fingerprint
from remediations.textsafe import shown

SCHEMA = "rafix.plan/v1"
#: Apply order within a phase: identities before the profiles that list them.
_TYPE_ORDER = {"trust-anchor": 0, "crl": 1, "role": 2, "profile": 3}


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
        return f"--set {scope_name(self.resource_arn)}.{self.key}=VALUE"

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
    #: Resources whose change the user asked for knowing it adds findings (``--repair-broken``,
    #: ``--set services=*``): what it adds is accepted, and said in its summary.
    opted_in: set[str] = field(default_factory=set)
    #: What :func:`build_plan` needs of a change, worked out already (by a second process):
    #: ``id(change)`` -> the change, its :class:`WorkedOut`.
    worked_out: dict[int, tuple[ProposedChange, WorkedOut]] = field(
        default_factory=dict, repr=False, compare=False
    )


@dataclass(frozen=True, slots=True)
class WorkedOut:
    """What a plan's change adds to its proposal: its diffs, fingerprint and API calls."""

    diff: Diff
    fingerprint: str
    calls: list[ApiCall]

    @classmethod
    def of(cls, proposal: ProposedChange) -> WorkedOut:
        return cls(
            diff(proposal.before, proposal.after),
            fingerprint(proposal.before),
            calls_to_reach(
                proposal.resource_type, proposal.resource_arn, proposal.before, proposal.after
            ),
        )


@dataclass(slots=True)
class Change:
    """One resource's change, as reviewed and as applied."""

    id: str
    phase: int
    resource_arn: str
    resource_type: str
    region: str
    finding_ids: list[str]
    summary: str
    why: str
    fingerprint: str
    #: None: the resource does not exist yet (a role the plan creates).
    before: dict[str, Any] | None
    #: None: the resource is deleted (only in rollbacks of a created role).
    after: dict[str, Any] | None
    calls: list[ApiCall]
    semantic_diff: list[str]
    text_diff: str
    #: The name the account gives the resource (profiles and anchors are addressed by ID).
    resource_name: str | None = None
    #: CloudFormation or Terraform manages the resource (its tags say so): applying through
    #: the API drifts from the code (:mod:`remediations.managed`).
    managed_by: ManagedBy | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "phase": self.phase,
            "resource_arn": self.resource_arn,
            "resource_type": self.resource_type,
            "region": self.region,
            "finding_ids": list(self.finding_ids),
            "summary": self.summary,
            "why": self.why,
            "fingerprint": self.fingerprint,
            "before": self.before,
            "after": self.after,
            "calls": [c.to_json() for c in self.calls],
            "diff": {"semantic": list(self.semantic_diff), "text": self.text_diff},
            "resource_name": self.resource_name,
            "managed_by": self.managed_by.to_json() if self.managed_by else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        diff_data = data.get("diff") or {}
        return cls(
            id=str(data["id"]),
            phase=int(data.get("phase", 1)),
            resource_arn=str(data["resource_arn"]),
            resource_type=str(data["resource_type"]),
            region=str(data.get("region", "")),
            finding_ids=[str(f) for f in data.get("finding_ids") or []],
            summary=str(data.get("summary", "")),
            why=str(data.get("why", "")),
            fingerprint=str(data["fingerprint"]),
            before=_optional_state(data["before"]),
            after=_optional_state(data["after"]),
            calls=[ApiCall.from_json(c) for c in data.get("calls") or []],
            semantic_diff=[str(s) for s in diff_data.get("semantic") or []],
            text_diff=str(diff_data.get("text", "")),
            resource_name=_optional_str(data.get("resource_name")),
            managed_by=ManagedBy.from_json(data.get("managed_by")),
        )

    @classmethod
    def from_proposal(
        cls, change_id: str, proposal: ProposedChange, worked: WorkedOut | None = None
    ) -> Change:
        """``worked``: :meth:`WorkedOut.of` the proposal, when it was worked out already."""
        worked = worked if worked is not None else WorkedOut.of(proposal)
        return cls(
            id=change_id,
            phase=proposal.phase,
            resource_arn=proposal.resource_arn,
            resource_type=proposal.resource_type,
            region=proposal.region,
            finding_ids=list(proposal.finding_ids),
            summary=proposal.summary,
            why=proposal.why,
            fingerprint=worked.fingerprint,
            before=proposal.before,
            after=proposal.after,
            calls=list(worked.calls),
            semantic_diff=worked.diff.semantic,
            text_diff=worked.diff.text,
        )


def _optional_state(value: Any) -> dict[str, Any] | None:
    return None if value is None else dict(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class Plan:
    source: str
    account_id: str | None
    changes: list[Change] = field(default_factory=list)
    needs_input: list[NeedsInput] = field(default_factory=list)
    not_fixable: list[NotFixable] = field(default_factory=list)
    #: Findings a suppression in the config file accepts, so nothing was planned for them:
    #: ``{"id", "resource_arn", "reason"}`` each.
    suppressed: list[dict[str, str]] = field(default_factory=list)
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    rafix_version: str = __version__
    schema: str = SCHEMA
    #: Made with ``--repair-broken``: it may give access to roles no certificate can use today.
    repair_broken: bool = False
    #: An organisation plan: the accounts it was made over (each change's account is in its
    #: ARN); empty for a plan of one account.
    accounts: list[str] = field(default_factory=list)

    def account_of(self, change: Change) -> str:
        """The account a change writes to (from its resource ARN)."""
        parts = change.resource_arn.split(":", 5)
        return parts[4] if len(parts) > 4 and parts[4].isdigit() else (self.account_id or "")

    def changes_by_account(self) -> dict[str, list[Change]]:
        """The changes grouped by account, in the order of ``accounts`` (then plan order)."""
        groups: dict[str, list[Change]] = {a: [] for a in self.accounts}
        for change in self.changes:
            groups.setdefault(self.account_of(change), []).append(change)
        return {a: c for a, c in groups.items() if c}

    def for_account(self, account_id: str, source: str) -> Plan:
        """The part of an organisation plan that writes to ``account_id``, as a plan of that
        one account (made against ``source``, its label)."""
        return Plan(
            source=source,
            account_id=account_id,
            changes=[c for c in self.changes if self.account_of(c) == account_id],
            created_at=self.created_at,
            rafix_version=self.rafix_version,
        )

    @property
    def questions(self) -> list[Question]:
        """What the plan needs to know before it can fix more (answer with ``Answer``)."""
        return [
            Question(n.finding_id, n.resource_arn, n.key, n.question, n.candidates)
            for n in self.needs_input
        ]

    @property
    def applicable(self) -> bool:
        """Whether the source can be written to (offline files cannot)."""
        return self.source == "live" or self.source.startswith("sandbox")

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "created_at": self.created_at,
            "rafix_version": self.rafix_version,
            "source": self.source,
            "account_id": self.account_id,
            **({"accounts": list(self.accounts)} if self.accounts else {}),
            "changes": [c.to_json() for c in self.changes],
            "needs_input": [n.to_json() for n in self.needs_input],
            "not_fixable": [n.to_json() for n in self.not_fixable],
            "repair_broken": self.repair_broken,
            "suppressed": [dict(s) for s in self.suppressed],
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str = "plan") -> Plan:
        """A plan from its JSON; :class:`InputError` names what is wrong."""
        if not isinstance(data, dict):
            raise InputError(f"{where}: not a rafix plan (expected a JSON object)")
        if data.get("schema") != SCHEMA:
            raise InputError(f"{where}: not a {SCHEMA} plan (schema {data.get('schema')!r})")
        try:
            return cls(
                source=str(data.get("source", "")),
                account_id=data.get("account_id"),
                changes=[Change.from_json(c) for c in data.get("changes") or []],
                needs_input=[NeedsInput.from_json(n) for n in data.get("needs_input") or []],
                not_fixable=[NotFixable.from_json(n) for n in data.get("not_fixable") or []],
                suppressed=[
                    {k: str(v) for k, v in dict(s).items()} for s in data.get("suppressed") or []
                ],
                created_at=str(data.get("created_at", "")),
                rafix_version=str(data.get("rafix_version", "")),
                repair_broken=data.get("repair_broken") is True,
                accounts=[str(a) for a in data.get("accounts") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{where}: malformed plan ({type(exc).__name__}: {exc})") from None

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        from remediations.inputs import InputLimits, read_input

        try:
            text = read_input(path, InputLimits.resolve()).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{shown(path)}: cannot read the plan (not UTF-8 text)") from None
        except InputError as exc:
            reason = str(exc).removeprefix(f"{shown(path, limit=200)}: ")
            raise InputError(f"{shown(path)}: cannot read the plan ({reason})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{shown(path)}: not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from None
        return cls.from_json(data, where=str(path))

    def json_text(self) -> str:
        """The plan file's text (indented JSON, UTF-8 kept as is)."""
        return dumps_indented(self.to_json(), ensure_ascii=False) + "\n"

    def save(self, path: str | Path, *, text: str | None = None) -> None:
        """Write as ``> FILE`` would (a new file owner-only; ``-`` is standard output), durably.

        ``text``: this plan's JSON text when the caller has it already
        (:meth:`json_text`, which is what is written otherwise).

        Raises:
            InputError: the path cannot be written; nothing was changed there.
        """
        text = self.json_text() if text is None else text
        write_output(path, text, private=True, durable=True, what="the plan")


def build_plan(inventory: Inventory, proposals: ProposalSet) -> Plan:
    """A plan from proposals: changes in apply order, numbered c1, c2, ..."""
    ordered = sorted(
        proposals.changes,
        key=lambda p: (p.phase, _TYPE_ORDER.get(p.resource_type, 9), p.resource_arn),
    )
    plan = Plan(
        source=inventory.origin or "files",
        account_id=inventory.account_id,
        changes=[
            Change.from_proposal(f"c{i}", p, _worked_out(proposals, p))
            for i, p in enumerate(ordered, start=1)
        ],
        needs_input=list(proposals.needs_input),
        not_fixable=list(proposals.not_fixable),
    )
    mark_managed(plan, inventory)
    return plan


def _worked_out(proposals: ProposalSet, change: ProposedChange) -> WorkedOut | None:
    known = proposals.worked_out.get(id(change))
    return known[1] if known is not None and known[0] is change else None


def mark_managed(plan: Plan, inventory: Inventory) -> None:
    """Give each change its resource's name and who manages it, from the inventory's names
    and tags (call again after reading tags the inventory lacked)."""
    for change in plan.changes:
        change.resource_name = resource_name(inventory, change.resource_arn) or change.resource_name
        change.managed_by = managed_resource(inventory, change.resource_arn) or change.managed_by

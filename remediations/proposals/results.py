"""What :func:`propose` returns (changes, values it needs, findings it does not fix), and the
two exceptions a fix raises while it is built."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from remediations.proposals.values import _scope_name


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

"""A copy of a trust policy and the statement edits a patch makes: give Roles Anywhere its own
statement, add and remove condition clauses, ask what a statement already pins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from remediations.iam.evaluator import has_wildcard
from remediations.iam.policy import as_list
from remediations.iam.statements import compile_statement
from remediations.model import RA_SERVICE_PRINCIPAL, REQUIRED_ACTIONS
from remediations.proposals.results import FixRefused
from remediations.proposals.trees import copy_tree
from remediations.trust import key_category

POSITIVE_OPERATORS = (
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
)


def required_actions_only(statement: dict[str, Any]) -> list[str] | None:
    """The required actions an Allow statement's wildcard Action (``sts:*``, ``*``) covers,
    when a fix edits it for Roles Anywhere: it asks for no other action, and IAM's trust-policy
    validation (moto's at least) refuses ``sts:*``. None when there is nothing to narrow."""
    actions = as_list(statement.get("Action"))
    if statement.get("Effect") != "Allow" or not any(has_wildcard(str(a)) for a in actions):
        return None
    compiled = compile_statement(statement, 0, variables=False)
    covered = [a for a in REQUIRED_ACTIONS if compiled.covers_action(a)]
    return covered or None


class TrustEdit:
    """A copy of a trust policy and the statement edits made to it."""

    def __init__(self, original: dict[str, Any]) -> None:
        self.original = original
        self.doc = copy_tree(original)
        self.single = isinstance(self.doc.get("Statement"), dict)
        self.statements: list[Any] = as_list(self.doc.get("Statement"))
        self.summary: list[str] = []
        #: Statement index -> the index of its Roles Anywhere-only copy (see :meth:`isolate`).
        self.isolated: dict[int, int] = {}

    def document(self) -> dict[str, Any]:
        doc = self.doc
        if self.single and len(self.statements) == 1:
            doc["Statement"] = self.statements[0]
        else:
            doc["Statement"] = self.statements
        return doc

    def isolate(self, index: int) -> int:
        """Give Roles Anywhere its own statement when the statement also trusts others, so that
        certificate conditions never apply to (and break) the other principals."""
        if index in self.isolated:
            return self.isolated[index]
        statement = self.statements[index]
        principal = statement.get("Principal")
        if principal == "*" or (
            isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))
        ):
            raise FixRefused(
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
                ra_only = copy_tree(statement)
                ra_only["Principal"] = {"Service": RA_SERVICE_PRINCIPAL}
                if isinstance(ra_only.get("Sid"), str):
                    ra_only["Sid"] = ra_only["Sid"] + "RolesAnywhere"
                statement["Principal"] = others
                self.statements.append(ra_only)
                target = len(self.statements) - 1
                self.summary.append(
                    f"gives Roles Anywhere its own statement (split from statement {index + 1})"
                )
        self.isolated[index] = target
        narrowed = required_actions_only(self.statements[target])
        if narrowed is not None:
            old = ", ".join(str(a) for a in as_list(self.statements[target]["Action"]))
            self.statements[target]["Action"] = narrowed
            self.summary.append(
                f"narrows Action {old} to {', '.join(narrowed)} in statement {target + 1} "
                "(the actions Roles Anywhere asks for)"
            )
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
                raise FixRefused(f"statement {index + 1} has a malformed {existing} block")
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
            if positive_only and base not in POSITIVE_OPERATORS:
                continue
            if not all(has_wildcard(v) for v in values):
                return True
        return False

    # fixes ---------------------------------------------------------------------------------

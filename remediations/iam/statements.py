"""Policy statements: parsing and the compiled form both engines evaluate.

One :class:`Statement` serves the trust evaluator (principal, action and condition of a
request) and the identity/session analysis (action, resource, and whether the condition can
ever fail). Parsing never raises: an element it cannot read covers nothing, so an Allow
then grants nothing and a Deny denies nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from remediations.iam.conditions import Clause, ContextValue, parse_conditions
from remediations.iam.wildcard import Wildcard, compile_wildcard, fold_case

#: The only Version under which ``${...}`` policy variables are substituted.
VARIABLES_VERSION = "2012-10-17"

#: A principal as (type, value), e.g. ``("Service", "rolesanywhere.amazonaws.com")``.
Principal = tuple[str, str]


def statement_list(document: Any) -> list[Any]:
    """``Statement`` as a list (IAM allows one object)."""
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement")
    if isinstance(raw, list):
        return raw
    return [] if raw is None else [raw]


def strings(raw: Any) -> tuple[str, ...] | None:
    """A string or a list of strings (other items dropped); None for any other shape."""
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(v for v in raw if isinstance(v, str))
    return None


def principal_entries(raw: Any) -> tuple[Principal, ...] | None:
    """Principal element as (type, value) pairs; ("*", "*") for ``"*"``. None: unreadable."""
    if raw == "*":
        return (("*", "*"),)
    if not isinstance(raw, dict):
        return None
    entries: list[Principal] = []
    for kind, values in raw.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str):
                entries.append((str(kind), value))
    return tuple(entries)


def principal_covers(entries: Iterable[Principal], principal: Principal) -> bool:
    """Whether Principal entries cover a (type, value) principal.

    ``{"AWS": "*"}`` is taken to cover service principals too (FINDINGS 3.4 rule 7,
    conservative). Types and service names compare case-insensitively.
    """
    kind, value = principal[0].lower(), principal[1]
    for entry_kind, entry_value in entries:
        entry_kind_l = entry_kind.lower()
        if entry_kind == "*" or (entry_kind_l == "aws" and entry_value == "*"):
            return True
        if entry_kind_l != kind:
            continue
        if entry_value == "*":
            return True
        if kind == "service":
            if entry_value.lower() == value.lower():
                return True
        elif entry_value == value:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Element:
    """``Action``/``NotAction`` or ``Resource``/``NotResource`` of a statement, compiled.

    ``patterns`` is None when the statement has neither form (IAM rejects such a statement,
    so it covers nothing) or the element is not a string or a list.

    Patterns without a wildcard are compared by set membership, and those with one are
    compiled only when a value is first matched against them: most statements of a large
    account are never asked about most of their Resources, and nearly every Resource of a
    real account is its own literal, so compiling them all up front was most of the cost.
    """

    patterns: tuple[str, ...] | None
    negated: bool
    ignore_case: bool
    #: The patterns without ``*`` or ``?`` (case-folded when matching ignores case).
    exact: frozenset[str]
    #: The patterns with a wildcard, as written.
    wild: tuple[str, ...]
    #: ``wild`` compiled, filled on first use (an element is never shared across threads
    #: while it is being filled: a race only compiles twice).
    _compiled: list[tuple[Wildcard, ...]] = field(
        default_factory=list, repr=False, compare=False, hash=False
    )

    @classmethod
    def of(cls, statement: Mapping[str, Any], name: str, *, ignore_case: bool) -> Element:
        for key, negated in ((name, False), (f"Not{name}", True)):
            if key in statement:
                patterns = strings(statement[key])
                exact: list[str] = []
                wild: list[str] = []
                for pattern in patterns or ():
                    if "*" in pattern or "?" in pattern:
                        wild.append(pattern)
                    else:
                        exact.append(fold_case(pattern) if ignore_case else pattern)
                return cls(patterns, negated, ignore_case, frozenset(exact), tuple(wild))
        return cls(None, False, ignore_case, frozenset(), ())

    @property
    def matchers(self) -> tuple[Wildcard, ...]:
        """The wildcard patterns, compiled (once)."""
        if not self._compiled:
            self._compiled.append(tuple(compile_wildcard(p, self.ignore_case) for p in self.wild))
        return self._compiled[0]

    def covers(self, value: str) -> bool:
        if self.patterns is None:
            return False
        if self.exact and (fold_case(value) if self.ignore_case else value) in self.exact:
            hit = True
        else:
            hit = bool(self.wild) and any(m.matches(value) for m in self.matchers)
        return not hit if self.negated else hit

    def may_cover_service(self, service: str) -> bool:
        """Cheap over-approximation: could the element cover some action of ``service``?"""
        if self.patterns is None:
            return False
        return self.negated or any(
            compile_wildcard(p.partition(":")[0], True).matches(service) for p in self.patterns
        )


_ANY_IP = {"0.0.0.0/0", "::/0"}


def _entry_is_vacuous(operator: str, key: str, values: Any) -> bool:
    """A condition entry that holds for every request (e.g. aws:SourceIp 0.0.0.0/0)."""
    op = operator.lower()
    vals = {v.strip() for v in strings(values) or ()}
    if op in ("ipaddress", "ipaddressifexists") and key.lower() == "aws:sourceip":
        return bool(vals & _ANY_IP)
    # A "*" pattern matches any present value; with IfExists an absent key passes too.
    return op in ("stringlikeifexists", "arnlikeifexists") and "*" in vals


def condition_is_vacuous(condition: Any) -> bool:
    """True when a Condition block is absent, empty or made only of entries that always hold."""
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        return False
    for operator, entries in condition.items():
        if not isinstance(entries, Mapping) or not entries:
            return False
        for key, values in entries.items():
            if not _entry_is_vacuous(str(operator), str(key), values):
                return False
    return True


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a policy, compiled."""

    #: Position in the document's Statement list.
    index: int
    #: "Allow" | "Deny" | "" (anything else: the statement never applies)
    effect: str
    #: Principal entries; None when there is no readable Principal.
    principals: tuple[Principal, ...] | None
    #: NotPrincipal entries; None when absent.
    not_principals: tuple[Principal, ...] | None
    #: Actions match case-insensitively.
    actions: Element
    #: Resources match case-sensitively.
    resources: Element
    clauses: tuple[Clause, ...]
    #: The Condition can never fail (absent, empty, or only entries that always hold).
    vacuous: bool
    sid: str | None
    raw: dict[str, Any]

    def covers_principal(self, principal: Principal) -> bool:
        if self.principals is not None:
            return principal_covers(self.principals, principal)
        if self.not_principals is not None:
            return not principal_covers(self.not_principals, principal)
        return False

    def covers_action(self, action: str) -> bool:
        return self.actions.covers(action)

    def covers_resource(self, resource: str) -> bool:
        return self.resources.covers(resource)

    def conditions_match(self, context: Mapping[str, ContextValue]) -> bool:
        return all(clause.matches(context) for clause in self.clauses)


def compile_statement(raw: dict[str, Any], index: int, *, variables: bool) -> Statement:
    """Compile one statement object; ``variables``: the document's Version substitutes them."""
    effect = raw.get("Effect")
    sid = raw.get("Sid")
    not_principal = raw.get("NotPrincipal")
    condition = raw.get("Condition")
    return Statement(
        index=index,
        effect=effect if effect in ("Allow", "Deny") else "",
        principals=principal_entries(raw["Principal"]) if "Principal" in raw else None,
        not_principals=None if not_principal is None else principal_entries(not_principal) or (),
        actions=Element.of(raw, "Action", ignore_case=True),
        resources=Element.of(raw, "Resource", ignore_case=False),
        clauses=parse_conditions(condition, variables=variables),
        vacuous=condition_is_vacuous(condition),
        sid=sid if isinstance(sid, str) else None,
        raw=raw,
    )


def compile_statements(document: Any) -> tuple[str | None, tuple[Statement, ...]]:
    """The Version (when a string) and the compiled statement objects of a document."""
    version = document.get("Version") if isinstance(document, Mapping) else None
    version = version if isinstance(version, str) else None
    variables = version == VARIABLES_VERSION
    compiled = tuple(
        compile_statement(raw, index, variables=variables)
        for index, raw in enumerate(statement_list(document))
        if isinstance(raw, dict)
    )
    return version, compiled

"""May a principal call an action on a resource? Identity documents, explicit Denies, a
permissions boundary and conditions, for the governance checks (RA-GOV-ADMIN-SURFACE).

The request context holds the keys the question decides (``iam:PassedToService`` for
PassRole); a condition on any other key cannot be decided from the account's configuration,
so a statement under it grants :attr:`Grant.CONDITIONAL`.

:func:`evaluate_grant` is the plain evaluation, one statement after the other. A scan asks it
the same action about thousands of resources (PassRole against every exposed role): an
:class:`ActionGrants` keeps, once per principal and action, only the statements that cover
the action, with their condition already decided, so each resource then costs a Resource
match on those few. It answers exactly what :func:`evaluate_grant` answers (a property test
compares them), and two principals whose covering statements have one shape share it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from remediations.iam.statements import Element, Statement

#: Writes that let a principal trust a new CA or point a profile at a role (FINDINGS F-GOV-01).
ANCHOR_WRITES = (
    "rolesanywhere:CreateTrustAnchor",
    "rolesanywhere:UpdateTrustAnchor",
    "rolesanywhere:EnableTrustAnchor",
)
PROFILE_WRITES = (
    "rolesanywhere:CreateProfile",
    "rolesanywhere:UpdateProfile",
    "rolesanywhere:PutAttributeMapping",
    "rolesanywhere:DeleteAttributeMapping",
)


class Grant(IntEnum):
    NO = 0
    #: Allowed only under conditions rafix cannot decide.
    CONDITIONAL = 1
    ALWAYS = 2


def statement_grant(stmt: Statement, context: Mapping[str, str]) -> Grant:
    """How a statement that covers the request applies: its clauses on keys the context
    holds are decided, the others are unknown."""
    unknown = False
    for clause in stmt.clauses:
        if clause.key in context:
            if not clause.matches(context):
                return Grant.NO
        else:
            unknown = True
    return Grant.CONDITIONAL if unknown else Grant.ALWAYS


def evaluate_grant(
    documents: Sequence[Sequence[Statement]],
    boundary: Sequence[Statement] | None,
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> Grant:
    """Whether identity documents (and a boundary) let a principal call ``action`` on
    ``resource``: an explicit Deny that certainly applies wins, then the strongest Allow."""
    allow = Grant.NO
    for doc in documents:
        for stmt in doc:
            if not (stmt.covers_action(action) and stmt.covers_resource(resource)):
                continue
            grant = statement_grant(stmt, context)
            if stmt.effect == "Deny" and grant is Grant.ALWAYS:
                return Grant.NO
            if stmt.effect == "Allow" and grant > allow:
                allow = grant
    if boundary is not None and allow is not Grant.NO:
        bounded = evaluate_grant([boundary], None, action, resource, context)
        allow = min(allow, bounded)
    return allow


def _everywhere(element: Element) -> bool:
    """The element covers every resource (``"*"``)."""
    return not element.negated and element.patterns is not None and "*" in element.wild


@dataclass(frozen=True, slots=True)
class _Covering:
    """The statements of one set of documents that bear on one action: the Denies that
    certainly apply, and the Allows that grant something, each with its Resource element."""

    denies: tuple[Element, ...]
    allows: tuple[tuple[Grant, Element], ...]
    #: A Deny covers every resource: nothing is granted.
    denied: bool
    #: The strongest Allow that covers every resource.
    floor: Grant

    @classmethod
    def of(
        cls, documents: Sequence[Sequence[Statement]], action: str, context: Mapping[str, str]
    ) -> _Covering:
        denies: list[Element] = []
        allows: list[tuple[Grant, Element]] = []
        floor = Grant.NO
        for doc in documents:
            for stmt in doc:
                if not stmt.covers_action(action):
                    continue
                grant = statement_grant(stmt, context)
                if stmt.effect == "Deny" and grant is Grant.ALWAYS:
                    denies.append(stmt.resources)
                elif stmt.effect == "Allow" and grant is not Grant.NO:
                    if _everywhere(stmt.resources):
                        floor = max(floor, grant)
                    else:
                        allows.append((grant, stmt.resources))
        denied = any(_everywhere(e) for e in denies)
        return cls(
            tuple(e for e in denies if not _everywhere(e)),
            tuple((g, e) for g, e in allows if g > floor),
            denied,
            floor,
        )

    def grant(self, resource: str) -> Grant:
        if self.denied or any(e.covers(resource) for e in self.denies):
            return Grant.NO
        best = self.floor
        for grant, element in self.allows:
            if grant > best and element.covers(resource):
                best = grant
        return best

    @property
    def default(self) -> Grant:
        """The grant of a resource that no Resource element names (only ``*`` applies)."""
        return Grant.NO if self.denied else self.floor

    @property
    def elements(self) -> list[Element]:
        return [*self.denies, *(e for _, e in self.allows)]

    @property
    def shape(self) -> Hashable:
        """What :meth:`grant` reads: two sets of documents of one shape answer alike."""
        return (
            self.denied,
            self.floor,
            tuple((e.patterns, e.negated) for e in self.denies),
            tuple((g, e.patterns, e.negated) for g, e in self.allows),
        )


@dataclass(frozen=True, slots=True)
class ActionGrants:
    """:func:`evaluate_grant` for one principal and one action, over many resources."""

    identity: _Covering
    boundary: _Covering | None

    @classmethod
    def of(
        cls,
        documents: Sequence[Sequence[Statement]],
        boundary: Sequence[Statement] | None,
        action: str,
        context: Mapping[str, str],
    ) -> ActionGrants:
        return cls(
            _Covering.of(documents, action, context),
            None if boundary is None else _Covering.of([boundary], action, context),
        )

    @property
    def never(self) -> bool:
        """No resource is granted (no Allow applies, or a Deny covers everything)."""
        return self.identity.denied or (
            self.identity.floor is Grant.NO and not self.identity.allows
        )

    @property
    def uniform(self) -> bool:
        """Every resource gets the same answer (no statement names particular resources)."""
        parts = [self.identity] if self.boundary is None else [self.identity, self.boundary]
        return all(not p.denies and not p.allows for p in parts)

    def grant(self, resource: str) -> Grant:
        allow = self.identity.grant(resource)
        if self.boundary is not None and allow is not Grant.NO:
            allow = min(allow, self.boundary.grant(resource))
        return allow

    def over(self, resources: Sequence[str]) -> GrantMap:
        """:meth:`grant` of each of ``resources`` (sorted): one grant for those no Resource
        element names, and the exceptions, found by the literal prefix of each element's
        patterns (a search in the sorted list, not a match against every resource)."""
        base = self.identity.default
        if self.boundary is not None and base is not Grant.NO:
            base = min(base, self.boundary.default)
        elements = self.identity.elements
        if self.boundary is not None:
            elements += self.boundary.elements
        candidates: set[int] = set()
        for element in elements:
            candidates.update(_maybe_covered(element, resources))
        exceptions = {}
        for index in sorted(candidates):
            grant = self.grant(resources[index])
            if grant is not base:
                exceptions[index] = grant
        return GrantMap(resources, base, exceptions)

    @property
    def shape(self) -> Hashable:
        return (self.identity.shape, None if self.boundary is None else self.boundary.shape)


def _maybe_covered(element: Element, resources: Sequence[str]) -> range | list[int]:
    """Indexes of the sorted ``resources`` the element may cover (a superset)."""
    if element.patterns is None:
        return []
    if element.negated:
        return range(len(resources))
    found: list[int] = []
    for pattern in [*element.exact, *element.wild]:
        prefix = _WILDCARD_START.split(pattern, 1)[0]
        if not prefix:
            return range(len(resources))
        start = bisect_left(resources, prefix)
        end = start
        while end < len(resources) and resources[end].startswith(prefix):
            end += 1
        found.extend(range(start, end))
    return found


_WILDCARD_START = re.compile(r"[*?]")


@dataclass(frozen=True, slots=True)
class GrantMap:
    """Grants of a sorted list of resources: ``base`` for all but the ``exceptions``."""

    resources: Sequence[str]
    base: Grant
    #: Index in ``resources`` -> its grant, where it is not ``base``.
    exceptions: dict[int, Grant]

    def grant(self, index: int) -> Grant:
        return self.exceptions.get(index, self.base)

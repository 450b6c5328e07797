"""The ``/`` filter grammar, as a pure function over findings (no Textual here).

A query is words separated by spaces, all of which must match (AND):

- ``word``: the text appears (any case) in the ID, title, resource ARN or name, region or
  detail of the finding;
- ``sev:high`` (or ``severity:``): the severity is one of the comma-separated names;
  ``sev:high+`` means high or more severe;
- ``id:RA-TRUST-*``: the finding ID matches the glob (any case);
- ``region:eu-west-1``, ``account:111122223333``, ``type:role``: the same for those fields;
- ``!term``: any of the above, inverted.

A ``key:value`` whose key is not one of these is an ordinary word (ARNs contain colons).
Parsing never fails: a query the user is still typing always means something.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from remediations.findings import Finding, Severity

FIELDS = ("sev", "severity", "id", "region", "account", "type")


@dataclass(frozen=True, slots=True)
class Row:
    """What the filter looks at for one finding: the finding and its searchable text."""

    finding: Finding
    name: str
    account: str
    kind: str
    haystack: str


def make_row(finding: Finding, name: str = "") -> Row:
    """One row; ``name`` is the resource's human name (role name, profile name)."""
    parts = finding.resource_arn.split(":")
    account = parts[4] if len(parts) > 4 else ""
    kind = finding.resource_type.rsplit("::", 1)[-1].lower()
    kind = {"trustanchor": "trust-anchor"}.get(kind, kind)
    haystack = "\n".join(
        (
            finding.id,
            finding.title,
            finding.resource_arn,
            name,
            finding.region,
            finding.severity.label,
            finding.detail,
        )
    ).lower()
    return Row(finding, name, account, kind, haystack)


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a query: ``field`` is None for a plain word."""

    field: str | None
    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...] = ()

    def matches(self, row: Row) -> bool:
        return all(_term_matches(term, row) != term.negated for term in self.terms)


def parse_query(text: str) -> Query:
    """The query in ``text`` (never raises)."""
    terms: list[Term] = []
    for word in text.split():
        negated = word.startswith("!")
        if negated:
            word = word[1:]
        if not word:
            continue
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key in FIELDS:
            field = "sev" if key == "severity" else key
            terms.append(Term(field, value.lower(), negated))
        else:
            terms.append(Term(None, word.lower(), negated))
    return Query(tuple(terms))


def filter_rows(rows: Sequence[Row], text: str) -> list[int]:
    """Indexes of the rows that match the query in ``text``, in order."""
    query = parse_query(text)
    if not query.terms:
        return list(range(len(rows)))
    return [i for i, row in enumerate(rows) if query.matches(row)]


def narrows(old: Query, new: Query) -> bool:
    """Whether every row ``new`` matches is also matched by ``old`` (so filtering while the
    user types only needs to look at what the previous keystroke kept).

    True when ``new`` adds terms to ``old`` (AND narrows), or extends the text of ``old``'s
    last plain word (a longer substring matches fewer rows). Field terms and ``!`` can widen
    as they are typed (``sev:high`` to ``sev:high+``), so they never count.
    """
    n = len(old.terms)
    if not old.terms or len(new.terms) < n:
        return False
    if new.terms[:n] == old.terms:
        return True
    if len(new.terms) != n or new.terms[: n - 1] != old.terms[: n - 1]:
        return False
    before, after = old.terms[-1], new.terms[-1]
    plain = before.field is None and after.field is None
    return (
        plain and not before.negated and not after.negated and after.value.startswith(before.value)
    )


class IncrementalFilter:
    """``filter_rows`` for a query typed one key at a time: a keystroke that narrows the
    previous query looks only at the rows that query kept."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = rows
        self._last: tuple[Query, list[int]] | None = None

    def __call__(self, text: str) -> list[int]:
        query = parse_query(text)
        if not query.terms:
            self._last = None
            return list(range(len(self.rows)))
        last = self._last
        candidates = (
            last[1] if last is not None and narrows(last[0], query) else range(len(self.rows))
        )
        matched = [i for i in candidates if query.matches(self.rows[i])]
        self._last = (query, matched)
        return matched


def _term_matches(term: Term, row: Row) -> bool:
    value = term.value
    if term.field is None:
        return value in row.haystack
    if not value:  # "sev:" while typing: no constraint yet
        return True
    if term.field == "sev":
        return row.finding.severity in _severities(value)
    target = {
        "id": row.finding.id,
        "region": row.finding.region,
        "account": row.account,
        "type": row.kind,
    }[term.field]
    return _glob(value).fullmatch(target.lower()) is not None


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


@lru_cache(maxsize=64)
def _severities(value: str) -> frozenset[Severity]:
    chosen: set[Severity] = set()
    for name in value.split(","):
        at_least = name.endswith("+")
        name = name.rstrip("+")
        matches = [s for s in Severity if s.label.startswith(name)] if name else []
        for severity in matches:
            if at_least:
                chosen.update(s for s in Severity if s >= severity)
            else:
                chosen.add(severity)
    return frozenset(chosen)

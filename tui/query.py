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
    """``filter_rows`` for a query typed one key at a time, as fast as the table needs.

    Field terms (``sev:``, ``id:``, ``region:``, ``account:``, ``type:``) are answered from an
    index of the rows by each field's value: one match per distinct value (a few dozen), not
    one per row. Words are looked for in the rows the field terms kept, and a keystroke that
    narrows the previous query looks only at the rows that query kept. The result is always
    the one :func:`filter_rows` gives (a property test compares them on generated rows).
    """

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = rows
        self._last: tuple[Query, list[int]] | None = None
        self._severity: dict[Severity, list[int]] = {}
        self._fields: dict[str, dict[str, list[int]]] = {f: {} for f in _INDEXED}
        for i, row in enumerate(rows):
            self._severity.setdefault(row.finding.severity, []).append(i)
            for field, value in _field_values(row):
                self._fields[field].setdefault(value, []).append(i)

    def __call__(self, text: str) -> list[int]:
        query = parse_query(text)
        if not query.terms:
            self._last = None
            return list(range(len(self.rows)))
        last = self._last
        narrowing = last is not None and narrows(last[0], query)
        matched = self._evaluate(query, last[1] if last is not None and narrowing else None)
        self._last = (query, matched)
        return matched

    def _rows_with(self, term: Term) -> set[int] | None:
        """The rows a field term holds for (None: every row, e.g. ``sev:`` still typed)."""
        if not term.value:
            return None
        if term.field == "sev":
            return {i for s in _severities(term.value) for i in self._severity.get(s, ())}
        pattern = _glob(term.value)
        values = self._fields[term.field or ""]
        return {i for value, rows in values.items() if pattern.fullmatch(value) for i in rows}

    def _evaluate(self, query: Query, candidates: list[int] | None) -> list[int]:
        keep: set[int] | None = None
        for term in query.terms:
            if term.field is None:
                continue
            rows = self._rows_with(term)
            if term.negated:
                if rows is None:
                    return []  # "!sev:" excludes every row, as the plain filter does
                keep = (set(range(len(self.rows))) if keep is None else keep) - rows
            elif rows is not None:
                keep = rows if keep is None else keep & rows
        shown: Sequence[int] = candidates if candidates is not None else range(len(self.rows))
        if keep is not None:
            shown = [i for i in shown if i in keep]
        words = [(t.value, t.negated) for t in query.terms if t.field is None]
        if words:
            table = self.rows
            shown = [
                i
                for i in shown
                if all((value in table[i].haystack) != negated for value, negated in words)
            ]
        return list(shown)


#: The fields the filter indexes by value (severity is indexed by its enum).
_INDEXED = ("id", "region", "account", "type")


def _field_values(row: Row) -> tuple[tuple[str, str], ...]:
    return (
        ("id", row.finding.id.lower()),
        ("region", row.finding.region.lower()),
        ("account", row.account.lower()),
        ("type", row.kind.lower()),
    )


def _term_matches(term: Term, row: Row) -> bool:
    value = term.value
    if term.field is None:
        return value in row.haystack
    if not value:  # "sev:" while typing: no constraint yet
        return True
    if term.field == "sev":
        return row.finding.severity in _severities(value)
    target = dict(_field_values(row))[term.field]
    return _glob(value).fullmatch(target) is not None


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

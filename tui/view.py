"""What the findings table shows, as pure functions: sort, filter, group by resource."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from remediations.findings import Severity
from tui.query import Row, filter_rows

SORT_KEYS = ("severity", "id", "resource", "region", "title")


@dataclass(frozen=True, slots=True)
class GroupHeader:
    """A line naming the resource the findings below it concern."""

    resource_arn: str
    name: str
    count: int


Entry = int | GroupHeader  # an int is an index into the rows


def sort_order(rows: Sequence[Row], key: str, reverse: bool = False) -> list[int]:
    """Row indexes in the order of ``key`` (then severity, ID and resource, stable)."""
    base = sorted(range(len(rows)), key=lambda i: rows[i].finding.sort_key)
    if key == "severity":
        return base[::-1] if reverse else base
    return sorted(base, key=lambda i: _sort_text(rows[i], key), reverse=reverse)


def _sort_text(row: Row, key: str) -> str:
    if key == "id":
        return row.finding.id
    if key == "resource":
        return (row.name or row.finding.resource_arn).lower()
    if key == "region":
        return row.finding.region
    return row.finding.title.lower()


def arrange(
    rows: Sequence[Row],
    order: Sequence[int],
    query: str = "",
    group: bool = False,
    *,
    matcher: Callable[[str], list[int]] | None = None,
) -> list[Entry]:
    """The table's lines: rows in ``order`` that match ``query``, grouped by resource if asked.

    Grouped, each resource's findings follow a :class:`GroupHeader`, resources in the order
    their first finding appears. ``matcher`` filters (default :func:`filter_rows` over
    ``rows``; the app passes an :class:`~tui.query.IncrementalFilter`).
    """
    match = matcher or (lambda text: filter_rows(rows, text))
    keep = set(match(query)) if query.strip() else None
    shown = [i for i in order if keep is None or i in keep]
    if not group:
        return list(shown)
    by_resource: dict[str, list[int]] = {}
    for i in shown:
        by_resource.setdefault(rows[i].finding.resource_arn, []).append(i)
    entries: list[Entry] = []
    for arn, members in by_resource.items():
        entries.append(GroupHeader(arn, rows[members[0]].name, len(members)))
        entries.extend(members)
    return entries


def severity_counts(rows: Sequence[Row], entries: Sequence[Entry]) -> dict[Severity, int]:
    """How many shown findings there are of each severity (every severity present)."""
    counts = dict.fromkeys(Severity, 0)
    for entry in entries:
        if isinstance(entry, int):
            counts[rows[entry].finding.severity] += 1
    return counts

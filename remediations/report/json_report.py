"""The JSON report for scripts (the INTERFACE.md contract)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from remediations import __version__
from remediations.findings import Finding
from remediations.report.common import JSON_SCHEMA, Warning_, summary_counts
from remediations.report.table import account_summaries

# --- JSON --------------------------------------------------------------------------------


def render_json(
    findings: Sequence[Finding],
    warnings: Sequence[Warning_] = (),
    *,
    source: Mapping[str, Any] | None = None,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    not_read: Sequence[Warning_] = (),
    accounts: Sequence[Any] = (),
) -> str:
    """The INTERFACE.md document (see :func:`json_pieces`), as one text."""
    return "".join(
        json_pieces(
            findings,
            warnings,
            source=source,
            suppressed=suppressed,
            in_baseline=in_baseline,
            not_read=not_read,
            accounts=accounts,
        )
    )


def json_pieces(
    findings: Sequence[Finding],
    warnings: Sequence[Warning_] = (),
    *,
    source: Mapping[str, Any] | None = None,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    not_read: Sequence[Warning_] = (),
    accounts: Sequence[Any] = (),
) -> Iterator[str]:
    """The INTERFACE.md document (schema ``rafix.findings/v1``) plus summary and warnings;
    an organisation scan adds ``accounts`` (each read or not, its findings by severity).

    Args:
        source: what was scanned (origin, account, regions, coverage), when known; scripts use
            ``coverage`` to tell a partial scan from a clean one.
        suppressed: ``remediations.selection.SuppressedFinding`` items, listed under
            ``suppressed`` (each finding with its ``reason`` and ``expires``).
        in_baseline: findings left out because ``--baseline`` already listed them.
        not_read: what the source could not read: ``complete`` is false and ``not_read``
            lists them (also among ``warnings``).

    The text comes in pieces, each finding encoded as it is reached, for a caller that writes
    them as they come (a large report is then never held whole).
    """
    document: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "tool": {"name": "rafix", "version": __version__},
        "summary": {
            "total": len(findings),
            "by_severity": summary_counts(findings),
            "suppressed": len(suppressed),
            "in_baseline": in_baseline,
        },
        "findings": _Encoded(findings),
        "suppressed": [s.to_json() for s in suppressed],
        "warnings": [_warning_json(w) for w in warnings],
        "complete": not not_read,
        "not_read": [_warning_json(w) for w in not_read],
    }
    if accounts:
        document["accounts"] = account_summaries(findings, accounts)
    if source is not None:
        document["source"] = dict(source)
    return _one_item_per_line(document)


class _Encoded:
    """Findings as their JSON objects, made one at a time while the report is written (10,000
    findings' dicts, and each step's copy of the text, no longer all live at once)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = findings

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (f.to_json() for f in self.findings)


def _one_item_per_line(document: Mapping[str, Any]) -> Iterator[str]:
    """The document with each top-level key, and each item of a list value, on its own line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder: on 10,000 findings that costs more
    than the whole analysis. Encoding each item compactly uses the C encoder and still reads
    (and diffs) one finding per line. The pieces are joined once (or written as they come):
    building the text part by part copied a large report four times over.
    """
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

    def pieces() -> Iterator[str]:
        yield "{\n"
        for number, (key, value) in enumerate(document.items()):
            if number:
                yield ",\n"
            if isinstance(value, list | _Encoded) and len(value):
                yield f"  {encode(key)}: [\n    "
                for index, item in enumerate(value):
                    if index:
                        yield ",\n    "
                    yield encode(item)
                yield "\n  ]"
            else:
                yield f"  {encode(key)}: {encode(list(value) if isinstance(value, _Encoded) else value)}"
        yield "\n}\n"

    return pieces()


def _warning_json(warning: Warning_) -> dict[str, Any]:
    if isinstance(warning, str):
        return {"message": warning, "where": "", "resource_arn": None}
    return {
        "message": warning.message,
        "where": warning.where,
        "resource_arn": warning.resource_arn,
    }

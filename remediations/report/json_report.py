"""The JSON report for scripts (the INTERFACE.md contract)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from remediations import __version__
from remediations.findings import Finding, Severity
from remediations.report.common import JSON_SCHEMA, Warning_, summary_counts
from remediations.report.table import account_summaries
from remediations.shortcuts import shortcuts_on

#: The report's encoder: each item compact on its own line (see :func:`_one_item_per_line`).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

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
        "findings": _Encoded(findings, _ENCODE),
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
    """Findings as their JSON text (``encode(finding.to_json())``), made one at a time while
    the report is written (10,000 findings' dicts, and each step's copy of the text, no longer
    all live at once). ``plain``: encode each finding's dict (what the shortcut must give)."""

    def __init__(self, findings: Sequence[Finding], encode: Callable[[Any], str]) -> None:
        self.findings = findings
        self.encode = encode

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[str]:
        if not shortcuts_on():
            return (self.encode(f.to_json()) for f in self.findings)
        return finding_texts(self.findings, self.encode)


def finding_texts(findings: Sequence[Finding], encode: Callable[[Any], str]) -> Iterator[str]:
    """Each finding's ``encode(finding.to_json())``, with the values findings repeat (ID,
    severity, type, region, account, title, fix: the same few texts across thousands of
    findings) encoded once per distinct text and the rest (ARN, detail, evidence) per finding.
    It reproduces the encoder's output for a dict of these keys in this order: ``", "`` between
    items, ``": "`` after keys, which are plain ASCII."""
    memo: dict[str, str] = {}

    def once(text: str) -> str:
        found = memo.get(text)
        if found is None:
            found = memo[text] = encode(text)
        return found

    for f in findings:
        account = f.account_id
        managed = f.managed_by
        yield "".join(
            (
                '{"id": ',
                once(f.id),
                ', "severity": ',
                once(_LABELS[f.severity]),
                ', "resource_arn": ',
                encode(f.resource_arn),
                ', "resource_type": ',
                once(f.resource_type),
                ', "region": ',
                once(f.region),
                ', "account_id": ',
                once(account) if account else "null",
                ', "title": ',
                once(f.title),
                ', "detail": ',
                encode(f.detail),
                ', "fix": ',
                once(f.fix),
                ', "evidence": ',
                encode(f.evidence),
                ', "managed_by": ',
                encode(managed.to_json()) if managed else "null",
                "}",
            )
        )


_LABELS = {s: s.label for s in Severity}


def _one_item_per_line(document: Mapping[str, Any]) -> Iterator[str]:
    """The document with each top-level key, and each item of a list value, on its own line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder: on 10,000 findings that costs more
    than the whole analysis. Encoding each item compactly uses the C encoder and still reads
    (and diffs) one finding per line. The pieces are joined once (or written as they come):
    building the text part by part copied a large report four times over.
    """
    encode = _ENCODE

    def pieces() -> Iterator[str]:
        yield "{\n"
        for number, (key, value) in enumerate(document.items()):
            if number:
                yield ",\n"
            if isinstance(value, list | _Encoded) and len(value):
                yield f"  {encode(key)}: [\n    "
                encoded = value if isinstance(value, _Encoded) else map(encode, value)
                for index, text in enumerate(encoded):
                    if index:
                        yield ",\n    "
                    yield text
                yield "\n  ]"
            else:
                yield f"  {encode(key)}: {'[]' if isinstance(value, _Encoded) else encode(value)}"
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

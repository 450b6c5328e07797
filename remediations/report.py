"""Scan reports: a table for people, JSON for scripts (INTERFACE.md), SARIF for code scanning.

Plain text and standard library only: the core never imports Rich or Textual.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from remediations import __version__
from remediations.catalog import CATALOG, CheckSpec
from remediations.findings import Finding, Severity
from remediations.model import Inventory, SourceWarning
from remediations.textsafe import shown

JSON_SCHEMA = "rafix.findings/v1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub ranks alerts by this score (9.0+ critical, 7.0+ high, 4.0+ medium, below: low).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}
SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_ANSI = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"
#: The table fits this many columns (a terminal's own width when stdout is one).
TABLE_WIDTH = 80

Warning_ = SourceWarning | str


def use_color(stream: Any = None) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def short_name(arn: str, names: Mapping[str, str] | None = None) -> str:
    """A readable name for a resource: its known name, else the last part of its ARN."""
    if names and names.get(arn):
        return names[arn]
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def summary_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per severity label, most severe first, every severity present."""
    counts = Counter(f.severity for f in findings)
    return {s.label: counts.get(s, 0) for s in sorted(Severity, reverse=True)}


def summary_line(findings: Sequence[Finding], *, suppressed: int = 0, in_baseline: int = 0) -> str:
    """E.g. ``5 findings: 1 critical, 2 high, 2 medium`` or ``No findings.``, then what was
    suppressed or already in the baseline (``; 2 suppressed, 3 in the baseline``)."""
    if not findings:
        line = "No findings"
    else:
        parts = [f"{n} {label}" for label, n in summary_counts(findings).items() if n]
        noun = "finding" if len(findings) == 1 else "findings"
        line = f"{len(findings)} {noun}: {', '.join(parts)}"
    hidden = []
    if suppressed:
        hidden.append(f"{suppressed} suppressed")
    if in_baseline:
        hidden.append(f"{in_baseline} in the baseline")
    if hidden:
        return f"{line}; {', '.join(hidden)}."
    return line + ("." if not findings else "")


# --- table -------------------------------------------------------------------------------


def render_table(
    findings: Sequence[Finding],
    warnings: Sequence[Warning_] = (),
    *,
    names: Mapping[str, str] | None = None,
    color: bool | None = None,
    width: int = TABLE_WIDTH,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    not_read: Sequence[Warning_] = (),
    accounts: Sequence[Any] = (),
) -> str:
    """One block per finding, for a terminal of ``width`` columns (80 by default):

    ``SEVERITY  ID  REGION  ACCOUNT``, then indented the resource (its name when the ARN does
    not end with it, and its ARN) and the title. Text wraps at word boundaries and ARNs after a
    ``/`` or ``:``, never mid-word; a summary line follows, then suppressed findings (with
    their reasons) and warnings.

    Args:
        names: resource ARN -> display name (role, profile, anchor or CRL name).
        color: ANSI colours for severities; None decides from stdout and NO_COLOR.
        suppressed: ``remediations.selection.SuppressedFinding`` items to list and count.
        in_baseline: how many findings an earlier report (``--baseline``) already listed.
        not_read: what the source could not read (``--allow-partial``): listed first, and the
            summary says the scan is partial.
        accounts: the accounts of an organisation scan (``session.AccountSummary``): a
            summary line per account follows the total.
    """
    color = use_color() if color is None else color
    width = max(width, 40)
    lines: list[str] = []
    if not_read:
        lines.append(f"PARTIAL SCAN: {len(not_read)} part(s) of the account were not read:")
        for w in not_read:
            lines.extend(wrap(str(w), "  - ", width, rest="    "))
        lines.append("")
    if findings:
        heads = [
            (
                f.severity.label.upper(),
                shown(f.id),
                shown(f.region or "-"),
                _account(f.resource_arn) or "-",
            )
            for f in findings
        ]
        header = ("SEVERITY", "ID", "REGION", "ACCOUNT")
        widths = [max(len(header[i]), *(len(h[i]) for h in heads)) for i in range(3)]
        lines.append(_row(header, widths))
        indent = " " * (widths[0] + 2)
        for finding, cells in zip(findings, heads, strict=True):
            line = _row(cells, widths)
            if color:  # colour the severity cell only, so columns stay aligned
                label = cells[0].ljust(widths[0])
                line = f"{_ANSI[finding.severity]}{label}{_RESET}{line[len(label) :]}"
            lines.append(line)
            lines.extend(_resource_lines(finding.resource_arn, names, indent, width))
            lines.extend(wrap(finding.title, indent, width))
        lines.append("")
    summary = summary_line(findings, suppressed=len(suppressed), in_baseline=in_baseline)
    if not_read:
        summary = summary.rstrip(".") + " in what was read (the scan is partial)."
    lines.append(summary)
    if accounts:
        lines.append("")
        lines.append(f"By account ({len(accounts)}):")
        lines.extend(_account_lines(findings, accounts, width))
    if suppressed:
        lines.append("")
        lines.append(f"Suppressed ({len(suppressed)}):")
        for item in suppressed:
            f, rule = item.finding, item.suppression
            until = f", until {rule.expires}" if rule.expires else ""
            lines.extend(wrap(f"{f.id} on {_display(f.resource_arn, names)}", "  - ", width))
            lines.extend(wrap(f"reason: {rule.reason}{until}", "    ", width))
    others = [w for w in warnings if not any(w is n for n in not_read)]
    if others:
        lines.append("")
        lines.append(f"Warnings ({len(others)}):")
        for w in others:
            lines.extend(wrap(str(w), "  - ", width, rest="    "))
    return "\n".join(lines) + "\n"


def account_summaries(findings: Sequence[Finding], accounts: Sequence[Any]) -> list[dict[str, Any]]:
    """Per account of an organisation scan: read or not, and its reported findings by
    severity (after ``--severity``, ``--check``, suppressions and the baseline)."""
    by_account: dict[str, list[Finding]] = {}
    for finding in findings:
        by_account.setdefault(finding.account_id, []).append(finding)
    out = []
    for account in accounts:
        found = by_account.get(account.account_id, [])
        out.append(
            {
                "account_id": account.account_id,
                "name": account.name,
                "management": account.management,
                "read": account.error is None,
                "error": account.error,
                "total": len(found),
                "by_severity": summary_counts(found),
            }
        )
    return out


def _account_lines(findings: Sequence[Finding], accounts: Sequence[Any], width: int) -> list[str]:
    lines: list[str] = []
    for item in account_summaries(findings, accounts):
        label = item["account_id"] + (f" ({item['name']})" if item["name"] else "")
        if item["management"] and item["name"] != "management":
            label += " [management]"
        if not item["read"]:
            text = f"{label}: not read"
        else:
            counts = [f"{n} {sev}" for sev, n in item["by_severity"].items() if n]
            text = f"{label}: {item['total']} finding{'s' if item['total'] != 1 else ''}" + (
                f" ({', '.join(counts)})" if counts else ""
            )
        lines.extend(wrap(text, "  ", width, rest="    "))
    return lines


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths) :]]).rstrip()


def _account(arn: str) -> str:
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 4 else ""
    return account if account.isdigit() else ""


def _display(arn: str, names: Mapping[str, str] | None) -> str:
    """The name a person knows, then the ARN when the ARN does not already end with it."""
    name = short_name(arn, names)
    return arn if arn.endswith("/" + name) or arn == name else f"{name} ({arn})"


def _resource_lines(
    arn: str, names: Mapping[str, str] | None, indent: str, width: int
) -> list[str]:
    name = short_name(arn, names)
    if arn.endswith("/" + name) or arn == name:
        return _wrap_arn(arn, indent, width)
    lines = wrap(name, indent, width)
    return lines + _wrap_arn(arn, indent, width)


def _wrap_arn(arn: str, indent: str, width: int) -> list[str]:
    """An ARN on as few lines as fit, broken only after a ``:`` or ``/``."""
    room = max(width - len(indent), 20)
    pieces = re.findall(r"[^:/]*[:/]|[^:/]+$", shown(arn))
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > room:
            lines.append(current)
            current = ""
        current += piece
    if current:
        lines.append(current)
    return [indent + line for line in lines]


def wrap(text: str, indent: str, width: int, rest: str | None = None) -> list[str]:
    """Word-boundary wrapping; a word longer than the line stays whole rather than split."""
    wrapped = textwrap.wrap(
        shown(text),
        width=max(width, len(indent) + 20),
        initial_indent=indent,
        subsequent_indent=indent if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped or [indent.rstrip()]


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


def _one_item_per_line(document: Mapping[str, Any]) -> str:
    """The document with each top-level key, and each item of a list value, on its own line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder: on 10,000 findings that costs more
    than the whole analysis. Encoding each item compactly uses the C encoder and still reads
    (and diffs) one finding per line. The text is joined once from its pieces: building it
    part by part copied a large report four times over.
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

    return "".join(pieces())


def _warning_json(warning: Warning_) -> dict[str, Any]:
    if isinstance(warning, str):
        return {"message": warning, "where": "", "resource_arn": None}
    return {
        "message": warning.message,
        "where": warning.where,
        "resource_arn": warning.resource_arn,
    }


# --- SARIF -------------------------------------------------------------------------------


def render_sarif(
    findings: Sequence[Finding],
    *,
    source_uri: str | None = None,
    names: Mapping[str, str] | None = None,
    warnings: Sequence[Warning_] = (),
    suppressed: Sequence[Any] = (),
    not_read: Sequence[Warning_] = (),
) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one rule per catalog ID, one result per finding.

    A suppressed finding is a result with a ``suppressions`` entry (kind ``external``: the
    config file; status ``accepted``; the reason as ``justification``), as SARIF 2.1.0
    section 3.35 describes, so code scanning shows it as dismissed rather than open.

    Args:
        source_uri: the artifact every result points at (e.g. the ``--from-file`` path); by
            default each resource gets a stable pseudo-path ``aws/<account>/<resource>``.
        names: resource ARN -> display name, for the results' logical locations.
        warnings: source warnings, reported as tool execution notifications.
        not_read: what the source could not read: notifications of level ``error``, and the
            run's ``properties`` say ``partial`` with the list under ``notRead``.
    """
    specs = list(CATALOG.values())
    index = {spec.id: i for i, spec in enumerate(specs)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rafix",
                        "version": __version__,
                        "semanticVersion": __version__,
                        # No informationUri (optional in SARIF) until rafix has a home page.
                        "rules": [_rule(spec) for spec in specs],
                    }
                },
                "results": [_result(f, index.get(f.id), source_uri, names) for f in findings]
                + [_suppressed_result(item, index, source_uri, names) for item in suppressed],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "error" if any(w is n for n in not_read) else "warning",
                                "message": {"text": str(w)},
                            }
                            for w in warnings
                        ],
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "properties": {"partial": bool(not_read), "notRead": [str(w) for w in not_read]},
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(spec: CheckSpec) -> dict[str, Any]:
    help_text = spec.fix + (f" Severity: {spec.severity_note}." if spec.severity_note else "")
    return {
        "id": spec.id,
        "name": "".join(part.capitalize() for part in spec.id.split("-")),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.explanation},
        "help": {"text": help_text, "markdown": f"**Fix.** {help_text}"},
        "defaultConfiguration": {"level": SARIF_LEVEL[spec.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[spec.severity],
            "tags": ["security", "aws", "iam-roles-anywhere", spec.resource],
            "precision": "high",
        },
    }


def _result(
    finding: Finding,
    rule_index: int | None,
    source_uri: str | None,
    names: Mapping[str, str] | None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "level": SARIF_LEVEL[finding.severity],
        "message": {
            "text": f"{finding.title}: {finding.detail}" if finding.detail else finding.title
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": source_uri or resource_uri(finding.resource_arn)},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {
                        "name": short_name(finding.resource_arn, names),
                        "fullyQualifiedName": finding.resource_arn,
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {"rafixFinding/v1": fingerprint(finding)},
        "properties": {
            "severity": finding.severity.label,
            "resourceType": finding.resource_type,
            "region": finding.region,
            "accountId": finding.account_id,
            "security-severity": SECURITY_SEVERITY[finding.severity],
        },
    }
    if finding.managed_by is not None:
        # Code scanning shows it beside the alert: fix it in the stack or module, not the API.
        result["properties"]["managedBy"] = finding.managed_by.to_json()
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    return result


def _suppressed_result(
    item: Any,
    index: Mapping[str, int],
    source_uri: str | None,
    names: Mapping[str, str] | None,
) -> dict[str, Any]:
    result = _result(item.finding, index.get(item.finding.id), source_uri, names)
    rule = item.suppression
    suppression: dict[str, Any] = {
        "kind": "external",
        "status": "accepted",
        "justification": rule.reason,
    }
    properties = {"expires": rule.expires.isoformat()} if rule.expires else {}
    if rule.origin:
        properties["origin"] = rule.origin
    if properties:
        suppression["properties"] = properties
    result["suppressions"] = [suppression]
    return result


def fingerprint(finding: Finding) -> str:
    """Stable per (ID, resource): the same problem on the same resource is the same alert.
    The resource's ARN names its account, so alerts stay apart and stable per account."""
    return hashlib.sha256(f"{finding.id}\n{finding.resource_arn}".encode()).hexdigest()[:32]


def resource_uri(arn: str) -> str:
    """A stable relative pseudo-path for a resource: ``aws/<account>/[<region>/]<resource>``."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "aws/unknown/" + _uri_safe(arn)
    _arn, _partition, _service, region, account, resource = parts
    segments = ["aws", account or "unknown", *([region] if region else []), resource]
    return "/".join(_uri_safe(s) for s in segments)


def _uri_safe(text: str) -> str:
    return quote(text, safe="/-_.~")


def resource_names(inventory: Inventory) -> dict[str, str]:
    """ARN -> the name people know a resource by (profile IDs say nothing to a reader)."""
    names: dict[str, str] = {arn: role.name for arn, role in inventory.roles.items()}
    for store in (inventory.profiles, inventory.trust_anchors, inventory.crls):
        names.update({arn: obj.name for arn, obj in store.items() if obj.name})
    return names


def source_summary(inventory: Inventory, accounts: Sequence[Any] = ()) -> dict[str, Any]:
    """What the scan saw, for the JSON report (``account_ids``: every account read)."""
    read = [a.account_id for a in accounts if a.error is None]
    return {
        "origin": inventory.origin,
        "account_id": inventory.account_id,
        **({"account_ids": read} if accounts else {}),
        "regions": list(inventory.regions),
        "coverage": sorted(inventory.coverage),
    }


def render_findings(
    findings: Sequence[Finding],
    inventory: Inventory,
    fmt: str,
    *,
    color: bool = False,
    source_uri: str | None = None,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    warnings: Sequence[Warning_] | None = None,
    width: int = TABLE_WIDTH,
    accounts: Sequence[Any] = (),
) -> str:
    """The report in ``fmt`` (table | json | sarif); ``source_uri`` is SARIF's artifact;
    ``accounts``: the accounts of an organisation scan (``session.AccountSummary``).

    ``suppressed`` and ``in_baseline`` come from ``remediations.selection.select_findings``;
    ``warnings`` default to the inventory's (pass them with the selection's added).
    """
    names = resource_names(inventory)
    warned = list(inventory.warnings if warnings is None else warnings)
    not_read = [w for w in warned if isinstance(w, SourceWarning) and w.incomplete]
    if fmt == "json":
        return render_json(
            findings,
            warned,
            source=source_summary(inventory, accounts),
            suppressed=suppressed,
            in_baseline=in_baseline,
            not_read=not_read,
            accounts=accounts,
        )
    if fmt == "sarif":
        return render_sarif(
            findings,
            source_uri=source_uri,
            names=names,
            warnings=warned,
            suppressed=suppressed,
            not_read=not_read,
        )
    return render_table(
        findings,
        warned,
        names=names,
        color=color,
        width=width,
        suppressed=suppressed,
        in_baseline=in_baseline,
        not_read=not_read,
        accounts=accounts,
    )

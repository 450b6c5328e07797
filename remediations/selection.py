"""Choosing what a scan reports: severities, checks, a baseline and suppressions (pure).

``scan --severity LIST``, ``--check ID`` (repeatable, patterns like ``RA-TRUST-*``),
``--baseline REPORT.json`` and the ``[[rafix.suppress]]`` entries of the config file
(INTERFACE.md) all end here, so the CLI and the app decide the same way:

1. ``--severity`` and ``--check`` keep the findings asked for; the rest are not reported at all;
2. ``--baseline`` drops the findings an earlier JSON report already listed (same ID, resource
   ARN and account): only new findings are reported;
3. a suppression that matches (ID pattern, optional resource ARN pattern, optional account) and
   has not expired moves its finding out of ``findings`` into ``suppressed``, with the reason.
   An expired entry stops applying and is reported as a warning.

Patterns are shell-style (``*``, ``?``, ``[...]``); finding IDs match case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from remediations.errors import InputError
from remediations.findings import Finding, Severity
from remediations.model import SourceWarning
from remediations.textsafe import shown

#: What identifies "the same finding" across two reports.
FindingKey = tuple[str, str, str]


def finding_account(finding: Finding) -> str:
    """The 12-digit account of a finding's resource ('' when its ARN names none)."""
    explicit = getattr(finding, "account_id", None)
    if explicit:
        return str(explicit)
    return _account_from_arn(finding.resource_arn)


def _account_from_arn(arn: str) -> str:
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 4 else ""
    return account if account.isdigit() else ""


def finding_key(finding: Finding) -> FindingKey:
    return (finding.id, finding.resource_arn, finding_account(finding))


# --- suppressions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suppression:
    """One ``[[rafix.suppress]]`` entry of the config file."""

    id: str
    reason: str
    resource: str | None = None
    account: str | None = None
    expires: date | None = None
    #: Where it was written, for messages: e.g. "config.toml, suppress entry 2".
    origin: str = ""

    def matches(self, finding: Finding) -> bool:
        if not fnmatchcase(finding.id.upper(), self.id.upper()):
            return False
        if self.resource is not None and not fnmatchcase(finding.resource_arn, self.resource):
            return False
        return self.account is None or finding_account(finding) == self.account

    def expired(self, today: date) -> bool:
        """True once ``expires`` has passed (the entry applies through its expiry date)."""
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        scope = [self.id]
        if self.resource:
            scope.append(f"on {self.resource}")
        if self.account:
            scope.append(f"in account {self.account}")
        return " ".join(scope)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource": self.resource,
            "account": self.account,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
        }


_SUPPRESS_KEYS = {"id", "resource", "account", "reason", "expires"}


def parse_suppressions(entries: Any, where: str) -> tuple[Suppression, ...]:
    """The ``suppress`` array of the ``[rafix]`` table (TOML already parsed).

    Raises:
        InputError: one line naming the file and the entry.
    """
    if not isinstance(entries, list):
        raise InputError(f"{where}: suppress must be a list of tables ([[rafix.suppress]])")
    out: list[Suppression] = []
    for number, entry in enumerate(entries, start=1):
        label = f"{where}: suppress entry {number}"
        if not isinstance(entry, dict):
            raise InputError(f"{label}: must be a table ([[rafix.suppress]])")
        unknown = sorted(set(entry) - _SUPPRESS_KEYS)
        if unknown:
            raise InputError(
                f"{label}: unknown key(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(_SUPPRESS_KEYS))})"
            )
        finding_id = _text(entry, "id", label, required=True)
        reason = _text(entry, "reason", label, required=True)
        assert finding_id is not None and reason is not None
        account = _text(entry, "account", label)
        if account is not None and not (account.isdigit() and len(account) == 12):
            raise InputError(f"{label}: account must be a 12-digit AWS account ID, not {account!r}")
        out.append(
            Suppression(
                id=finding_id,
                reason=reason,
                resource=_text(entry, "resource", label),
                account=account,
                expires=_date(entry.get("expires"), label),
                origin=label,
            )
        )
    return tuple(out)


def _text(entry: Mapping[str, Any], key: str, label: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise InputError(f"{label}: {key} is required")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InputError(f"{label}: {key} must be a string")
    text = str(value).strip()
    if not text:
        if required:
            raise InputError(f"{label}: {key} must not be empty")
        return None
    return text


def _date(value: Any, label: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(f"{label}: expires must be a date like 2027-03-31, not {value!r}")


# --- severities and checks ---------------------------------------------------------------


def parse_severities(text: str | Iterable[str]) -> frozenset[Severity]:
    """``critical,high`` (or several values) -> those severities.

    Raises:
        InputError: an unknown severity name.
    """
    items = [text] if isinstance(text, str) else list(text)
    out: set[Severity] = set()
    for item in items:
        for name in item.split(","):
            if not name.strip():
                continue
            try:
                out.add(Severity.parse(name))
            except ValueError as exc:
                raise InputError(f"--severity: {exc}") from None
    if not out:
        raise InputError("--severity: name at least one severity (e.g. critical,high)")
    return frozenset(out)


def check_patterns(patterns: Iterable[str], known_ids: Iterable[str]) -> tuple[str, ...]:
    """``--check`` values, each checked to match at least one known finding ID.

    Raises:
        InputError: a pattern that matches no finding ID (a typo would otherwise hide
            every finding).
    """
    known = [i.upper() for i in known_ids]
    out: list[str] = []
    for raw in patterns:
        for pattern in (p.strip() for p in raw.split(",")):
            if not pattern:
                continue
            if not any(fnmatchcase(i, pattern.upper()) for i in known):
                raise InputError(f"--check {pattern}: matches no finding ID")
            out.append(pattern)
    return tuple(out)


# --- baseline ----------------------------------------------------------------------------


def load_baseline(path: str | Path) -> frozenset[FindingKey]:
    """The findings of an earlier ``rafix scan --format json`` report, as keys.

    Only the report's ``findings`` count (not what it listed as suppressed).

    Raises:
        InputError: the file cannot be read or is not a rafix JSON report.
    """
    from remediations.inputs import InputLimits, read_input

    where = f"--baseline {shown(path)}"
    try:
        document = json.loads(read_input(path, InputLimits.resolve()).decode("utf-8"))
    except InputError as exc:
        reason = str(exc).removeprefix(f"{shown(path, limit=200)}: ")
        raise InputError(f"{where}: cannot read the file ({reason})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not JSON ({exc})") from None
    return baseline_keys(document, where)


def baseline_keys(document: Any, where: str = "--baseline") -> frozenset[FindingKey]:
    """The keys of the findings in a parsed JSON report."""
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise InputError(
            f"{where}: not a rafix JSON report (expected the output of "
            "`rafix scan --format json`, with a findings list)"
        )
    keys: set[FindingKey] = set()
    for item in document["findings"]:
        if not isinstance(item, dict):
            continue
        finding_id, arn = item.get("id"), item.get("resource_arn")
        if not isinstance(finding_id, str) or not isinstance(arn, str):
            continue
        account = item.get("account_id")
        account = account if isinstance(account, str) and account else _account_from_arn(arn)
        keys.add((finding_id, arn, account))
    return frozenset(keys)


# --- selection ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """What to report. Empty ``severities`` or ``checks`` mean every one."""

    severities: frozenset[Severity] = frozenset()
    checks: tuple[str, ...] = ()
    baseline: frozenset[FindingKey] | None = None
    suppressions: tuple[Suppression, ...] = ()

    def wants(self, finding: Finding) -> bool:
        """Whether ``--severity`` and ``--check`` keep this finding."""
        if self.severities and finding.severity not in self.severities:
            return False
        return not self.checks or any(
            fnmatchcase(finding.id.upper(), p.upper()) for p in self.checks
        )


@dataclass(frozen=True, slots=True)
class SuppressedFinding:
    """A finding an active suppression moved out of the report's findings."""

    finding: Finding
    suppression: Suppression

    def to_json(self) -> dict[str, Any]:
        return {
            **self.finding.to_json(),
            "reason": self.suppression.reason,
            "expires": (self.suppression.expires.isoformat() if self.suppression.expires else None),
            "suppression": self.suppression.to_json(),
        }


@dataclass(slots=True)
class Selected:
    """The outcome: what to report, what was suppressed, and what was left out and why."""

    findings: list[Finding]
    suppressed: list[SuppressedFinding] = field(default_factory=list)
    #: Findings that ``--severity``/``--check`` left out.
    filtered_out: int = 0
    #: Findings the baseline already listed.
    in_baseline: int = 0
    #: Expired suppressions (one warning each).
    warnings: list[SourceWarning] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "suppressed": len(self.suppressed),
            "in_baseline": self.in_baseline,
            "filtered_out": self.filtered_out,
        }


def select_findings(
    findings: Sequence[Finding], selection: Selection, *, today: date | None = None
) -> Selected:
    """Apply ``selection`` to ``findings`` (order kept). ``today`` decides expiry (UTC)."""
    today = today or datetime.now(UTC).date()
    active = [s for s in selection.suppressions if not s.expired(today)]
    warnings = [
        SourceWarning(
            f"suppression of {s.describe()} expired on {s.expires}; its findings are "
            f"reported again (reason was: {s.reason})",
            where=s.origin or "config",
        )
        for s in selection.suppressions
        if s.expired(today)
    ]
    result = Selected(findings=[], warnings=warnings)
    if not (selection.severities or selection.checks or active) and selection.baseline is None:
        result.findings = list(findings)  # nothing to select by: every finding, in order
        return result
    for finding in findings:
        if not selection.wants(finding):
            result.filtered_out += 1
            continue
        if selection.baseline is not None and finding_key(finding) in selection.baseline:
            result.in_baseline += 1
            continue
        match = next((s for s in active if s.matches(finding)), None)
        if match is not None:
            result.suppressed.append(SuppressedFinding(finding, match))
        else:
            result.findings.append(finding)
    return result

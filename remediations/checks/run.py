"""Run every check over an inventory, with progress and cancellation between checks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from operator import attrgetter

from remediations.catalog import spec
from remediations.checks import load_all
from remediations.checks.context import ScanContext
from remediations.collector import collector_paused
from remediations.findings import Finding
from remediations.managed import ManagedBy, managed_resource
from remediations.model import Inventory
from remediations.progress import Progress, Stage, StopCheck, Tracker
from remediations.settings import Settings


def run_checks(
    inventory: Inventory,
    settings: Settings | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
    pause_gc: bool = False,
    context: ScanContext | None = None,
) -> list[Finding]:
    """All findings for the inventory, most severe first, then by ID and resource.

    Args:
        on_progress: called after each check (the step names its finding IDs).
        should_stop: polled before each check; True raises ``Cancelled``.
        pause_gc: pause the cyclic garbage collector while the checks run. Only for a
            one-shot process (the CLI's scan): it is process-wide, so a long-lived app with
            other threads must leave it off.
        context: the :class:`ScanContext` to run with (one over ``inventory`` and
            ``settings``, e.g. built with ``previous=`` to take over an earlier scan's
            analyses); by default a fresh one.
    """
    ctx = context if context is not None else ScanContext(inventory, settings)
    findings: list[Finding] = []
    checks = load_all()
    tracker = Tracker(Stage.CHECK, len(checks), on_progress, should_stop)
    # The analyses allocate many small containers that reference counting frees; what they
    # leave (findings, the analyses the report and the app read) lives as long as the scan.
    with collector_paused(freeze=True) if pause_gc else nullcontext():
        for ids, fn in checks:
            tracker.check()
            findings.extend(fn(ctx))
            tracker.step(", ".join(ids))
    findings.extend(_malformed_policy_findings(inventory))
    findings = _mark_managed(findings, inventory)
    # Finding.sort_key order (severity descending, then ID, then resource) in two stable
    # passes over plain attributes: building a key tuple per finding costs more.
    findings.sort(key=attrgetter("id", "resource_arn"))
    findings.sort(key=attrgetter("severity"), reverse=True)
    return findings


def _mark_managed(findings: list[Finding], inventory: Inventory) -> list[Finding]:
    """Findings on resources that CloudFormation or Terraform manages say so (their tags)."""
    managed: dict[str, ManagedBy | None] = {}
    out = []
    for finding in findings:
        arn = finding.resource_arn
        if arn not in managed:
            managed[arn] = managed_resource(inventory, arn)
        who = managed[arn]
        out.append(finding if who is None else replace(finding, managed_by=who))
    return out


def _malformed_policy_findings(inventory: Inventory) -> list[Finding]:
    """A malformed document inside a good export is a finding-level warning, not a crash."""
    entry = spec("RA-INPUT-MALFORMED-POLICY")
    out = []
    for role in inventory.roles.values():
        if role.trust_policy_error:
            out.append(
                entry.finding(role.arn, f"Trust policy: {role.trust_policy_error}", region="global")
            )
    for profile in inventory.profiles.values():
        if profile.session_policy_error:
            out.append(
                entry.finding(
                    profile.arn,
                    f"Session policy: {profile.session_policy_error}",
                    region=profile.region,
                    resource="profile",
                )
            )
    return out

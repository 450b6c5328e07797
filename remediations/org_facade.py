"""The organisation half of the facade: scan, plan, apply and snapshots over several accounts.

:class:`remediations.session.Session` delegates here when its source is an
:class:`~remediations.source.OrgSource`: each account is read through its role
(:mod:`remediations.sources.organization`), checked and planned on its own, applied one account at a
time (a failed account is rolled back and the accounts after it are left untouched), and its
snapshots are kept in its own store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from remediations.apply.results import ApplyEvent, ApplyPreview, ApplyReport, Outcome
from remediations.apply.snapshots import SnapshotInfo, SnapshotStore, snapshot_store
from remediations.errors import ApplyError, InputError, RafixError
from remediations.findings import Finding
from remediations.model import Inventory
from remediations.plan import Plan
from remediations.progress import Progress, StopCheck
from remediations.settings import Settings
from remediations.source import OrgSource, SandboxSource, Source
from remediations.sources.opening import load_organization


class Session(Protocol):
    """What this module needs of a ``remediations.session.Session`` (which sits a layer
    above it and delegates here)."""

    source: Source
    settings: Settings

    @property
    def label(self) -> str: ...

    @property
    def store(self) -> SnapshotStore: ...

    def member(self, account_id: str) -> Session: ...

    def _mark_managed(self, plan: Plan, inventory: Inventory) -> None: ...

    def preview(
        self, plan: Plan, *, phases: Sequence[int] = (1,), label: str = ""
    ) -> ApplyPreview: ...

    def execute(
        self,
        preview: ApplyPreview,
        *,
        on_event: Callable[[ApplyEvent], None] | None = None,
        should_stop: StopCheck | None = None,
    ) -> ApplyReport: ...


@dataclass(slots=True)
class OrgScan:
    """An organisation scan: every account merged, the findings of all, per account a
    summary and its own inventory (``session.ScanResult`` is built from it)."""

    inventory: Inventory
    findings: list[Finding]
    accounts: list[AccountSummary]
    inventories: dict[str, Inventory]


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """One account of an organisation scan: read or not, and what was found in it."""

    account_id: str
    name: str = ""
    management: bool = False
    #: Why the account could not be read (one line), or None.
    error: str | None = None
    #: Findings per severity label.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def read(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "management": self.management,
            "read": self.read,
            "error": self.error,
            "findings": dict(self.counts),
        }


@dataclass(frozen=True, slots=True)
class AccountPreview:
    """One account's part of an organisation apply: its session and its preview."""

    account_id: str
    session: Session
    preview: ApplyPreview


@dataclass(frozen=True, slots=True)
class AccountApply:
    """How an organisation apply left one account.

    ``status``: ``applied``, ``unchanged`` (nothing needed writing), ``rolled back`` (a change
    failed; the account's changes were undone), ``failed`` (a change failed and not everything
    could be restored, or the account could not be reached), ``refused`` (nothing written), or
    ``untouched`` (an earlier account failed, so this one was not started).
    """

    account_id: str
    status: str
    report: ApplyReport | None = None
    error: str | None = None


@dataclass(slots=True)
class OrgApplyReport:
    """An organisation apply, account by account, in the order they were applied."""

    accounts: list[AccountApply] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(a.status in ("applied", "unchanged") for a in self.accounts)


def scan_organization(
    session: Session,
    on_progress: Callable[[Progress], None] | None,
    should_stop: StopCheck | None,
    pause_gc: bool,
) -> OrgScan:
    """Every account read concurrently, then checked on its own (a check never mixes
    two accounts' resources); the findings of all, most severe first."""
    from remediations.checks.run import run_checks

    assert isinstance(session.source, OrgSource)
    org = load_organization(session.source, on_progress=on_progress, should_stop=should_stop)
    findings: list[Finding] = []
    summaries: list[AccountSummary] = []
    inventories: dict[str, Inventory] = {}
    for result in org.accounts:
        account = result.account
        if result.inventory is None:
            summaries.append(
                AccountSummary(account.account_id, account.name, account.management, result.error)
            )
            continue
        found = run_checks(
            result.inventory, session.settings, should_stop=should_stop, pause_gc=pause_gc
        )
        inventories[account.account_id] = result.inventory
        counts: dict[str, int] = {}
        for finding in found:
            counts[finding.severity.label] = counts.get(finding.severity.label, 0) + 1
        summaries.append(
            AccountSummary(account.account_id, account.name, account.management, None, counts)
        )
        findings.extend(found)
    findings.sort(key=lambda f: f.sort_key)
    return OrgScan(org.merged(session.label), findings, summaries, inventories)


def plan_organization(
    session: Session,
    result: OrgScan | Any,
    chosen: Sequence[Finding],
    values: Any,
    repair_broken: bool = False,
) -> Plan:
    """One plan over the organisation: each account's fixes proposed from that account
    alone, grouped by account (``Plan.accounts``), changes numbered across the plan."""
    from remediations.plan import build_plan
    from remediations.proposals import propose

    assert isinstance(session.source, OrgSource)
    merged = Plan(
        source=session.label,
        account_id=None,
        accounts=[a.account_id for a in result.accounts if a.read],
    )
    for account in merged.accounts:
        inventory = result.inventories[account]
        mine = [f for f in chosen if f.account_id == account]
        proposals = propose(inventory, mine, session.settings, values, repair_broken=repair_broken)
        plan = build_plan(inventory, proposals)
        session.member(account)._mark_managed(plan, inventory)
        merged.changes.extend(plan.changes)
        merged.needs_input.extend(plan.needs_input)
        merged.not_fixable.extend(plan.not_fixable)
    for number, change in enumerate(merged.changes, start=1):
        change.id = f"c{number}"
    return merged


def preview_organization(
    session: Session, plan: Plan, *, phases: Sequence[int] = (1,), label: str = ""
) -> list[AccountPreview]:
    """The apply of an organisation plan, one preview per account it changes, in the
    plan's account order; nothing is written.

    Raises:
        ApplyError: a plan of one account, or an account that cannot be read or refuses
            the plan (the message names the account).
    """
    if not plan.accounts:
        raise ApplyError("this plan is of one account; apply it without --org")
    previews = []
    for account, _changes in plan.changes_by_account().items():
        member = session.member(account)
        part = plan.for_account(account, member.label)
        try:
            preview = member.preview(part, phases=phases, label=label)
        except RafixError as exc:
            # Same kind of error (bad input exits 2, a refused apply 1), naming the account.
            kind = InputError if isinstance(exc, InputError) else ApplyError
            raise kind(f"account {account}: {exc}; nothing was written") from None
        previews.append(AccountPreview(account, member, preview))
    return previews


def execute_organization(
    previews: Sequence[AccountPreview],
    *,
    on_account: Callable[[str], None] | None = None,
    on_event: Callable[[ApplyEvent], None] | None = None,
    should_stop: StopCheck | None = None,
) -> OrgApplyReport:
    """Apply each account's preview in turn: snapshot, apply, verify. When an account
    fails, its own changes are rolled back (its report says so) and the accounts after
    it are left untouched.

    Confirm with the user before calling this.
    """
    report = OrgApplyReport()
    stopped = False
    for item in previews:
        if stopped:
            report.accounts.append(AccountApply(item.account_id, "untouched"))
            continue
        if on_account is not None:
            on_account(item.account_id)
        try:
            done = item.session.execute(item.preview, on_event=on_event, should_stop=should_stop)
        except RafixError as exc:
            report.accounts.append(AccountApply(item.account_id, "failed", None, str(exc)))
            stopped = True
            continue
        if done.ok:
            status = "applied" if done.outcome is not Outcome.NOTHING else "unchanged"
            report.accounts.append(AccountApply(item.account_id, status, done))
            continue
        status = {
            Outcome.ROLLED_BACK: "rolled back",
            Outcome.REFUSED: "refused",
        }.get(done.outcome, "failed")
        report.accounts.append(AccountApply(item.account_id, status, done, done.error))
        stopped = True
    return report


def organization_snapshots(session: Session) -> list[SnapshotInfo]:
    """Every account's snapshots (each names its ``account_id``), newest first."""
    assert isinstance(session.source, OrgSource)
    infos = [info for store in organization_stores(session).values() for info in store.infos()]
    wanted = set(session.source.accounts)
    if wanted:
        infos = [i for i in infos if i.account_id is None or i.account_id in wanted]
    return sorted(infos, key=lambda i: i.id, reverse=True)


def organization_stores(session: Session) -> dict[str, SnapshotStore]:
    """Account ID (or "" for the one store a live organisation shares) -> its store."""
    assert isinstance(session.source, OrgSource)
    base = session.source.base
    if isinstance(base, SandboxSource):
        from remediations.sources.sandbox.organization import is_organization, read_org

        if is_organization(base.directory):
            org = read_org(base.directory)
            ids = session.source.accounts or (org.management_account_id, *org.accounts)
            return {a: snapshot_store(session.source.member(a)) for a in ids}
    return {"": session.store}


def snapshot_account(session: Session, snapshot_id: str) -> str:
    """The account a snapshot of this organisation belongs to.

    Raises:
        SnapshotError: no account of the organisation has it (or it is damaged).
    """
    from remediations.apply.snapshots import SnapshotError

    if not isinstance(session.source, OrgSource):
        raise InputError("this needs --org or --account ID")
    for account, store in organization_stores(session).items():
        try:
            snapshot = store.load(snapshot_id)
        except SnapshotError:
            continue
        found = account or str(getattr(snapshot, "account_id", "") or "")
        if found:
            return found
    raise SnapshotError(f"{snapshot_id}: no account of the organisation has this snapshot")

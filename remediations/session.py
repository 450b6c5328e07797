"""The facade every front end drives: scan, plan, preview, execute, snapshots, rollback, export.

A :class:`Session` holds one account :data:`~remediations.source.Source` and the settings; every
method takes and returns plain typed data. Methods may run in a worker thread: long ones take
``on_progress`` / ``on_event`` callbacks (called from that thread, or from reader threads for
a live load) and ``should_stop`` (polled between steps; stopping raises
:class:`~remediations.errors.Cancelled`). Nothing here changes process-wide state.

Writing is two steps: :meth:`Session.preview` (or :meth:`Session.preview_rollback`) reads the
account and shows the exact calls; the front end asks the user; :meth:`Session.execute` writes.
Each method opens the account and closes it again (a sandbox saves on close), so a session can
be kept for as long as a front end likes.

Example (see ``docs/API.md``)::

    session = Session(SandboxSource(Path("./sb")))
    plan = session.plan(answers=[Answer(None, "cn", "app.prod")])
    preview = session.preview(plan)
    report = session.execute(preview, on_event=print)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remediations.catalog import CATALOG
from remediations.errors import ApplyError, InputError, RafixError
from remediations.facade_types import facade_attribute
from remediations.findings import Finding
from remediations.model import Inventory, SourceWarning
from remediations.progress import Progress, StopCheck
from remediations.selection import Selection, SuppressedFinding
from remediations.selection import select_findings as apply_selection
from remediations.settings import Settings
from remediations.source import (
    LiveSource,
    MemberSource,
    OrgSource,
    SandboxSource,
    Source,
    source_label,
    writable,
)
from remediations.sources.opening import load_inventory, load_organization, open_account

if TYPE_CHECKING:  # imported where used: a scan starts without them (see facade_types)
    from remediations.access import AccessMap, CertificateQuery
    from remediations.answers import Answer, Question
    from remediations.apply.results import ApplyEvent, ApplyPreview, ApplyReport
    from remediations.apply.snapshots import SnapshotInfo, SnapshotStore
    from remediations.onboarding import Onboarding, OnboardRequest
    from remediations.org_facade import AccountApply, AccountPreview, AccountSummary, OrgApplyReport
    from remediations.plan import Plan
    from remediations.sources.organization import OrgInventory

__getattr__ = facade_attribute  # the types of ``__all__`` below, imported on first use


@dataclass(slots=True)
class ScanResult:
    """What a scan saw and found. ``accounts`` lists each account of an organisation scan
    (empty for one account)."""

    inventory: Inventory
    findings: list[Finding] = field(default_factory=list)
    accounts: list[AccountSummary] = field(default_factory=list)
    #: Each account's own inventory (organisation scans), for plans per account.
    inventories: dict[str, Inventory] = field(default_factory=dict)

    @property
    def warnings(self) -> list[SourceWarning]:
        """What could not be read (the scan went on without it)."""
        return self.inventory.warnings


def select_findings(
    findings: Sequence[Finding], ids: Sequence[str] = (), arns: Sequence[str] = ()
) -> list[Finding]:
    """The findings with one of ``ids`` and on one of ``arns`` (all when a list is empty)."""
    id_set, arn_set = set(ids), set(arns)
    return [
        f
        for f in findings
        if (not id_set or f.id in id_set) and (not arn_set or f.resource_arn in arn_set)
    ]


class Session:
    """One account as a front end sees it.

    Args:
        source: Where the account comes from.
        settings: Thresholds, approved CAs, naming patterns (default: built-in settings).
        read_only: Refuse every write: previews are marked read-only and ``execute`` returns
            ``Outcome.REFUSED`` without writing.
    """

    def __init__(
        self, source: Source, *, settings: Settings | None = None, read_only: bool = False
    ) -> None:
        self.source = source
        self.settings = settings or Settings()
        self.read_only = read_only
        #: The inventory ``access`` last analysed, and the analyses it keeps for the next call.
        self._access_context: tuple[Inventory, Any] | None = None

    @property
    def label(self) -> str:
        """``files``, ``sandbox:/abs/dir`` or ``live``."""
        return source_label(self.source)

    @property
    def store(self) -> SnapshotStore:
        """The account's snapshot store."""
        from remediations.apply.snapshots import snapshot_store

        return snapshot_store(self.source)

    # --- reading ---------------------------------------------------------------------------

    def load(
        self,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: StopCheck | None = None,
    ) -> Inventory:
        """Read the account (progress per region and API list for a live or sandbox source)."""
        return load_inventory(
            self.source,
            on_progress=on_progress,
            should_stop=should_stop,
            limits=self.settings.input_limits(),
        )

    def scan(
        self,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: StopCheck | None = None,
        pause_gc: bool = False,
    ) -> ScanResult:
        """Read the account and run every check.

        Args:
            pause_gc: Pause Python's cyclic garbage collector during the checks (faster;
                process-wide, so only for a one-shot process such as the CLI).
        """
        from remediations.checks.run import run_checks

        if isinstance(self.source, OrgSource):
            from remediations import org_facade

            org = org_facade.scan_organization(self, on_progress, should_stop, pause_gc)
            return ScanResult(org.inventory, org.findings, org.accounts, org.inventories)
        inventory = self.load(on_progress=on_progress, should_stop=should_stop)
        findings = run_checks(
            inventory,
            self.settings,
            on_progress=on_progress,
            should_stop=should_stop,
            pause_gc=pause_gc,
        )
        return ScanResult(inventory, findings)

    # --- planning --------------------------------------------------------------------------

    def plan(
        self,
        *,
        findings: Sequence[str] = (),
        resources: Sequence[str] = (),
        answers: Sequence[Answer] = (),
        scan: ScanResult | None = None,
        repair_broken: bool = False,
        include_suppressed: bool = False,
    ) -> Plan:
        """The fixes for the findings (all, or those with an ID in ``findings`` and on a
        resource in ``resources``), using ``answers`` for what only the user knows.

        Findings that an active suppression of the settings accepts are not planned (they are
        listed in ``plan.suppressed``) unless ``include_suppressed``.
        The plan's ``questions`` say what else it needs; plan again with more answers.
        Nothing is written. With ``repair_broken``, roles no certificate can use today are
        repaired too (each change says which certificates gain access); the plan records it.

        Raises:
            InputError: an unknown finding ID, or an answer with an unknown key or no value.
        """
        from remediations.plan import build_plan
        from remediations.proposals import propose

        unknown = [i for i in findings if i not in CATALOG]
        if unknown:
            raise InputError(f"--finding {unknown[0]}: unknown finding ID")
        from remediations.answers import check_anchor_answers, values_from_answers

        values = values_from_answers(answers)
        result = scan if scan is not None else self.scan()
        check_anchor_answers(values, result.inventory)
        chosen = select_findings(result.findings, findings, resources)
        accepted: list[SuppressedFinding] = []
        if not include_suppressed and self.settings.suppress:
            picked = apply_selection(chosen, Selection(suppressions=self.settings.suppress))
            chosen, accepted = picked.findings, picked.suppressed
        if isinstance(self.source, OrgSource):
            from remediations import org_facade

            plan = org_facade.plan_organization(self, result, chosen, values, repair_broken)
        else:
            proposals = propose(
                result.inventory, chosen, self.settings, values, repair_broken=repair_broken
            )
            plan = build_plan(result.inventory, proposals)
            self._mark_managed(plan, result.inventory)
        plan.repair_broken = repair_broken
        plan.suppressed = [
            {
                "id": a.finding.id,
                "resource_arn": a.finding.resource_arn,
                "reason": a.suppression.reason,
            }
            for a in accepted
        ]
        return plan

    def member(self, account_id: str) -> Session:
        """The session of one account of this organisation (through ``--assume-role``)."""
        if not isinstance(self.source, OrgSource):
            raise InputError("one account of an organisation needs --org or --account ID")
        return Session(
            self.source.member(account_id), settings=self.settings, read_only=self.read_only
        )

    def _mark_managed(self, plan: Plan, inventory: Inventory) -> None:
        """Read the tags of the Roles Anywhere resources the plan changes (a scan does not
        read them) and mark the changes managed by CloudFormation or Terraform."""
        from remediations.plan import mark_managed
        from remediations.sources.tags import read_resource_tags

        arns = [c.resource_arn for c in plan.changes if c.resource_type != "role"]
        if not arns or not writable(self.source):
            return
        if isinstance(self.source, OrgSource | MemberSource):
            from remediations.sources.aws import read_tags

            with open_account(self.source) as account:
                read_tags(account, inventory, arns)
        elif isinstance(self.source, SandboxSource):
            read_resource_tags(inventory, arns, sandbox=self.source.directory)
        elif isinstance(self.source, LiveSource):
            read_resource_tags(
                inventory, arns, profile=self.source.profile, endpoint_url=self.source.endpoint_url
            )
        mark_managed(plan, inventory)

    def onboard(self, request: OnboardRequest, *, inventory: Inventory | None = None) -> Onboarding:
        """The plan that onboards a new workload (its role, its team's profile), as an
        ordinary plan for :meth:`preview` and :meth:`execute`; nothing is written.

        ``onboarding.already_onboarded`` says the account already holds exactly what it makes.

        Raises:
            InputError: a name breaks the naming convention, a name is taken by something
                else, the trust anchor is disabled or elsewhere, a service is unknown.
        """
        from remediations.onboarding import check_request, plan_onboarding

        check_request(request, self.settings)  # refused before the account is read
        return plan_onboarding(
            request, inventory if inventory is not None else self.load(), self.settings
        )

    def render_code(
        self,
        plan: Plan,
        fmt: str,
        *,
        title: str = "rafix fixes",
        out: Path | str | None = None,
    ) -> str:
        """``plan`` as code: ``fmt`` is ``terraform`` (HCL) or ``cloudformation`` (YAML).

        Args:
            out: Also write it to this file, as ``rafix plan --format FMT -o FILE`` does.

        Raises:
            InputError: an unknown format, or ``out`` cannot be written (nothing changed there).
        """
        from remediations.files import write_output
        from remediations.iac import render_cloudformation, render_terraform

        if fmt == "terraform":
            text = render_terraform(plan, title=title)
        elif fmt == "cloudformation":
            text = render_cloudformation(plan, title=title)
        else:
            raise InputError(f"unknown code format {fmt!r}: terraform or cloudformation")
        if out is not None:
            write_output(out, text, what=f"the {fmt} output")
        return text

    # --- writing ---------------------------------------------------------------------------

    def preview(self, plan: Plan, *, phases: Sequence[int] = (1,), label: str = "") -> ApplyPreview:
        """What applying ``plan`` (the changes of ``phases``) would do; nothing is written.

        Args:
            label: How the snapshot names the plan (e.g. its file); default ``plan``.

        Raises:
            ApplyError: the plan cannot be applied here (offline files, another account,
                damaged, an earlier phase missing) or the account cannot be read.
        """
        from remediations.apply.executor import Executor
        from remediations.apply.preview import preview_apply

        with open_account(self.source) as account:
            return preview_apply(
                plan,
                Executor(account),
                self.store,
                phases=phases,
                label=label,
                source=self.label,
                account_id=_account_id(account),
                read_only=self.read_only,
            )

    def execute(
        self,
        preview: ApplyPreview,
        *,
        on_event: Callable[[ApplyEvent], None] | None = None,
        should_stop: StopCheck | None = None,
    ) -> ApplyReport:
        """Apply what ``preview`` shows: snapshot, apply, verify, roll back on failure.

        Confirm with the user before calling this. A read-only session, or a preview that is
        refused (stale), returns ``Outcome.REFUSED`` having written nothing.

        Raises:
            Cancelled: ``should_stop`` was True before the first write (after it, what was
                applied is rolled back and the report says so).
        """
        from remediations.apply.execute import execute
        from remediations.apply.executor import Executor

        if not preview.steps or self.read_only or preview.read_only or preview.refused:
            # Refusals and no-ops need no account (and a read-only session opens none to write).
            return execute(preview, None, self.store)
        with open_account(self.source, write=True) as account:
            account_id = _account_id(account)
            if preview.account_id and account_id and preview.account_id != account_id:
                raise ApplyError(
                    f"this preview was made for account {preview.account_id}, but the "
                    f"credentials reach account {account_id}; nothing was written"
                )
            executor = Executor(account, read_only=False)
            return execute(
                preview, executor, self.store, on_event=on_event, should_stop=should_stop
            )

    def preview_organization(
        self, plan: Plan, *, phases: Sequence[int] = (1,), label: str = ""
    ) -> list[AccountPreview]:
        """The apply of an organisation plan, one preview per account it changes, in the
        plan's account order; nothing is written.

        Raises:
            ApplyError: a plan of one account, or an account that refuses the plan.
            InputError: an account that cannot be reached (each message names the account).
        """
        from remediations import org_facade

        return org_facade.preview_organization(self, plan, phases=phases, label=label)

    def execute_organization(
        self,
        previews: Sequence[AccountPreview],
        *,
        on_account: Callable[[str], None] | None = None,
        on_event: Callable[[ApplyEvent], None] | None = None,
        should_stop: StopCheck | None = None,
    ) -> OrgApplyReport:
        """Apply each account's preview in turn: snapshot, apply, verify. When an account
        fails, its own changes are rolled back (its report says so) and the accounts after
        it are left untouched. Confirm with the user before calling this."""
        from remediations import org_facade

        return org_facade.execute_organization(
            previews, on_account=on_account, on_event=on_event, should_stop=should_stop
        )

    def snapshots(self) -> list[SnapshotInfo]:
        """The account's snapshots, newest first; damaged ones are listed as damaged. For an
        organisation: every account's (each names its ``account_id``), newest first."""
        if isinstance(self.source, OrgSource):
            from remediations import org_facade

            return org_facade.organization_snapshots(self)
        return self.store.infos()

    def snapshot_account(self, snapshot_id: str) -> str:
        """The account a snapshot of this organisation belongs to.

        Raises:
            SnapshotError: no account of the organisation has it (or it is damaged).
        """
        from remediations import org_facade

        return org_facade.snapshot_account(self, snapshot_id)

    def preview_rollback(self, snapshot_id: str, *, force: bool = False) -> ApplyPreview:
        """The restore of a snapshot, as a preview for :meth:`execute`; nothing is written.

        Raises:
            SnapshotError: the snapshot is missing or damaged (checked before connecting).
            ApplyError: a resource changed since (unless ``force``), is gone, or the snapshot
                is of another account.
        """
        from remediations.apply.executor import Executor
        from remediations.apply.rollback import preview_rollback

        store = self.store
        store.load(snapshot_id)  # a missing or damaged snapshot is refused before connecting
        with open_account(self.source) as account:
            return preview_rollback(
                snapshot_id,
                Executor(account),
                store,
                force=force,
                source=self.label,
                account_id=_account_id(account),
                read_only=self.read_only,
            )

    def access(
        self,
        *,
        roles: Sequence[str] = (),
        query: CertificateQuery | None = None,
        inventory: Inventory | None = None,
        through: Sequence[str] = (),
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: StopCheck | None = None,
    ) -> AccessMap:
        """Who can assume each role that trusts Roles Anywhere: every path CA -> trust anchor
        -> profile -> role with the certificate constraints it enforces (``remediations.access``).

        Args:
            roles: Only these roles (ARNs or names); default every role that trusts the service.
            query: The reverse question: the map's ``matches`` list the roles this certificate
                reaches (build it with ``CertificateQuery(subject=parse_dn("CN=..."))`` or
                ``query_from_certificate(pem_bytes)``).
            inventory: An inventory already read (e.g. ``ScanResult.inventory``); default: read
                the account. Asked again with the same inventory, the analyses of the first
                call are reused (the app asks once per finding it shows).
            through: Only the paths through these profiles or trust anchors (ARNs), and the
                roles that have one: the roles a profile lets in, or every role an anchor's
                certificates reach. Role chaining (``chains_to``) is not worked out then.
        """
        from remediations.access.build import build_access_map, keep_paths_through, roles_through
        from remediations.checks.context import ScanContext

        if inventory is None:
            inventory = self.load(on_progress=on_progress, should_stop=should_stop)
        memo = self._access_context
        if memo is None or memo[0] is not inventory:
            memo = self._access_context = (inventory, ScanContext(inventory))
        context = memo[1]
        if not through:
            return build_access_map(inventory, roles=roles, query=query, context=context)
        candidates = list(roles) or roles_through(context, through)
        if not candidates:
            from remediations.access import AccessMap

            return AccessMap([], {}, query=query)
        access = build_access_map(
            inventory, roles=candidates, query=query, context=context, chains=False
        )
        return keep_paths_through(access, through)

    # --- files -----------------------------------------------------------------------------

    def load_organization(
        self,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: StopCheck | None = None,
    ) -> OrgInventory:
        """Read every account of an organisation source, each on its own (progress: one step
        per account); an unreadable account is an ``AccountResult`` with its ``error``.

        Raises:
            InputError: the source is one account, not an organisation.
        """
        if not isinstance(self.source, OrgSource):
            raise InputError("this reads several accounts: give --org or --account ID")
        return load_organization(self.source, on_progress=on_progress, should_stop=should_stop)

    def export_organization(self, out_dir: Path | str, org: OrgInventory) -> list[Path]:
        """Write each account read into ``out_dir/ACCOUNT_ID/`` (the ``--from-file`` formats)
        and ``out_dir/organization.json`` (the accounts, their names, which could not be
        read), so that ``--from-file out_dir`` reads the organisation back."""
        from remediations.sources.export import export_organization

        return export_organization(org, out_dir)

    def export(self, out_dir: Path | str, *, inventory: Inventory | None = None) -> list[Path]:
        """Write the account in the ``--from-file`` formats (``iam.json``, ``anchors.json``,
        ...) into ``out_dir``; returns the files written."""
        from remediations.sources.export import export_inventory

        return export_inventory(inventory if inventory is not None else self.load(), out_dir)


def _account_id(account: Any) -> str | None:
    try:
        return str(account.account_id)
    except RafixError:
        raise
    except Exception as exc:  # botocore errors: no credentials, no endpoint
        raise ApplyError(f"cannot tell which account the credentials reach: {exc}") from None


#: The typed values a front end meets, importable from the facade itself.
__all__ = [
    "AccessMap",
    "AccountApply",
    "AccountPreview",
    "AccountSummary",
    "Answer",
    "ApplyEvent",
    "ApplyPreview",
    "ApplyReport",
    "CertificateQuery",
    "MemberSource",
    "OrgApplyReport",
    "OrgInventory",
    "OrgSource",
    "Progress",
    "Question",
    "ScanResult",
    "Session",
    "select_findings",
]

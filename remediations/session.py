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
from typing import Any

from remediations.answers import Answer, Question, anchor_problem, values_from_answers
from remediations.apply import ApplyEvent, ApplyPreview, ApplyReport
from remediations.catalog import CATALOG
from remediations.errors import ApplyError, InputError, RafixError
from remediations.findings import Finding
from remediations.model import Inventory, SourceWarning
from remediations.plan import Plan
from remediations.progress import Progress, StopCheck
from remediations.settings import Settings
from remediations.snapshots import SnapshotInfo, SnapshotStore
from remediations.source import (
    FilesSource,
    SandboxSource,
    Source,
    load_inventory,
    open_account,
    snapshot_store,
    source_label,
)
from remediations.textsafe import shown


@dataclass(slots=True)
class ScanResult:
    """What a scan saw and found."""

    inventory: Inventory
    findings: list[Finding] = field(default_factory=list)

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

    @property
    def label(self) -> str:
        """``files``, ``sandbox:/abs/dir`` or ``live``."""
        return source_label(self.source)

    @property
    def store(self) -> SnapshotStore:
        """The account's snapshot store."""
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
        from remediations.scan import run_checks

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
    ) -> Plan:
        """The fixes for the findings (all, or those with an ID in ``findings`` and on a
        resource in ``resources``), using ``answers`` for what only the user knows.

        The plan's ``questions`` say what else it needs; plan again with more answers.
        Nothing is written.

        Raises:
            InputError: an unknown finding ID, or an answer with an unknown key or no value.
        """
        from remediations.plan import build_plan
        from remediations.proposals import propose

        unknown = [i for i in findings if i not in CATALOG]
        if unknown:
            raise InputError(f"--finding {unknown[0]}: unknown finding ID")
        values = values_from_answers(answers)
        result = scan if scan is not None else self.scan()
        _check_anchor_answers(values, result.inventory)
        chosen = select_findings(result.findings, findings, resources)
        plan = build_plan(
            result.inventory, propose(result.inventory, chosen, self.settings, values)
        )
        self._mark_managed(plan, result.inventory)
        return plan

    def _mark_managed(self, plan: Plan, inventory: Inventory) -> None:
        """Read the tags of the Roles Anywhere resources the plan changes (a scan does not
        read them) and mark the changes managed by CloudFormation or Terraform."""
        from remediations.plan import mark_managed
        from remediations.sources.tags import read_resource_tags

        arns = [c.resource_arn for c in plan.changes if c.resource_type != "role"]
        if not arns or isinstance(self.source, FilesSource):
            return
        if isinstance(self.source, SandboxSource):
            read_resource_tags(inventory, arns, sandbox=self.source.directory)
        else:
            read_resource_tags(
                inventory, arns, profile=self.source.profile, endpoint_url=self.source.endpoint_url
            )
        mark_managed(plan, inventory)

    # --- writing ---------------------------------------------------------------------------

    def preview(self, plan: Plan, *, phases: Sequence[int] = (1,), label: str = "") -> ApplyPreview:
        """What applying ``plan`` (the changes of ``phases``) would do; nothing is written.

        Args:
            label: How the snapshot names the plan (e.g. its file); default ``plan``.

        Raises:
            ApplyError: the plan cannot be applied here (offline files, another account,
                damaged, an earlier phase missing) or the account cannot be read.
        """
        from remediations.apply import preview_apply
        from remediations.executor import Executor

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
        from remediations.apply import execute
        from remediations.executor import Executor

        if not preview.steps or self.read_only or preview.read_only or preview.refused:
            # Refusals and no-ops need no account (and a read-only session opens none to write).
            return execute(preview, None, self.store)
        with open_account(self.source) as account:
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

    def snapshots(self) -> list[SnapshotInfo]:
        """The account's snapshots, newest first; damaged ones are listed as damaged."""
        return self.store.infos()

    def preview_rollback(self, snapshot_id: str, *, force: bool = False) -> ApplyPreview:
        """The restore of a snapshot, as a preview for :meth:`execute`; nothing is written.

        Raises:
            SnapshotError: the snapshot is missing or damaged (checked before connecting).
            ApplyError: a resource changed since (unless ``force``), is gone, or the snapshot
                is of another account.
        """
        from remediations.apply import preview_rollback
        from remediations.executor import Executor

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

    # --- files -----------------------------------------------------------------------------

    def export(self, out_dir: Path | str, *, inventory: Inventory | None = None) -> list[Path]:
        """Write the account in the ``--from-file`` formats (``iam.json``, ``anchors.json``,
        ...) into ``out_dir``; returns the files written."""
        from remediations.sources.export import export_inventory

        return export_inventory(inventory if inventory is not None else self.load(), out_dir)


def _check_anchor_answers(values: dict[str, str], inventory: Inventory) -> None:
    """Every trust anchor ARN given is one of this account and of a region read (and, when
    the account's Roles Anywhere resources were read, one that exists).

    Raises:
        InputError: naming the answer and why its ARN does not belong here.
    """
    read = "rolesanywhere" in inventory.coverage
    for name, value in values.items():
        if name.rsplit(".", 1)[-1] != "trust_anchor_arn":
            continue
        for arn in (v.strip() for v in value.split(",") if v.strip()):
            problem = anchor_problem(
                arn,
                account_id=inventory.account_id,
                regions=inventory.regions if read else (),
                known=inventory.trust_anchors if read else None,
            )
            if problem:
                raise InputError(f"--set {shown(name, limit=80)}: {shown(problem)}")


def _account_id(account: Any) -> str | None:
    try:
        return str(account.account_id)
    except RafixError:
        raise
    except Exception as exc:  # botocore errors: no credentials, no endpoint
        raise ApplyError(f"cannot tell which account the credentials reach: {exc}") from None


#: The typed values a front end meets, importable from the facade itself.
__all__ = [
    "Answer",
    "ApplyEvent",
    "ApplyPreview",
    "ApplyReport",
    "Progress",
    "Question",
    "ScanResult",
    "Session",
    "select_findings",
]

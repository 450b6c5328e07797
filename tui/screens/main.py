"""The main screen: findings table beside the detail of the finding under the cursor."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from remediations.findings import Finding, Severity
from remediations.progress import Progress, Stage
from remediations.session import ScanResult
from tui.errors import advise
from tui.messages import LoadProgressed
from tui.query import IncrementalFilter, Row, make_row
from tui.screens import rafix_app
from tui.view import SORT_KEYS, GroupHeader, arrange, severity_counts, sort_order
from tui.widgets.detail import (
    ACCESS_TITLES,
    DetailPane,
    access_content,
    access_kind,
    finding_content,
    group_content,
    policy_of,
    through_content,
)
from tui.widgets.findings_table import FindingsTable
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app import RafixApp

#: Terminals narrower than this stack the detail pane under the table.
WIDE = 140


class ErrorPanel(Vertical, can_focus=True):
    """Why the account could not be read and what to do; its keys act on it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "screen.reload", "Retry", id="retry", tooltip="Read the account again"),
        Binding("d", "app.demo", "Open the demo", id="open_demo", tooltip="Open the demo account"),
    ]


class MainScreen(Screen[None]):
    #: Not the (hidden) filter field: keys typed while loading must reach the bindings.
    AUTO_FOCUS = "#findings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="Filter: words, sev:high, id:RA-TRUST-*, !word",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
        Binding("s", "sort", "Sort", id="sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", show=False, id="reverse"),
        Binding("g", "group", "Group", id="group", tooltip="Group the findings by resource"),
        Binding("p", "plan", "Plan", id="plan", tooltip="Plan fixes for the marked findings"),
        Binding("S", "snapshots", "Snapshots", id="snapshots", tooltip="Snapshots and rollback"),
        Binding(
            "A",
            "access",
            "Access",
            id="access",
            tooltip="Who can assume each role (and which roles a certificate can assume)",
        ),
        Binding("c", "copy_arn", "Copy ARN", show=False, id="copy_arn"),
        Binding("C", "copy_policy", "Copy policy", show=False, id="copy_policy"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="reload"),
        Binding("x", "cancel_load", "Cancel loading", show=False, id="cancel_load"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self._matcher = IncrementalFilter(self.rows)
        self._names: dict[str, str] = {}
        #: Who can assume each role, as far as it was asked (the access map of the core).
        self._access: dict[str, Content] = {}
        self._access_timer: Timer | None = None
        #: Whether the core's access analyses of this scan were frozen out of the GC.
        self._access_frozen = False
        #: What the detail pane shows (a finding, a group header), to skip showing it again.
        self._detail_target: object = None
        self.sort_key = "severity"
        self.sort_reverse = False
        self.grouped = False
        self.loaded = False
        self._order: list[int] = []
        self._progress: list[str] = []

    @property
    def rafix(self) -> RafixApp:
        return rafix_app(self)

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar", markup=False)
        if self.rafix.session.read_only:
            yield Static(
                "READ-ONLY: rafix will not change this account (no apply is offered)",
                id="read-only-banner",
                markup=False,
            )
        # In a box of fixed size: the field lays itself out again on every keystroke (its
        # text's width), and a fixed-size parent keeps that layout from spreading to the
        # whole screen.
        with Container(id="filter-box"):
            yield Input(
                placeholder="filter: words  sev:high+  id:RA-TRUST-*  region:eu-west-1  !word",
                id="filter",
            )
        with Horizontal(id="body"):
            with Vertical(id="table-panel"):
                yield FindingsTable(id="findings")
                yield Static(id="warnings-bar", markup=False)
                yield StatusLine(id="counts")
            yield DetailPane(id="detail")
        with Vertical(id="loading"):
            yield Static("Reading the account…", id="loading-title", markup=False)
            yield ProgressBar(id="loading-bar", show_eta=False)
            yield Static(id="loading-log", markup=False)
            yield Static("x: cancel · q: quit", id="loading-help", markup=False)
        with ErrorPanel(id="error-panel"):
            yield Static(id="error-title", markup=False)
            yield Static(id="error-message", markup=False)
            yield Static(id="error-todo", markup=False)
            yield Static(id="error-keys", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        # The detail pane and the table follow the cursor and the filter field in the same
        # handler as the key that moved them (watchers run synchronously), so the frame that
        # shows the key's effect shows all of it. Messages (FindingsTable.Highlighted,
        # Input.Changed) would reach this screen after Textual had drawn a first frame with
        # only the table's cursor line or the typed character, and the rest one frame tick
        # (17 to 33 ms) later.
        self.watch(self.query_one(FindingsTable), "cursor", self._cursor_moved, init=False)
        self.watch(self.query_one("#filter", Input), "value", self._filter_changed, init=False)
        self.query_one("#filter-box").display = False
        self.query_one("#error-panel").display = False
        self.query_one("#warnings-bar").display = False
        self._update_title()
        self.load()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < WIDE, "-narrow")

    # --- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        gc.unfreeze()  # the last scan's objects (see _show_scan) can be collected again
        self.loaded = False
        self.refresh_bindings()
        self._progress = []
        self.query_one("#loading-title", Static).update("Reading the account…")
        self.query_one("#loading-bar", ProgressBar).update(total=None, progress=0)
        self.query_one("#loading").display = True
        self.query_one("#error-panel").display = False
        self.query_one("#loading-log", Static).update("")
        self._scan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load", name="load")
    def _scan(self) -> Any:
        worker = get_current_worker()

        def progress(event: Progress) -> None:
            self.post_message(LoadProgressed(event))

        return self.rafix.session.scan(
            on_progress=progress, should_stop=lambda: worker.is_cancelled
        )

    def on_load_progressed(self, message: LoadProgressed) -> None:
        p = message.progress
        reading = p.stage == Stage.LOAD
        what = "Reading the account" if reading else "Running the checks"
        self.query_one("#loading-title", Static).update(f"{what}… {p.done}/{p.total}")
        self.query_one("#loading-bar", ProgressBar).update(total=p.total, progress=p.done)
        if reading:  # one line per API list and region; checks are too many to list
            self._progress.append(f"✓ {p.step}")
            self.query_one("#loading-log", Static).update("\n".join(self._progress[-12:]))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "access":
            self._access_done(event)
            return
        if event.worker.group != "load":
            return
        if event.state == WorkerState.SUCCESS:
            result = event.worker.result
            assert isinstance(result, ScanResult)
            self._show_scan(result)
        elif event.state == WorkerState.ERROR:
            self._show_error(event.worker.error)
        elif event.state == WorkerState.CANCELLED:
            self.query_one("#loading").display = False
            self._show_cancelled()

    def action_cancel_load(self) -> None:
        self.workers.cancel_group(self, "load")

    def action_reload(self) -> None:
        self.load()

    def _show_cancelled(self) -> None:
        self._show_panel(
            "Loading cancelled",
            "Nothing was read; the account is unchanged.",
            "Press r to load again.",
        )

    def _show_error(self, error: BaseException | None) -> None:
        from remediations.errors import Cancelled

        if isinstance(error, Cancelled):
            self.query_one("#loading").display = False
            self._show_cancelled()
            return
        advice = advise(error or RuntimeError("unknown error"))
        self.query_one("#loading").display = False
        self._show_panel(advice.title, advice.message, advice.todo)

    def _show_panel(self, title: str, message: str, todo: str) -> None:
        self.query_one("#error-title", Static).update(title)
        self.query_one("#error-message", Static).update(message)
        self.query_one("#error-todo", Static).update(todo)
        keys = "r: retry · q: quit"
        if self.rafix.demo_factory is not None:
            keys = "d: open the demo account · " + keys
        self.query_one("#error-keys", Static).update(keys)
        self.query_one("#error-panel").display = True
        self.query_one("#error-panel").focus()

    def _show_scan(self, result: ScanResult) -> None:
        self.query_one("#loading").display = False
        self.query_one("#error-panel").display = False
        inventory = result.inventory
        warnings = list(result.warnings)
        if warnings and not (inventory.roles or inventory.trust_anchors or inventory.profiles):
            # Nothing could be read at all (every list denied): say why, as for an error.
            advice = advise(RuntimeError(str(warnings[0])))
            listed = "\n".join(f"• {w}" for w in warnings[:8])
            more = f"\n… and {len(warnings) - 8} more" if len(warnings) > 8 else ""
            self._show_panel(advice.title, listed + more, advice.todo)
            return
        self.rafix.scan_result = result
        self._access_frozen = False
        names = self._names = _display_names(inventory)
        self.rows = [make_row(f, names.get(f.resource_arn, "")) for f in result.findings]
        self._matcher = IncrementalFilter(self.rows)
        self._order = sort_order(self.rows, self.sort_key, self.sort_reverse)
        table = self.query_one(FindingsTable)
        table.set_rows(self.rows, self._entries())
        table.focus()
        self.loaded = True
        self.refresh_bindings()  # filter, sort, plan... are offered now
        self._update_title()
        self._update_counts()
        bar = self.query_one("#warnings-bar", Static)
        bar.display = bool(warnings)
        if warnings:
            bar.update(
                Content.assemble(
                    (f"⚠ {len(warnings)} part(s) of the account could not be read: ", "bold"),
                    str(warnings[0]),
                    (" (ctrl+p: warnings: every one)" if len(warnings) > 1 else "", "dim"),
                )
            )
        if not self.rows:
            self._show_detail(Content("No findings: nothing to fix in this account."))
        # The scan is most of the process's objects and lives until the next load: keep the
        # cyclic garbage collector from walking it again and again (a full collection over a
        # 10,000-role scan stops the app for about 0.3 s, in the middle of someone's typing).
        gc.freeze()

    def show_warnings(self) -> None:
        result = self.rafix.scan_result
        if result is None or not result.warnings:
            return
        self._show_detail(
            Content("\n").join(
                [Content.styled("What could not be read", "bold $warning")]
                + [Content(f"• {w}") for w in result.warnings]
            )
        )

    def _entries(self) -> list[Any]:
        query = self.query_one("#filter", Input).value
        return arrange(self.rows, self._order, query, self.grouped, matcher=self._matcher)

    def _refresh_table(self) -> None:
        table = self.query_one(FindingsTable)
        table.sort_label = self.sort_key
        table.show(self._entries())
        self._update_counts()

    def _update_title(self) -> None:
        session = self.rafix.session
        label = self.rafix.source_text
        account = ""
        result = self.rafix.scan_result
        if result is not None and result.inventory.account_id:
            account = f" · account {result.inventory.account_id}"
        mode = " · read-only" if session.read_only else ""
        self.query_one("#title-bar", Static).update(
            Content.assemble(("rafix", "bold $accent"), f" · {label}{account}{mode}")
        )

    def _update_counts(self) -> None:
        table = self.query_one(FindingsTable)
        counts = severity_counts(self.rows, table.entries)
        shown = sum(counts.values())
        parts: list[str | tuple[str, str]] = [f"{shown}/{len(self.rows)} findings  "]
        for severity in sorted(Severity, reverse=True):
            parts.append((f"{severity.label} {counts[severity]}", f"$sev-{severity.label}"))
            parts.append("  ")
        if table.marked:
            parts.append((f"● {len(table.marked)} marked", "bold"))
        query = self.query_one("#filter", Input).value.strip()
        if query:
            parts.append(f"  filter: {query}")
        self.query_one("#counts", StatusLine).update(Content.assemble(*parts))

    # --- table events ----------------------------------------------------------------------

    def _cursor_moved(self) -> None:
        table = self.query_one(FindingsTable)
        entry = table.current_entry
        finding = table.current_finding
        target = finding if finding is not None else entry
        if target is None or target is self._detail_target:
            return  # a filter keystroke that keeps the cursor's finding leaves the pane alone
        if finding is not None:
            self._show_detail(self.detail_of(finding), finding)
        elif isinstance(entry, GroupHeader):
            self._show_detail(group_content(entry), entry)

    def _show_detail(self, content: Content, target: object = None) -> None:
        """Show ``content`` in the detail pane; ``target`` is the finding or group it is of."""
        self._detail_target = target
        self.query_one(DetailPane).show(content)

    def detail_of(self, finding: Finding) -> Content:
        result = self.rafix.scan_result
        inventory = result.inventory if result is not None else None
        access: Content | None = None
        kind = access_kind(finding.resource_arn, inventory)
        if kind is not None:
            access = self._access.get(finding.resource_arn)
            if access is None:
                access = Content.styled("working out the paths…", "dim")
                self._want_access(finding.resource_arn)
        name = self._names.get(finding.resource_arn, "")
        return finding_content(
            finding,
            name=name,
            inventory=inventory,
            access=access,
            access_title=ACCESS_TITLES.get(kind or "role", ""),
        )

    def _want_access(self, arn: str) -> None:
        """Ask the core once the cursor rests (holding j must not start a read per line)."""
        if self._access_timer is not None:
            self._access_timer.stop()
        # The core wraps the paths at the pane's width, indenting what continues a line.
        width = max(self.query_one(DetailPane).scrollable_content_region.width, 40)
        self._access_timer = self.set_timer(0.15, partial(self._access_of, arn, width))

    @work(thread=True, exclusive=True, exit_on_error=False, group="access", name="access")
    def _access_of(self, arn: str, width: int = 200) -> tuple[str, Content]:
        """Who can assume the role, or which roles the profile or the trust anchor lets in:
        the core's access map for that one resource."""
        from remediations.render_access import render_access

        result = self.rafix.scan_result
        assert result is not None
        session, inventory = self.rafix.session, result.inventory
        if access_kind(arn, inventory) == "role":
            access = session.access(roles=[arn], inventory=inventory)
            return arn, access_content(render_access(access, "table", width=width))
        access = session.access(through=[arn], inventory=inventory)
        return arn, through_content(access, partial(render_access, width=width))

    def _access_done(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(
                f"Who can assume it: {event.worker.error}", severity="warning", markup=False
            )
            return
        if event.state != WorkerState.SUCCESS or event.worker.result is None:
            return
        role_arn, content = event.worker.result
        self._access[role_arn] = content
        if not self._access_frozen:
            # The first answer leaves the core's analyses of the account behind for the next
            # question (millions of objects on a large account): out of the cyclic
            # collector's walk, as the scan is. Once: later answers add little.
            gc.freeze()
            self._access_frozen = True
        finding = self.query_one(FindingsTable).current_finding
        if finding is not None and finding.resource_arn == role_arn:
            self._show_detail(self.detail_of(finding), finding)

    @on(FindingsTable.MarksChanged)
    def _marks_changed(self) -> None:
        self._update_counts()

    @on(FindingsTable.Opened)
    def _opened(self, event: FindingsTable.Opened) -> None:
        self.rafix.open_findings([event.finding])

    # --- filter ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#filter-box").display = True
        self.query_one("#filter", Input).focus()

    def _filter_changed(self) -> None:
        if self.loaded:
            self._refresh_table()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(FindingsTable).focus()
        if not self.query_one("#filter", Input).value.strip():
            self.query_one("#filter-box").display = False

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#filter-box").display = False
        self.query_one(FindingsTable).focus()

    def set_filter(self, text: str) -> None:
        self.query_one("#filter-box").display = bool(text)
        self.query_one("#filter", Input).value = text

    # --- view ------------------------------------------------------------------------------

    def action_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self._resort()
        self.notify(f"Sorted by {self.sort_key}", timeout=1.5)

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._resort()

    def _resort(self) -> None:
        self._order = sort_order(self.rows, self.sort_key, self.sort_reverse)
        self._refresh_table()

    def action_group(self) -> None:
        self.grouped = not self.grouped
        self._refresh_table()

    # --- actions on findings ---------------------------------------------------------------

    def selected_findings(self) -> list[Finding]:
        table = self.query_one(FindingsTable)
        if table.marked:
            return table.marked_findings
        finding = table.current_finding
        return [finding] if finding is not None else []

    def action_plan(self) -> None:
        findings = self.selected_findings()
        if findings:
            self.rafix.open_findings(findings)

    def action_snapshots(self) -> None:
        self.rafix.action_snapshots()

    def action_access(self) -> None:
        from tui.screens.access import AccessScreen

        self.app.push_screen(AccessScreen())

    def action_copy_arn(self) -> None:
        finding = self.query_one(FindingsTable).current_finding
        if finding is not None:
            self.app.copy_to_clipboard(finding.resource_arn)
            self.notify(f"Copied {finding.resource_arn}", markup=False)

    def action_copy_policy(self) -> None:
        finding = self.query_one(FindingsTable).current_finding
        result = self.rafix.scan_result
        found = policy_of(finding, result.inventory) if finding and result else None
        if found is None:
            self.notify("This resource has no policy to copy", severity="warning")
            return
        kind, document = found
        self.app.copy_to_clipboard(json.dumps(document, indent=2))
        self.notify(f"Copied the {kind}")

    def action_demo(self) -> None:
        self.rafix.switch_to_demo()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return self.rafix.demo_factory is not None
        if action in (
            "plan",
            "copy_arn",
            "copy_policy",
            "sort",
            "reverse",
            "group",
            "filter",
            "access",
        ):
            return self.loaded
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for the command palette, for what is on screen now."""
        commands: list[tuple[str, str, Callable[[], object]]] = []
        table = self.query_one(FindingsTable)
        finding = table.current_finding
        if self.loaded:
            if table.marked:
                commands.append(
                    (
                        f"plan: the {len(table.marked)} marked findings",
                        "Plan their fixes together",
                        self.action_plan,
                    )
                )
            if finding is not None:
                commands.append(
                    (
                        f"plan: {finding.id} on {_short(finding.resource_arn)}",
                        "Show the proposed fix",
                        self.action_plan,
                    )
                )
                commands.append(("copy: resource ARN", finding.resource_arn, self.action_copy_arn))
                commands.append(
                    (
                        "copy: policy document",
                        "The policy the finding is about",
                        self.action_copy_policy,
                    )
                )
            commands.append(
                (
                    "plan: every finding shown",
                    "Plan fixes for every finding in the table",
                    self._plan_all,
                )
            )
            for severity in ("critical", "high+", "medium+"):
                commands.append(
                    (
                        f"filter: sev:{severity}",
                        "Show only these severities",
                        partial(self.set_filter, f"sev:{severity}"),
                    )
                )
            commands.append(("view: group by resource", "Toggle grouping", self.action_group))
            commands.append(
                (
                    "view: who can assume each role",
                    "The access map: CA -> anchor -> profile -> role, and the reverse question",
                    self.action_access,
                )
            )
            commands.append(
                ("view: sort by the next column", "Cycle the sort column", self.action_sort)
            )
        result = self.rafix.scan_result
        if self.loaded and result is not None and result.warnings:
            commands.append(
                (
                    "warnings: what could not be read",
                    f"{len(result.warnings)} warning(s) of the last read",
                    self.show_warnings,
                )
            )
        commands.append(
            ("rollback: snapshots", "List snapshots and roll one back", self.action_snapshots)
        )
        commands.append(("reload: read the account again", "Scan again", self.action_reload))
        return commands

    def _plan_all(self) -> None:
        table = self.query_one(FindingsTable)
        findings = [self.rows[e].finding for e in table.entries if isinstance(e, int)]
        if findings:
            self.rafix.open_findings(findings)


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _display_names(inventory: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for store in (inventory.roles, inventory.trust_anchors, inventory.profiles, inventory.crls):
        names.update({arn: obj.name for arn, obj in store.items()})
    return names

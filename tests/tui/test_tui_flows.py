"""Every flow of the terminal app, end to end with Textual's pilot on real sandbox accounts.

The app drives the real core (Session, plan, preview, execute, snapshots); AWS errors are the
sandbox's own fault injection, so they pass through botocore and the core's error handling as a
live account's would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from remediations.apply.results import Outcome
from remediations.findings import Finding, Severity
from remediations.plan import Plan
from remediations.progress import Progress, StopCheck
from remediations.session import ScanResult, Session
from remediations.source import SandboxSource
from remediations.sources.sandbox import read_inventory
from remediations.sources.sandbox.faults import FaultKind
from tests.tui.pilot import make_app, run_async, session_for, settle, wait_loaded
from tui.app import RafixApp
from tui.screens.apply import ApplyScreen, ConfirmScreen
from tui.screens.main import MainScreen
from tui.screens.proposal import ProposalScreen, QuestionInput, SavePlanScreen
from tui.screens.snapshots import SnapshotsScreen
from tui.widgets.findings_table import FindingsTable

OPS_ADMIN = "arn:aws:iam::111122223333:role/ra-ops-admin"
NO_SUBJECT = "RA-TRUST-NO-SUBJECT-CONDITION"


def text_of(app: RafixApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def trust_policy(sandbox: Path, arn: str = OPS_ADMIN) -> Any:
    role = read_inventory(sandbox).roles[arn]
    return role.trust_policy


async def type_text(pilot: Any, text: str) -> None:
    for ch in text:
        await pilot.press(
            {" ": "space", ".": "full_stop", "-": "minus", ",": "comma", "/": "slash"}.get(ch, ch)
        )


async def open_no_subject_fix(app: RafixApp, pilot: Any) -> ProposalScreen:
    """From the loaded main screen: the critical finding's proposal (it needs a CN)."""
    screen = await wait_loaded(app, pilot)
    table = screen.query_one(FindingsTable)
    finding = table.current_finding
    assert finding is not None and finding.id == NO_SUBJECT
    await pilot.press("enter")
    await settle(app, pilot)
    proposal = app.screen
    assert isinstance(proposal, ProposalScreen)
    return proposal


async def answer_cn(app: RafixApp, pilot: Any, proposal: ProposalScreen, cn: str) -> None:
    question = proposal.query_one(QuestionInput)
    question.query_one(Input).focus()
    await pilot.press("ctrl+a") if question.current else None
    question.query_one(Input).value = ""
    await type_text(pilot, cn)
    await pilot.press("enter")
    await settle(app, pilot)


# --- loading ---------------------------------------------------------------------------------


@run_async
async def test_loading_shows_progress_per_step(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        # The core reported its steps (regions and API lists) while reading.
        progress = "\n".join(screen._progress)
        assert "eu-west-1" in progress and "us-east-1" in progress
        assert not screen.query_one("#loading").display


class GatedSession(Session):
    """A real sandbox session whose first progress report waits until the test says go, so
    that cancelling happens while the core is reading (never after it finished)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(SandboxSource(directory))
        self.reading = threading.Event()
        self.go = threading.Event()
        self.stopped = False

    def scan(
        self,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: StopCheck | None = None,
        pause_gc: bool = False,
    ) -> ScanResult:
        def progress(p: Progress) -> None:
            self.reading.set()
            self.go.wait(10)
            if on_progress is not None:
                on_progress(p)

        def stop() -> bool:
            self.stopped = bool(should_stop and should_stop())
            return self.stopped

        return super().scan(on_progress=progress, should_stop=stop, pause_gc=pause_gc)


@run_async
async def test_cancel_a_load_then_retry(sandbox_dir: Path) -> None:
    session = GatedSession(sandbox_dir)
    app = RafixApp(session, remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert session.reading.wait(20)
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.query_one("#loading").display
        await pilot.press("x")
        session.go.set()
        await settle(app, pilot)
        assert session.stopped, "the core was not asked to stop"
        assert "Loading cancelled" in text_of(app, "#error-title")
        assert not screen.loaded
        # r retries from the panel.
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.loaded and not screen.query_one("#error-panel").display


# --- AWS errors ------------------------------------------------------------------------------


@contextmanager
def faulty_sandbox(
    monkeypatch: pytest.MonkeyPatch, kind: FaultKind, **options: Any
) -> Iterator[None]:
    """Every sandbox the core opens gets this fault (botocore raises it like AWS would)."""
    import remediations.sources.sandbox as sandbox

    real_open = sandbox.open_sandbox

    def open_with_fault(*args: Any, **kwargs: Any) -> Any:
        account = real_open(*args, **kwargs)
        account.faults.inject(kind, **options)
        return account

    monkeypatch.setattr(sandbox, "open_sandbox", open_with_fault)
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _s: None)  # back-off takes no time
    yield


@run_async
async def test_throttling_shows_a_panel_that_says_what_to_do(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with faulty_sandbox(monkeypatch, "throttle", service="iam", times=1000):
        app = make_app(sandbox_dir, demo_factory=lambda: session_for(sandbox_dir))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, MainScreen) and not screen.loaded
            assert screen.query_one("#error-panel").display
            assert "throttling" in text_of(app, "#error-title")
            assert "retry" in text_of(app, "#error-todo")
            assert "d: open the demo account" in text_of(app, "#error-keys")
            # d opens the demo from the panel (AWS answers again).
            monkeypatch.undo()
            await pilot.press("d")
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen) and app.screen.loaded


@run_async
async def test_access_denied_everywhere_shows_a_panel(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with faulty_sandbox(monkeypatch, "access-denied", times=100_000):
        app = make_app(sandbox_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, MainScreen)
            assert screen.query_one("#error-panel").display
            assert "Access denied" in text_of(app, "#error-title")
            assert "AWSRolesAnywhereReadOnly" in text_of(app, "#error-todo")


@run_async
async def test_a_partly_denied_account_loads_and_says_what_is_missing(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with faulty_sandbox(
        monkeypatch, "access-denied", service="rolesanywhere", region="us-east-1", times=1000
    ):
        app = make_app(sandbox_dir)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_loaded(app, pilot)
            assert app.scan_result.warnings
            warning = text_of(app, "#warnings-bar")
            assert "could not be read" in warning and "access denied" in warning


@run_async
async def test_unreachable_endpoint_shows_a_panel_within_seconds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import argparse

    from remediations.cli.commands.tui import make_session
    from tests.localserver import refused_port

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLETUI")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example-tui")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _s: None)
    args = argparse.Namespace(
        sandbox=None,
        from_files=None,
        regions=["eu-west-1"],
        profile=None,
        endpoint_url=f"http://127.0.0.1:{refused_port()}",
        config=None,
        read_only=False,
    )
    app = RafixApp(make_session(args), remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "cannot be reached" in text_of(app, "#error-title")
        assert "Traceback" not in text_of(app, "#error-message")


# --- fixing ----------------------------------------------------------------------------------


@run_async
async def test_fill_a_value_refuse_a_bad_one_apply_verify_and_roll_back(sandbox_dir: Path) -> None:
    before = trust_policy(sandbox_dir)
    app = make_app(sandbox_dir, account_args=["--sandbox", str(sandbox_dir)])
    async with app.run_test(size=(120, 48)) as pilot:
        proposal = await open_no_subject_fix(app, pilot)
        # The fix needs a CN: the account's candidates are offered, nothing is planned yet.
        assert proposal.plan is not None and not proposal.plan.changes
        question = proposal.query_one(QuestionInput)
        assert "payments-batch.prod" in question.question.candidates
        assert not proposal.check_action("apply", ())
        # A value outside the session-tag character set is refused as typed.
        await answer_cn(app, pilot, proposal, "bad,cn")
        assert "outside the STS session-tag" in str(question.query_one(".problem", Static).render())
        assert proposal.plan is not None and not proposal.plan.changes
        # A good value plans the fix: diff and API calls shown.
        await answer_cn(app, pilot, proposal, "payments-batch.prod")
        assert proposal.plan is not None and len(proposal.plan.changes) == 1
        shown = text_of(app, "#proposal-text")
        assert '+            "aws:PrincipalTag/x509Subject/CN": "payments-batch.prod"' in shown
        assert "iam:UpdateAssumeRolePolicy ra-ops-admin" in shown
        # a: the confirmation lists the resource and the call; n leaves everything as it was.
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        listed = "\n".join(str(s.render()) for s in app.screen.query(Static))
        assert OPS_ADMIN in listed and "iam:UpdateAssumeRolePolicy" in listed
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ProposalScreen) and trust_policy(sandbox_dir) == before
        # a, y: applied with progress per call, verified, snapshot id shown.
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        applying = app.screen
        assert isinstance(applying, ApplyScreen)
        assert applying.report is not None and applying.report.outcome is Outcome.APPLIED
        log = text_of(app, "#apply-log")
        assert "✓ iam:UpdateAssumeRolePolicy ra-ops-admin" in log and "verified" in log
        result = text_of(app, "#apply-result")
        snapshot_id = applying.report.snapshot_id
        assert snapshot_id and "Applied and verified" in result and snapshot_id in result
        # In words: what was changed, by name; no change id; the command that undoes it.
        assert "✓ updated the trust policy of role ra-ops-admin" in result
        assert "c1" not in result.replace(snapshot_id, "")
        assert f"rafix rollback {snapshot_id} --sandbox {sandbox_dir}" in result
        assert trust_policy(sandbox_dir) != before
        # Back on the findings, refreshed: the critical finding is gone.
        await pilot.press("enter")
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen) and main.loaded
        assert not [
            f
            for f in app.scan_result.findings
            if f.id == NO_SUBJECT and f.resource_arn == OPS_ADMIN
        ]
        # S: the snapshot, what it covers and its diff against now; u, y rolls back.
        await pilot.press("S")
        await settle(app, pilot)
        snapshots = app.screen
        assert isinstance(snapshots, SnapshotsScreen)
        assert snapshots.snapshots[0].id == snapshot_id
        detail = text_of(app, "#snapshot-text")
        assert OPS_ADMIN in detail and '-            "aws:PrincipalTag/x509Subject/CN"' in detail
        await pilot.press("u")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        # The dialog says what y does here: roll back, not apply.
        said = "\n".join(str(w.render()) for w in confirm.query("#confirm-box Static"))
        assert "Roll back to snapshot" in said and "y: roll back" in said
        assert "y: apply" not in said
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ApplyScreen)
        undone = text_of(app, "#apply-result")
        assert "Rolled back and verified" in undone
        assert "restored and verified:\n  ✓ updated the trust policy of role ra-ops-admin" in undone
        assert trust_policy(sandbox_dir) == before
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, SnapshotsScreen)
        assert len(app.screen.snapshots) == 2  # the rollback took its own snapshot
    assert app.return_code in (None, 0)


@run_async
async def test_mark_several_plan_them_together_and_save_the_plan_file(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        # Two findings that need no value: the long durations.
        await pilot.press("slash")
        await type_text(pilot, "id:RA-PROFILE-LONG-DURATION")
        await pilot.press("enter")
        marked: list[Finding] = []
        for _ in range(len(table.entries)):
            finding = table.current_finding
            assert finding is not None
            marked.append(finding)
            await pilot.press("space")
        assert len(marked) >= 2 and len(table.marked) == len(marked)
        assert f"● {len(marked)} marked" in text_of(app, "#counts")
        await pilot.press("p")
        await settle(app, pilot)
        proposal = app.screen
        assert isinstance(proposal, ProposalScreen) and proposal.plan is not None
        assert {c.resource_arn for c in proposal.plan.changes} == {f.resource_arn for f in marked}
        assert proposal.check_action("apply", ())
        # w: the same plan file `rafix plan --out` writes.
        out = tmp_path / "several.json"
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, SavePlanScreen)
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        saved = Plan.load(out)
        assert [c.resource_arn for c in saved.changes] == [
            c.resource_arn for c in proposal.plan.changes
        ]
        # An existing file is only replaced when asked twice.
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SavePlanScreen)
        assert "exists" in text_of(app, "#save-problem")
        await pilot.press("escape")


@run_async
async def test_export_the_fix_as_terraform_and_cloudformation(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    import hcl2
    import yaml

    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        proposal = await open_no_subject_fix(app, pilot)
        await answer_cn(app, pilot, proposal, "payments-batch.prod")
        titles = [title for title, _, _ in proposal.palette_commands()]
        assert "export: the fix as Terraform" in titles
        assert "export: the fix as CloudFormation" in titles
        for fmt, name in (("terraform", "fix.tf"), ("cloudformation", "fix.yaml")):
            proposal.export_code(fmt)  # type: ignore[arg-type]
            await pilot.pause()
            app.screen.query_one(Input).value = str(tmp_path / name)
            await pilot.press("enter")
            await pilot.pause()
        terraform = hcl2.loads((tmp_path / "fix.tf").read_text())
        assert terraform["resource"]
        template = yaml.safe_load((tmp_path / "fix.yaml").read_text())
        assert any(r["Type"] == "AWS::IAM::Role" for r in template["Resources"].values())
        assert "payments-batch.prod" in (tmp_path / "fix.tf").read_text()


@run_async
async def test_read_only_shows_a_banner_and_offers_no_apply(sandbox_dir: Path) -> None:
    before = trust_policy(sandbox_dir)
    app = make_app(sandbox_dir, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_loaded(app, pilot)
        assert "READ-ONLY" in text_of(app, "#read-only-banner")
        proposal = await open_no_subject_fix(app, pilot)
        await answer_cn(app, pilot, proposal, "payments-batch.prod")
        assert proposal.plan is not None and proposal.plan.changes
        assert "READ-ONLY" in text_of(app, "#read-only-banner")
        assert not proposal.check_action("apply", ())
        assert not [t for t, _, _ in proposal.palette_commands() if t.startswith("apply:")]
        await pilot.press("a")
        await settle(app, pilot)
        assert app.screen is proposal  # no confirmation, nothing applied
        assert "Read-only: no apply is offered" in text_of(app, "#proposal-text")
    assert trust_policy(sandbox_dir) == before


@run_async
async def test_a_fix_the_core_cannot_make_says_why(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        await pilot.press("slash")
        await type_text(pilot, "id:RA-TA-CA-EXPIRING")
        await pilot.press("enter")
        assert table.current_finding is not None
        await pilot.press("enter")
        await settle(app, pilot)
        proposal = app.screen
        assert isinstance(proposal, ProposalScreen) and proposal.plan is not None
        assert proposal.plan.not_fixable and not proposal.plan.changes
        shown = text_of(app, "#proposal-text")
        assert "Not fixed automatically" in shown
        assert proposal.plan.not_fixable[0].reason in shown


@run_async
async def test_copy_the_arn_and_the_policy(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        finding = screen.query_one(FindingsTable).current_finding
        assert finding is not None
        await pilot.press("c")
        assert app.clipboard == finding.resource_arn
        await pilot.press("C")
        assert json.loads(app.clipboard)["Statement"]


@run_async
async def test_resize_to_80x24_keeps_every_part_usable(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        assert screen.has_class("-narrow") and table.size.height >= 5
        assert "SEVERITY" in str(table.render_line(0).text)
        severities = {s.label for s in Severity}
        assert any(label in text_of(app, "#counts") for label in severities)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ProposalScreen)
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query_one("#help-box").size.width <= 80


@run_async
async def test_the_theme_is_remembered(
    sandbox_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = RafixApp(session_for(sandbox_dir), remember_theme=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(app, pilot)
        app.theme = "nord"
        await pilot.pause()
    again = RafixApp(session_for(sandbox_dir), remember_theme=True)
    assert again.theme == "nord"


@run_async
async def test_the_onboarding_wizard_ends_in_the_same_confirm_apply_and_result(
    sandbox_dir: Path,
) -> None:
    from tests.tui.pilot import walk_to_review
    from tui.onboard_wizard import OnboardWizard

    app = make_app(sandbox_dir)
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_loaded(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OnboardWizard)
        await walk_to_review(app, pilot)
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        listed = "\n".join(str(s.render()) for s in confirm.query(Static))
        assert "iam:CreateRole ra-orders-prod" in listed
        assert "rolesanywhere:CreateProfile ra-payments-prod" in listed
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ApplyScreen)
        result = text_of(app, "#apply-result")
        assert "Applied and verified" in result
        after = read_inventory(sandbox_dir)
        [profile] = [p for p in after.profiles.values() if p.name == "ra-payments-prod"]
        # The operator's configuration names the profile's real ARN, read back after the apply.
        assert "Certificate subject to request from the CA: CN=orders.prod" in result
        assert f"--profile-arn {profile.arn}" in result.replace("\n", " ").replace("  ", " ")
        assert "credential_process = aws_signing_helper credential-process" in result
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)


@run_async
async def test_the_detail_says_who_can_assume_the_role(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        for _ in range(100):  # the paths are asked for once the cursor rests, in a worker
            if "working out the paths" not in str(screen.query_one("#detail").render()):
                break
            await pilot.pause(0.1)
            await settle(app, pilot)
        finding = screen.query_one(FindingsTable).current_finding
        assert finding is not None and finding.resource_arn == OPS_ADMIN
        # the paths are wrapped at the pane's width: compare words, not line breaks
        detail = " ".join(str(screen.query_one("#detail").render()).split())
        assert "Who can assume it through Roles Anywhere" in detail
        assert "anchor corp-issuing-ca-eu" in detail and "profile ops-break-glass" in detail
        assert "any certificate of the anchor" in detail


async def _detail_with_access(app: RafixApp, pilot: Any, query: str) -> str:
    """The detail pane once the paths of the first finding ``query`` filters to are in."""
    screen = app.screen
    assert isinstance(screen, MainScreen)
    screen.set_filter(query)
    await settle(app, pilot)
    for _ in range(100):  # asked for once the cursor rests, in a worker
        if "working out the paths" not in str(screen.query_one("#detail").render()):
            break
        await pilot.pause(0.1)
        await settle(app, pilot)
    # the paths are wrapped at the pane's width: compare words, not line breaks
    return " ".join(str(screen.query_one("#detail").render()).split())


@run_async
async def test_the_detail_of_a_profile_or_an_anchor_says_which_roles_it_lets_in(
    sandbox_dir: Path,
) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_loaded(app, pilot)
        detail = await _detail_with_access(app, pilot, "id:RA-PROFILE-LONG-DURATION ops-break")
        assert "resource: ops-break-glass" in detail
        assert "Roles this profile lets certificates assume" in detail
        assert "ra-ops-admin" in detail and "profile ops-break-glass" in detail
        assert "profile ci-shared" not in detail  # only the paths through this profile
        detail = await _detail_with_access(app, pilot, "id:RA-TA-BLAST-RADIUS corp-issuing")
        assert "Roles this trust anchor's certificates can assume" in detail
        assert "ra-ops-admin" in detail and "any certificate of the anchor" in detail
        assert "corp-private-ca-us" not in detail.split("can assume", 1)[1]


@run_async
async def test_the_access_screen_answers_which_roles_a_subject_can_assume(
    sandbox_dir: Path,
) -> None:
    from tui.screens.access import AccessScreen

    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_loaded(app, pilot)
        await pilot.press("A")
        await settle(app, pilot)
        assert isinstance(app.screen, AccessScreen)
        every = text_of(app, "#access-map")
        assert "ra-ops-admin" in every and "ra-inventory-sync-prod" in every
        await pilot.press("slash")
        app.screen.query_one(
            "#access-subject", Input
        ).value = "CN=inventory-sync.prod,OU=supply-chain"
        await pilot.press("enter")
        await settle(app, pilot)
        answer = text_of(app, "#access-map")
        assert "ra-inventory-sync-prod" in answer and answer != every
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


@run_async
async def test_an_account_read_from_files_plans_but_offers_no_apply(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    from remediations.source import FilesSource

    files = tmp_path / "exported"
    Session(SandboxSource(sandbox_dir)).export(files)
    app = RafixApp(Session(FilesSource((files,))), remember_theme=False)
    async with app.run_test(size=(120, 48)) as pilot:
        proposal = await open_no_subject_fix(app, pilot)
        await answer_cn(app, pilot, proposal, "payments-batch.prod")
        assert proposal.plan is not None and proposal.plan.changes
        assert not proposal.check_action("apply", ())
        assert proposal.check_action("save", ())
        assert "read from files" in text_of(app, "#proposal-text")


@run_async
async def test_an_organisation_shows_the_account_of_each_finding(tmp_path: Path) -> None:
    from remediations.source import OrgSource
    from remediations.sources.sandbox.organization import init_organization

    init_organization(tmp_path / "org", 2)
    app = RafixApp(Session(OrgSource(SandboxSource(tmp_path / "org"))), remember_theme=False)
    async with app.run_test(size=(200, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        assert "ACCOUNT" in table.header_text(table.size.width)
        accounts = {f.account_id for f in app.scan_result.findings}
        assert len(accounts) >= 2
        # The account: filter narrows to one account's findings.
        one = sorted(accounts)[0]
        screen.set_filter(f"account:{one}")
        await pilot.pause()
        shown = [table.rows[e].finding for e in table.entries if isinstance(e, int)]
        assert shown and {f.account_id for f in shown} == {one}

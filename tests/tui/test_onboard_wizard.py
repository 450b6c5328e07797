"""The onboarding wizard, driven by Textual's pilot on a real sandbox account: every step,
checks as typed, back and next, defaults from the account, the review, the returned plan
applied; and a snapshot of the review step."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from remediations.apply.executor import Executor
from remediations.apply.snapshots import SnapshotStore, root_for_source
from remediations.checks.run import run_checks
from remediations.plan import Plan
from remediations.sources.sandbox import open_sandbox, read_inventory
from tests.builders import apply_now
from tui.onboard_wizard import STEPS, OnboardWizard

EU_ANCHOR = (
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/3071b7f4-b645-5100-a7e7-85ac0dd169d6"
)
SIZE = (110, 44)


def session_for(sandbox: Path) -> Any:
    from remediations.cli.commands.tui import make_session

    args = argparse.Namespace(
        sandbox=str(sandbox),
        from_files=None,
        regions=None,
        profile=None,
        endpoint_url=None,
        config=None,
        read_only=False,
    )
    return make_session(args)


class WizardApp(App[None]):
    """Opens the wizard and keeps what it returns (as the rafix app's callback does)."""

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session
        self.result: Plan | str | None = "open"

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(OnboardWizard(self.session), self._done)

    def _done(self, plan: Plan | None) -> None:
        self.result = plan


async def settle(app: App[Any], pilot: Any) -> None:
    await pilot.pause()
    for _ in range(3):
        for worker in list(app.workers):
            with contextlib.suppress(WorkerFailed):
                await worker.wait()
        await pilot.pause()


def text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def type_value(app: App[Any], pilot: Any, value: str) -> None:
    box = app.screen.query_one("#wizard-input", Input)
    box.value = value
    await pilot.pause()


async def walk_to_review(app: WizardApp, pilot: Any, workload: str = "orders") -> None:
    await settle(app, pilot)
    await type_value(app, pilot, workload)
    await pilot.press("enter")
    await type_value(app, pilot, "prod")
    await pilot.press("enter")
    await type_value(app, pilot, "payments")
    await pilot.press("enter")
    await type_value(app, pilot, EU_ANCHOR)
    await pilot.press("enter")
    await pilot.press("enter")  # the issuer CN the anchor's CA gives (default)
    await type_value(app, pilot, "s3, sqs")
    await pilot.press("enter")
    for _ in range(3):  # resources, managed policies, SPIFFE ID: optional
        await pilot.press("enter")
    await settle(app, pilot)


def test_the_wizard_walks_to_a_plan_that_applies_cleanly(sandbox_dir: Path) -> None:
    async def run() -> None:
        app = WizardApp(session_for(sandbox_dir))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            wizard = app.screen
            assert isinstance(wizard, OnboardWizard)
            # Checked as typed: a bad name is refused and next does not move on.
            await type_value(app, pilot, "a/b")
            assert "use 1 to 32 letters" in text(app, "#wizard-problem")
            await pilot.press("enter")
            assert wizard.step == 0
            await type_value(app, pilot, "orders")
            assert text(app, "#wizard-problem") == ""
            await pilot.press("enter")
            await type_value(app, pilot, "prod")
            await pilot.press("enter")
            # Back keeps what was typed.
            await pilot.press("escape")
            assert wizard.step == 1
            assert app.screen.query_one("#wizard-input", Input).value == "prod"
            await pilot.press("enter")
            await type_value(app, pilot, "payments")
            await pilot.press("enter")
            # The account's enabled anchors are offered.
            assert EU_ANCHOR in text(app, "#wizard-hint")
            await type_value(app, pilot, EU_ANCHOR[:-1] + "0")
            assert "not a trust anchor of this account" in text(app, "#wizard-problem")
            await type_value(app, pilot, EU_ANCHOR)
            await pilot.press("enter")
            # The issuer CN defaults to the anchor's CA.
            assert app.screen.query_one("#wizard-input", Input).value == "Corp Issuing CA EU 2025"
            await pilot.press("enter")
            await type_value(app, pilot, "s3, s4")
            assert "unknown AWS service prefix 's4'" in text(app, "#wizard-problem")
            await type_value(app, pilot, "s3, sqs")
            await pilot.press("enter")
            for _ in range(3):
                await pilot.press("enter")
            await settle(app, pilot)
            assert wizard.step == len(STEPS)
            review = text(app, "#wizard-plan")
            assert "arn:aws:iam::111122223333:role/ra-orders-prod" in review
            assert "iam:CreateRole ra-orders-prod" in review
            assert "rolesanywhere:CreateProfile ra-payments-prod" in review
            assert '"aws:PrincipalTag/x509Subject/CN": "orders.prod"' in review
            await pilot.press("ctrl+y")
            await pilot.pause()
        plan = app.result
        assert isinstance(plan, Plan)
        assert [c.resource_type for c in plan.changes] == ["role", "profile"]
        account = open_sandbox(sandbox_dir)
        try:
            report = apply_now(
                plan,
                Executor(account, read_only=False, sleep=lambda _s: None),
                SnapshotStore(root_for_source(f"sandbox:{sandbox_dir}")),
                lambda _q: True,
                source=f"sandbox:{sandbox_dir.resolve()}",
                account_id="111122223333",
            )
        finally:
            account.close()
        assert report.ok
        after = read_inventory(sandbox_dir)
        [profile] = [p for p in after.profiles.values() if p.name == "ra-payments-prod"]
        ours = {"arn:aws:iam::111122223333:role/ra-orders-prod", profile.arn}
        assert profile.role_arns == ["arn:aws:iam::111122223333:role/ra-orders-prod"]
        assert not [f for f in run_checks(after) if f.resource_arn in ours]

    asyncio.run(run())


def test_escape_on_the_first_step_leaves_without_a_plan(sandbox_dir: Path) -> None:
    async def run() -> None:
        app = WizardApp(session_for(sandbox_dir))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("escape")
            await pilot.pause()
        assert app.result is None

    asyncio.run(run())


def test_a_refused_onboarding_is_explained_at_review(sandbox_dir: Path) -> None:
    async def run() -> None:
        app = WizardApp(session_for(sandbox_dir))
        async with app.run_test(size=SIZE) as pilot:
            await walk_to_review(app, pilot, workload="payments-batch")
            assert "Cannot plan this onboarding" in text(app, "#wizard-plan")
            assert "already taken" in text(app, "#wizard-plan")
            await pilot.press("ctrl+y")  # nothing to accept
            await pilot.pause()
            assert isinstance(app.screen, OnboardWizard)

    asyncio.run(run())


def test_review_step_snapshot(snap_compare: Any, sandbox_dir: Path, tmp_path: Path) -> None:
    # A fixed path: the sandbox's directory shows in no text, but keep the input identical.
    fixed = tmp_path / "sb"
    shutil.copytree(sandbox_dir, fixed)
    app = WizardApp(session_for(fixed))

    async def to_review(pilot: Any) -> None:
        await walk_to_review(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=to_review)

"""What the app's pilot tests share: running a pilot test, an app on a sandbox, waiting for
its workers, and walking the onboarding wizard to its review."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Input
from textual.worker import WorkerFailed

from tui.app import RafixApp
from tui.screens.main import MainScreen
from tui.screens.proposal import ProposalScreen
from tui.widgets.findings_table import FindingsTable

EU_ANCHOR = (
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/3071b7f4-b645-5100-a7e7-85ac0dd169d6"
)


def run_async(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run a pilot test in its own event loop (pytest itself is synchronous here)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def session_for(sandbox: Path, *, read_only: bool = False) -> Any:
    from remediations.cli.commands.tui import make_session

    args = argparse.Namespace(
        sandbox=str(sandbox),
        from_files=None,
        regions=None,
        profile=None,
        endpoint_url=None,
        config=None,
        read_only=read_only,
    )
    return make_session(args)


def make_app(sandbox: Path, **kwargs: Any) -> RafixApp:
    return RafixApp(
        session_for(sandbox, read_only=kwargs.pop("read_only", False)),
        source_text="test sandbox",
        remember_theme=False,
        **kwargs,
    )


async def settle(app: App[Any], pilot: Any) -> None:
    """Wait until every worker of the app has finished (failed ones included)."""
    await pilot.pause()
    for _ in range(3):
        for worker in list(app.workers):
            with contextlib.suppress(WorkerFailed):
                await worker.wait()
        await pilot.pause()


async def wait_loaded(app: RafixApp, pilot: Any) -> MainScreen:
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, MainScreen)
    assert screen.loaded, "the scan did not load"
    return screen


async def type_value(app: App[Any], pilot: Any, value: str) -> None:
    box = app.screen.query_one("#wizard-input", Input)
    box.value = value
    await pilot.pause()


async def walk_to_review(app: App[Any], pilot: Any, workload: str = "orders") -> None:
    """Through every step of the onboarding wizard to its review (orders.prod, team payments)."""
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


async def plan_long_durations(app: RafixApp, pilot: Any) -> ProposalScreen:
    """Mark every RA-PROFILE-LONG-DURATION finding (no value needed) and plan them together."""
    screen = await wait_loaded(app, pilot)
    table = screen.query_one(FindingsTable)
    await pilot.press("slash")
    screen.query_one("#filter", Input).value = "id:RA-PROFILE-LONG-DURATION"
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(len(table.entries)):
        await pilot.press("space")
    await pilot.press("p")
    await settle(app, pilot)
    proposal = app.screen
    assert isinstance(proposal, ProposalScreen) and proposal.plan is not None
    assert len(proposal.plan.changes) >= 2
    return proposal

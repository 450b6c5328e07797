"""The session facade: typed sources, progress and cancellation, typed answers, preview and
execute, read-only; and the layering rule that argparse stays in the CLI."""

from __future__ import annotations

import ast
import gc
import threading
from pathlib import Path

import pytest

import remediations
from remediations.answers import Answer, Question, answers_from_set, values_from_answers
from remediations.apply.results import ChangeVerified, Outcome, SnapshotTaken
from remediations.errors import Cancelled, InputError
from remediations.progress import Progress, Stage
from remediations.session import Session
from remediations.source import (
    FilesSource,
    LiveSource,
    SandboxSource,
    parse_source_label,
    source_label,
)
from remediations.sources.sandbox import init_sandbox

CORE = Path(remediations.__file__).resolve().parent


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    folder = tmp_path / "sb"
    init_sandbox(folder)
    return folder


def test_source_labels_round_trip(tmp_path: Path) -> None:
    sandbox = SandboxSource(tmp_path / "a" / ".." / "b")
    assert source_label(sandbox) == f"sandbox:{(tmp_path / 'b').resolve()}"
    assert parse_source_label(source_label(sandbox)) == sandbox
    assert parse_source_label("live") == LiveSource()
    assert parse_source_label("files") == parse_source_label("") == FilesSource(())
    with pytest.raises(InputError):
        parse_source_label("somewhere")


def test_set_options_map_onto_answers_and_back() -> None:
    items = ["cn=app.prod", "my.role.v2.ou=team", "arn:aws:iam::1:role/r.services=s3,sqs"]
    answers = answers_from_set(items)
    assert answers[0] == Answer(None, "cn", "app.prod")
    assert answers[1] == Answer("my.role.v2", "ou", "team")
    assert values_from_answers(answers) == {
        "cn": "app.prod",
        "my.role.v2.ou": "team",
        "arn:aws:iam::1:role/r.services": "s3,sqs",
    }
    with pytest.raises(InputError, match="unknown key"):
        values_from_answers([Answer(None, "colour", "blue")])


def test_question_validates_its_answer() -> None:
    cn = Question("RA-TRUST-NO-SUBJECT-CONDITION", "arn:aws:iam::1:role/r", "cn", "Which CN?")
    assert cn.validate("app.prod") is None
    assert cn.validate("  ") == "the value is empty"
    assert "charset" in (cn.validate("bad\x00value") or "")
    services = Question("RA-PROFILE-NO-SESSION-POLICY", "p", "services", "Which services?")
    assert services.validate("s3, sqs") is None
    assert services.validate("S3 bucket") is not None
    assert cn.answer("x") == Answer("arn:aws:iam::1:role/r", "cn", "x")


def test_scan_reports_progress_per_api_list_and_per_check(sandbox: Path) -> None:
    seen: list[Progress] = []
    lock = threading.Lock()

    def record(progress: Progress) -> None:
        with lock:  # the live reader reports from its threads
            seen.append(progress)

    result = Session(SandboxSource(sandbox)).scan(on_progress=record)
    loads = [p for p in seen if p.stage is Stage.LOAD]
    checks = [p for p in seen if p.stage is Stage.CHECK]
    assert any("ListProfiles" in p.step for p in loads)
    assert any("GetAccountAuthorizationDetails" in p.step for p in loads)
    assert loads[-1].done == loads[-1].total == len(loads)
    assert checks and checks[-1].done == checks[-1].total
    assert result.findings


def test_should_stop_cancels_a_scan_with_a_rafix_error(sandbox: Path) -> None:
    session = Session(SandboxSource(sandbox))
    with pytest.raises(Cancelled) as caught:
        session.scan(should_stop=lambda: True)
    assert caught.value.exit_code == 130
    calls = 0

    def after_three() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    with pytest.raises(Cancelled):
        session.scan(should_stop=after_three)


def test_scan_leaves_the_garbage_collector_alone_unless_asked(sandbox: Path) -> None:
    states: list[bool] = []
    Session(SandboxSource(sandbox)).scan(
        on_progress=lambda p: states.append(gc.isenabled()) if p.stage is Stage.CHECK else None
    )
    assert states and all(states)


def test_preview_writes_nothing_and_execute_reports_typed_events(sandbox: Path) -> None:
    session = Session(SandboxSource(sandbox))
    plan = session.plan()
    preview = session.preview(plan)
    assert preview.steps and preview.refused is None and not preview.read_only
    assert all(step.calls for step in preview.steps)
    assert session.snapshots() == []  # nothing written by the preview
    events: list[object] = []
    report = session.execute(preview, on_event=events.append)
    assert report.outcome is Outcome.APPLIED
    assert isinstance(events[0], SnapshotTaken)
    verified = [e.change_id for e in events if isinstance(e, ChangeVerified)]
    assert verified == [s.change_id for s in preview.steps]
    assert session.scan().findings != []  # the session can go on reading after a write
    again = session.preview(plan)
    assert again.already_applied
    undo = session.preview_rollback(report.snapshot_id or "")
    assert session.execute(undo).outcome is Outcome.APPLIED


def test_a_read_only_session_refuses_to_execute(sandbox: Path) -> None:
    session = Session(SandboxSource(sandbox), read_only=True)
    preview = session.preview(session.plan())
    assert preview.read_only and preview.steps
    report = session.execute(preview)
    assert report.outcome is Outcome.REFUSED and "read-only" in (report.error or "")
    assert session.snapshots() == []


def test_execute_cancelled_before_the_first_write_writes_nothing(sandbox: Path) -> None:
    session = Session(SandboxSource(sandbox))
    preview = session.preview(session.plan())
    with pytest.raises(Cancelled):
        session.execute(preview, should_stop=lambda: True)
    assert session.snapshots() == []


def test_execute_stopped_midway_rolls_back(sandbox: Path) -> None:
    session = Session(SandboxSource(sandbox))
    preview = session.preview(session.plan())
    assert len(preview.steps) > 1
    verified = 0

    def count(event: object) -> None:
        nonlocal verified
        verified += isinstance(event, ChangeVerified)

    report = session.execute(preview, on_event=count, should_stop=lambda: verified >= 1)
    assert report.outcome is Outcome.ROLLED_BACK and report.rolled_back
    assert session.preview(session.plan()).steps  # the account is as before: same fixes


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_argparse_stays_in_the_cli() -> None:
    allowed = set((CORE / "cli").rglob("*.py"))
    assert CORE / "cli" / "parser.py" in allowed
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if path not in allowed and "argparse" in _imports(path)
    ]
    assert offenders == []


def test_commands_do_not_import_each_other() -> None:
    commands = sorted((CORE / "cli" / "commands").glob("*.py"))
    assert len(commands) > 5
    for path in commands:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("remediations.cli.commands"), path.name
                assert not (
                    node.module == "remediations.cli"
                    and any(a.name == "commands" for a in node.names)
                ), path.name

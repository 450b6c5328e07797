"""Every command line rafix suggests runs as printed: the hints are taken from what rafix
prints along a new user's path (sandbox, scan, plan, apply, undo, export, offline plan, demo)
and run exactly as they are, one after another."""

from __future__ import annotations

import io
import re
import shlex
import tempfile
from pathlib import Path

import pytest

from remediations.cli import main

#: `rafix ...` in backquotes, or after "Try:" / "with:" / "copy of this account:".
_QUOTED = re.compile(r"`(rafix [^`]+)`")
_AFTER = re.compile(r"(?:Try|with|account): (rafix .+)$")


def hints(text: str) -> list[str]:
    found = _QUOTED.findall(text)
    for line in text.splitlines():
        match = _AFTER.search(line)
        if match and "`" not in match.group(1):
            for part in re.split(r"\s{3}(?:or|then)\s{3}|\s&&\s", match.group(1)):
                found.append(part.strip())
    return found


class Terminal(io.StringIO):
    """Standard input of a person who answers yes (confirmations ask on a terminal)."""

    def __init__(self) -> None:
        super().__init__("y\n" * 20)

    def isatty(self) -> bool:
        return True


def rafix(capsys: pytest.CaptureFixture[str], line: str) -> tuple[int, str]:
    words = shlex.split(line)
    assert words[0] == "rafix", line
    try:
        code = main(words[1:])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def run_hints(
    capsys: pytest.CaptureFixture[str], text: str, seen: list[str], depth: int = 0
) -> None:
    """Run every hint in ``text`` (and, once, the hints those print)."""
    for line in hints(text):
        if line in seen:
            continue
        seen.append(line)
        code, printed = rafix(capsys, line)
        assert code in (0, 1), f"`{line}` failed ({code}): {printed}"
        if code == 1:  # only a scan's findings may make it exit 1
            assert " scan " in f" {line} " and "rafix: error" not in printed, printed
        if depth < 3:
            run_hints(capsys, printed, seen, depth + 1)


def test_every_hint_along_a_new_users_path_runs_as_printed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr("sys.stdin", Terminal())
    seen: list[str] = []

    code, printed = rafix(capsys, "rafix sandbox init sb")
    assert code == 0
    run_hints(capsys, printed, seen)
    assert "rafix scan --sandbox sb" in seen
    assert "rafix plan --sandbox sb --out plan.json" in seen
    assert "rafix apply plan.json --sandbox sb" in seen
    assert any(h.startswith("rafix rollback ") and h.endswith("--sandbox sb") for h in seen)

    code, printed = rafix(capsys, "rafix export --sandbox sb --out exp")
    assert code == 0
    run_hints(capsys, printed, seen)
    assert "rafix scan --from-file exp" in seen

    code, printed = rafix(capsys, "rafix plan --from-file exp")
    assert code == 0
    run_hints(capsys, printed, seen)
    assert "rafix sandbox init rafix-sandbox --from-file exp" in seen

    code, printed = rafix(capsys, "rafix demo --print")
    assert code == 0
    assert not list(scratch.glob("rafix-demo-*")), "rafix demo left its sandbox behind"
    run_hints(capsys, printed, seen)
    assert "rafix demo --keep" in seen
    kept = list(scratch.glob("rafix-demo-*"))
    assert len(kept) == 1  # --keep keeps it, and its hints ran against it
    assert any(h.startswith("rafix apply plan.json --sandbox ") and str(kept[0]) in h for h in seen)


def test_hints_quote_paths_with_spaces(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    code, printed = rafix(capsys, "rafix sandbox init 'my sandbox'")
    assert code == 0
    assert "rafix scan --sandbox 'my sandbox'" in hints(printed)
    code, _ = rafix(capsys, hints(printed)[0])
    assert code in (0, 1)


def test_an_interrupted_apply_says_how_to_finish_or_undo_it_runnably(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from remediations.cli.common import explain_interrupt

    class Store:
        def unfinished(self) -> list[object]:
            class Snap:
                id = "20261203T101500123Z-1a2b"

            return [Snap()]

    with (
        pytest.raises(KeyboardInterrupt),
        explain_interrupt(
            Store(),  # type: ignore[arg-type]
            "rafix apply plan.json --sandbox sb",
            ["--sandbox", "sb"],
        ),
    ):
        raise KeyboardInterrupt
    err = capsys.readouterr().err
    assert hints(err) == [
        "rafix apply plan.json --sandbox sb",
        "rafix rollback 20261203T101500123Z-1a2b --sandbox sb",
    ]

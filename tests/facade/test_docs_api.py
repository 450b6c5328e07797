"""The Python example in docs/API.md runs as written (it is the facade's first user)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/API.md holds one Python example"
    return str(blocks[0])


def test_the_api_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = example()
    assert len(code.strip().splitlines()) <= 30, "the example stays short"
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # its sandbox goes into this test's folder
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    exec(compile(code, str(DOC), "exec"), {"__name__": "docs_api_example"})
    out = capsys.readouterr().out
    assert "check:" in out and "load:" in out  # progress from the reader and the checks
    assert "ChangeVerified" in out and "SnapshotTaken" in out  # typed apply events

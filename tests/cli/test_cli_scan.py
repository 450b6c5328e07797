"""rafix scan / export / tui on the command line: formats, --output, --fail-on, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from remediations.catalog import spec
from remediations.checks import run as scan_module
from remediations.cli import main
from remediations.cli.common import source_from_args
from remediations.cli.parser import build_parser
from remediations.findings import Finding, Severity
from remediations.model import Inventory
from remediations.sources.opening import load_inventory

ACCOUNT = "111122223333"
ROOT = Path(__file__).resolve().parents[2]
OPEN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        }
    ],
}


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "gaad.json"
    role = {
        "RoleName": "ra-open",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/ra-open",
        "AssumeRolePolicyDocument": OPEN_TRUST,
    }
    path.write_text(json.dumps({"RoleDetailList": [role], "Policies": []}), encoding="utf-8")
    return path


def fake_findings(monkeypatch: pytest.MonkeyPatch, *severities: Severity) -> None:
    """Make the scan report findings of exactly these severities (checks are tested elsewhere)."""
    made = [
        spec("RA-TRUST-NO-SOURCEARN").finding(
            f"arn:aws:iam::{ACCOUNT}:role/r{i}", "d", region="global", severity=s
        )
        for i, s in enumerate(severities)
    ]

    def run_checks(_inventory: Inventory, _settings: Any = None, **_options: Any) -> list[Finding]:
        return made

    monkeypatch.setattr(scan_module, "run_checks", run_checks)


@pytest.mark.parametrize(
    ("severities", "fail_on", "code"),
    [
        ((), "low", 0),
        ((Severity.INFO,), "low", 0),
        ((Severity.INFO,), "info", 1),
        ((Severity.LOW,), "low", 1),
        ((Severity.MEDIUM, Severity.LOW), "high", 0),
        ((Severity.HIGH,), "high", 1),
        ((Severity.HIGH,), "critical", 0),
        ((Severity.CRITICAL,), "critical", 1),
    ],
)
def test_fail_on_threshold(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    export_file: Path,
    severities: tuple[Severity, ...],
    fail_on: str,
    code: int,
) -> None:
    fake_findings(monkeypatch, *severities)
    assert main(["scan", "--from-file", str(export_file), "--fail-on", fail_on]) == code
    capsys.readouterr()


def test_default_fail_on_is_low(monkeypatch: pytest.MonkeyPatch, export_file: Path) -> None:
    fake_findings(monkeypatch, Severity.LOW)
    assert main(["scan", "--from-file", str(export_file)]) == 1


def test_json_to_stdout_and_warnings_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake_findings(monkeypatch, Severity.HIGH)
    path = tmp_path / "partial.json"
    path.write_text(
        json.dumps({"RoleDetailList": [], "IsTruncated": True, "Marker": "m"}), encoding="utf-8"
    )
    assert main(["scan", "--from-file", str(path), "--format", "json", "--allow-partial"]) == 1
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["schema"] == "rafix.findings/v1" and doc["findings"][0]["severity"] == "high"
    assert err.startswith(f"rafix: warning: {path}: the export is partial")
    assert doc["complete"] is False
    assert doc["not_read"][0]["where"] == str(path)
    assert doc["source"] == {
        "origin": "files",
        "account_id": None,
        "regions": [],
        "coverage": ["iam"],
    }


def test_output_file_is_written_and_summary_goes_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    export_file: Path,
    tmp_path: Path,
) -> None:
    fake_findings(monkeypatch, Severity.MEDIUM, Severity.LOW)
    report = tmp_path / "out" / "report.sarif"
    report.parent.mkdir()
    assert (
        main(
            ["scan", "--from-file", str(export_file), "--format", "sarif", "--output", str(report)]
        )
        == 1
    )
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"rafix: wrote sarif report to {report}: 2 findings: 1 medium, 1 low"
    sarif = json.loads(report.read_text(encoding="utf-8"))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert uris == {export_file.as_posix()}
    assert [p.name for p in report.parent.iterdir()] == ["report.sarif"]  # no temporary left


def test_table_output_has_no_colour_when_not_a_tty(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], export_file: Path
) -> None:
    fake_findings(monkeypatch, Severity.HIGH)
    main(["scan", "--from-file", str(export_file)])
    out = capsys.readouterr().out
    assert "\x1b[" not in out and "RA-TRUST-NO-SOURCEARN" in out and "1 finding: 1 high" in out


# --- bad input: exit 2, one line naming the file, no traceback -------------------------------


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    cases: dict[str, tuple[Path, bytes | str, str]] = {
        "not-json": (tmp_path / "a.json", "{oops", "not valid JSON"),
        "not-object": (tmp_path / "b.json", "[1, 2]", "not an object"),
        "unknown": (tmp_path / "c.json", '{"Things": []}', "unknown shape"),
        "cloudformation": (
            tmp_path / "d.json",
            '{"AWSTemplateFormatVersion": "2010-09-09"}',
            "CloudFormation",
        ),
        "policy": (tmp_path / "e.json", json.dumps(OPEN_TRUST), "policy document"),
        "utf8": (tmp_path / "f.json", b'{"Roles": ["\xff"]}', "UTF-8"),
    }
    out = {}
    for name, (path, content, expected) in cases.items():
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        out[name] = (path, expected)
    out["missing"] = (tmp_path / "missing.json", "no such file")
    return out


@pytest.mark.parametrize(
    "case", ["not-json", "not-object", "unknown", "cloudformation", "policy", "utf8", "missing"]
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    path, expected = bad_inputs(tmp_path)[case]
    assert main(["scan", "--from-file", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"rafix: error: {path}: ")
    assert expected in err and "Traceback" not in err


def test_from_file_with_sandbox_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], export_file: Path
) -> None:
    assert main(["scan", "--from-file", str(export_file), "--sandbox", "somewhere"]) == 2
    assert "--from-file and --sandbox" in capsys.readouterr().err


def test_region_filters_rolesanywhere_resources_of_files(tmp_path: Path) -> None:
    anchors = [
        {"trustAnchorArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/{region}"}
        for region in ("us-east-1", "eu-west-1")
    ]
    path = tmp_path / "anchors.json"
    path.write_text(json.dumps({"trustAnchors": anchors}), encoding="utf-8")
    args = build_parser().parse_args(["scan", "--from-file", str(path), "--region", "eu-west-1"])
    inventory = load_inventory(source_from_args(args))
    assert [a.region for a in inventory.trust_anchors.values()] == ["eu-west-1"]
    assert inventory.regions == ["eu-west-1"]


# --- export and tui ---------------------------------------------------------------------------


def test_export_command_writes_files_that_scan_back(
    capsys: pytest.CaptureFixture[str], export_file: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "exported"
    assert main(["export", "--from-file", str(export_file), "--out", str(out_dir)]) == 0
    assert "iam.json (1 roles" in capsys.readouterr().out
    assert (
        json.loads((out_dir / "iam.json").read_text(encoding="utf-8"))["RoleDetailList"][0][
            "RoleName"
        ]
        == "ra-open"
    )


def test_export_reads_back_with_the_shell_glob_of_interface_md(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """INTERFACE.md: ``--from-file DIR/*.json`` reads an export back (the shell expands the
    glob to several files after one option)."""
    from remediations.sources.sandbox import demo_files

    account = [str(p) for p in demo_files() if p.name != "tags.json"]
    out_dir = tmp_path / "exported"
    assert main(["export", "--from-file", *account, "--out", str(out_dir)]) == 0
    capsys.readouterr()
    files = sorted(str(p) for p in out_dir.glob("*.json"))
    assert len(files) == 5  # iam, anchors, profiles, crls, subjects
    code = main(["scan", "--format", "json", "--from-file", *files])
    from_glob = json.loads(capsys.readouterr().out)["findings"]
    main(["scan", "--format", "json", "--from-file", *account])
    from_original = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1 and from_glob and from_glob == from_original


def test_tui_without_a_terminal_shows_the_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], export_file: Path
) -> None:
    fake_findings(monkeypatch, Severity.CRITICAL)
    assert main(["tui", "--from-file", str(export_file)]) == 0  # findings are no failure here
    out, _err = capsys.readouterr()
    assert "RA-TRUST-NO-SOURCEARN" in out


# --- the real thing, in a subprocess -----------------------------------------------------------


def run_rafix(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    env.pop("RAFIX_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "remediations", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_python_m_remediations_scan_json(export_file: Path) -> None:
    result = run_rafix("scan", "--from-file", str(export_file), "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    ids = {f["id"] for f in doc["findings"]}
    assert "RA-TRUST-NO-SUBJECT-CONDITION" in ids
    assert all(f["resource_arn"] == f"arn:aws:iam::{ACCOUNT}:role/ra-open" for f in doc["findings"])


def test_python_m_remediations_bad_file_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"RoleDetailList": [', encoding="utf-8")
    result = run_rafix("scan", "--from-file", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"rafix: error: {bad}: not valid JSON")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_every_command_of_the_parser_answers_without_a_traceback() -> None:
    """Each subcommand has a module; bad input is one line (exit 2), checked before the
    account is read (no credentials needed to be told)."""
    import subprocess
    import sys

    from remediations.cli.parser import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        __import__(f"remediations.cli.commands.{name}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "remediations",
            "onboard",
            "--workload",
            "a",
            "--env",
            "prod",
            "--team",
            "t",
            "--trust-anchor",
            "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/x",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr == (
        "rafix: error: --trust-anchor 'arn:aws:rolesanywhere:us-east-1:1:trust-anchor/x' is not "
        "a trust anchor ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)\n"
    )

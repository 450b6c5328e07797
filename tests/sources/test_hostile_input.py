"""Hostile input: oversized and endless inputs, reads that never come, values that are not
valid Unicode or not sane numbers, paths the system refuses, text that would drive the
terminal, partial reads that must not look clean, and credentials in server messages."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from remediations.cli import main
from remediations.cli.console import command_line
from remediations.errors import InputError
from remediations.inputs import InputLimits, read_input
from remediations.sources.offline import load_files
from remediations.sources.sandbox.faults import Fault, FaultInjector
from remediations.textsafe import for_json, for_terminal, is_safe, shown
from tests.shared import ra_trust

ACCOUNT = "111122223333"


def with_faults(monkeypatch: pytest.MonkeyPatch, *faults: Fault) -> None:
    """Every sandbox the code under test opens starts with these faults injected."""
    from remediations.sources.sandbox import account

    monkeypatch.setattr(account, "FaultInjector", lambda: FaultInjector(faults=list(faults)))


HOSTILE = "evil\x1b[2J\x1b]0;title\x07\nPlan: 0 change(s)\r\u202eedoc\u200b\x9b31m"


def role(name: str, trust: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "RoleId": "AROAEXAMPLE",
        "Path": "/",
        "AssumeRolePolicyDocument": trust if trust is not None else ra_trust(),
        **extra,
    }


def profile(name: str, duration: str = "3600") -> str:
    arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/{name}"
    return (
        f'{{"profileArn": "{arn}", "name": "{name}", "enabled": true, "roleArns": [], '
        f'"durationSeconds": {duration}}}'
    )


def anchor_json(name_literal: str, anchor_id: str = "a1") -> str:
    arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/{anchor_id}"
    return (
        f'{{"trustAnchorArn": "{arn}", "name": {name_literal}, "enabled": true, '
        '"source": {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:pca"}}}'
    )


# --- one small module for every terminal output ----------------------------------------------


@given(st.text())
def test_shown_is_one_line_with_no_control_character(text: str) -> None:
    out = shown(text, limit=None)
    assert is_safe(out)
    assert "\n" not in out and "\x1b" not in out and "\r" not in out
    if is_safe(text):
        assert out == text  # ordinary text is shown as it is


@given(st.text())
def test_for_terminal_keeps_only_newlines(text: str) -> None:
    out = for_terminal(text)
    assert all(is_safe(line) for line in out.split("\n"))
    assert out.count("\n") == text.count("\n")


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
@example({"name": "del\x7fhere", "plain": "ascii"})
def test_json_for_a_terminal_is_the_same_document(value: Any) -> None:
    for ascii_only in (False, True):  # ASCII JSON (a plan) may still hold DEL
        text = json.dumps(value, ensure_ascii=ascii_only)
        safe = for_json(text)
        assert json.loads(safe) == value
        assert all(is_safe(line) for line in safe.split("\n"))


def test_json_for_a_terminal_escapes_del_in_ascii_text() -> None:
    """DEL is the one ASCII character escaped: an all-ASCII text is not passed through as is
    when it holds one."""
    assert for_json('["a\x7fb"]') == '["a\\u007fb"]'
    assert for_json('["ab"]') == '["ab"]'


def test_long_values_keep_start_and_end() -> None:
    out = shown("a" * 4000 + "END", limit=200)
    assert len(out) < 260 and out.endswith("END") and "4,003 characters" in out


def test_hint_with_a_newline_runs_as_printed_in_bash() -> None:
    line = command_line("rafix", "apply", "plan\nPlan: 0.json")
    assert "\n" not in line
    assert line == "rafix apply $'plan\\nPlan: 0.json'"


# --- size cap and reads that never come ---------------------------------------------------


def test_regular_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2048)
    with pytest.raises(InputError, match="larger than the input limit") as info:
        read_input(path, InputLimits(max_bytes=1024))
    assert str(info.value).startswith(str(path)) and "RAFIX_MAX_INPUT_MIB" in str(info.value)


@pytest.mark.parametrize(("name", "minor"), [("zero", 5), ("urandom", 9)])
def test_endless_devices_stop_at_the_cap(tmp_path: Path, name: str, minor: int) -> None:
    """The kernel's zero and urandom devices (char 1:5 and 1:9), made in a temporary folder."""
    device = tmp_path / f"{name}.json"
    try:
        os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, minor))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot make a device node here")
    with pytest.raises(InputError, match="larger than the input limit"):
        read_input(device, InputLimits(max_bytes=64 * 1024, timeout=5))


def test_fifo_with_no_writer_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"nothing to read for 0\.2 s"):
        read_input(fifo, InputLimits(timeout=0.2))


def test_endless_fifo_stops_at_the_cap(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    stop = threading.Event()

    def writer() -> None:
        try:
            with open(fifo, "wb") as out:
                while not stop.is_set():
                    out.write(b"[" * 4096)
        except (BrokenPipeError, OSError):
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        with pytest.raises(InputError, match="larger than the input limit"):
            read_input(fifo, InputLimits(max_bytes=256 * 1024, timeout=10))
    finally:
        stop.set()
        thread.join(timeout=10)


def test_fifo_with_a_writer_is_read_whole(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    document = {"Roles": [role("app")]}

    def writer() -> None:
        with open(fifo, "w", encoding="utf-8") as out:
            json.dump(document, out)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    inventory = load_files([fifo], limits=InputLimits(timeout=10))
    thread.join(timeout=10)
    assert list(inventory.roles) == [f"arn:aws:iam::{ACCOUNT}:role/app"]


def test_cli_cap_from_the_environment_and_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"Roles": [role(f"r{i}") for i in range(40)]}), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text("[rafix]\nmax_input_mib = 0.001\n", encoding="utf-8")
    assert main(["scan", "--from-file", str(path), "--config", str(config)]) == 2
    assert "larger than the input limit of 1,048 bytes" in capsys.readouterr().err
    monkeypatch.setenv("RAFIX_MAX_INPUT_MIB", "1")  # the environment overrides the file
    assert main(["scan", "--from-file", str(path), "--config", str(config)]) == 1
    monkeypatch.setenv("RAFIX_MAX_INPUT_MIB", "lots")
    assert main(["scan", "--from-file", str(path)]) == 2
    assert "RAFIX_MAX_INPUT_MIB=lots: expected a number above 0" in capsys.readouterr().err


def test_config_file_rejects_a_bad_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[rafix]\ninput_timeout_seconds = "soon"\n', encoding="utf-8")
    assert main(["scan", "--from-file", str(tmp_path), "--config", str(config)]) == 2
    assert "input_timeout_seconds must be a number of seconds" in capsys.readouterr().err


def test_cli_fifo_as_from_file_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    monkeypatch.setenv("RAFIX_INPUT_TIMEOUT", "0.2")
    assert main(["scan", "--from-file", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing to read for 0.2 s" in err


# --- one bad value: a clear message or a warning, the rest scanned -------------------------


def test_lone_surrogate_in_an_anchor_name_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "anchors.json"
    bad = anchor_json('"bad\\ud800"')
    good = anchor_json('"good"', "a2")
    path.write_text(f'{{"trustAnchors": [{bad}, {good}]}}', encoding="utf-8")
    inventory = load_files([path])
    assert len(inventory.trust_anchors) == 2
    names = sorted(a.name for a in inventory.trust_anchors.values())
    assert names == ["bad\ufffd", "good"]
    [warning] = inventory.warnings
    assert "trustAnchors[0].name" in warning.message and "lone surrogate" in warning.message
    assert warning.resource_arn and warning.resource_arn.endswith("trust-anchor/a1")


def test_lone_surrogate_in_a_condition_value_scans_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trust = ra_trust()
    trust["Statement"][0]["Condition"] = {
        "StringLike": {"aws:PrincipalTag/x509Subject/CN": "PLACEHOLDER"}
    }
    text = json.dumps({"Roles": [role("odd", trust), role("plain")]}).replace(
        "PLACEHOLDER", "\\udfff*"
    )
    path = tmp_path / "roles.json"
    path.write_text(text, encoding="utf-8")
    out_file = tmp_path / "report.json"
    assert main(["scan", "--from-file", str(path), "--format", "json", "-o", str(out_file)]) == 1
    report = json.loads(out_file.read_text(encoding="utf-8"))
    arns = {f["resource_arn"] for f in report["findings"]}
    assert f"arn:aws:iam::{ACCOUNT}:role/plain" in arns
    assert any("lone surrogate" in w["message"] for w in report["warnings"])
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize("digits", [4300, 4301, 20000])
def test_huge_duration_is_a_warning_about_that_profile(tmp_path: Path, digits: int) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(
        f'{{"profiles": [{profile("huge", "9" * digits)}, {profile("fine")}]}}', encoding="utf-8"
    )
    inventory = load_files([path])
    assert len(inventory.profiles) == 2
    [warning] = inventory.warnings
    assert warning.resource_arn and warning.resource_arn.endswith("profile/huge")
    assert "durationSeconds" in warning.message and "AWS never returns" in warning.message
    huge = next(p for p in inventory.profiles.values() if p.name == "huge")
    assert huge.duration_seconds == 43200


def test_huge_duration_scans_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(f'{{"profiles": [{profile("huge", "9" * 4300)}]}}', encoding="utf-8")
    assert main(["scan", "--from-file", str(path), "--check", "RA-PROFILE-LONG-DURATION"]) == 1
    captured = capsys.readouterr()
    assert "RA-PROFILE-LONG-DURATION" in captured.out
    assert "internal error" not in captured.err


def test_too_long_path_is_one_short_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--from-file", "a" * 5000]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 600 and "cannot read" in err


def test_unreadable_folder_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "roles.json").write_text(json.dumps({"Roles": [role("app")]}), encoding="utf-8")
    real_scandir = os.scandir

    def denied(path: Any) -> Any:  # root reads any folder: deny it the way a user is denied
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    assert main(["scan", "--from-file", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == f"rafix: error: {folder}: cannot read this folder (permission denied)\n"


def test_unreadable_file_in_a_folder_makes_the_scan_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"Roles": [role("app")]}), encoding="utf-8")
    (folder / "b.json").write_text('{"Roles": [', encoding="utf-8")
    assert main(["scan", "--from-file", str(folder)]) == 2
    assert "the scan is incomplete" in capsys.readouterr().err
    assert main(["scan", "--from-file", str(folder), "--allow-partial"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("PARTIAL SCAN: 1 part(s) of the account were not read:")
    assert "b.json: not valid JSON" in " ".join(out.split()) and "role/app" in out


# --- terminal injection -----------------------------------------------------------------------


def test_table_and_warnings_escape_account_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "app" + HOSTILE.replace("/", "")
    path = tmp_path / "roles.json"
    trust = ra_trust()
    trust["Statement"][0]["Condition"] = {"StringLike": {"aws:PrincipalTag/x509Subject/CN": "*"}}
    bad = role(name, trust)
    broken = role("broken" + HOSTILE, "{not json")
    path.write_text(json.dumps({"RoleDetailList": [bad, broken], "Policies": []}), "utf-8")
    assert main(["scan", "--from-file", str(path)]) == 1
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and "\r" not in stream and "\u202e" not in stream
        assert "\x9b" not in stream
        assert not any(line.startswith("Plan: 0") for line in stream.splitlines())
    assert "evil\\x1b[2J" in captured.out


def test_error_naming_a_hostile_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x\n\x1b[31mPlan: 0 change(s).json"
    path.write_text("{", encoding="utf-8")
    assert main(["scan", "--from-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "x\\n\\x1b[31mPlan" in err


# --- a scan that read nothing never passes ----------------------------------------------------


def test_scan_with_every_read_denied_exits_2(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # every IAM and Roles Anywhere read of the sandbox the command opens is denied
    with_faults(monkeypatch, Fault("access-denied", service="[ir]*", times=10**6))
    assert main(["scan", "--sandbox", str(sandbox_dir)]) == 2
    err = capsys.readouterr().err
    assert "the scan is incomplete" in err and "--allow-partial" in err
    assert "No findings" not in err
    assert main(["scan", "--sandbox", str(sandbox_dir), "--format", "json", "--allow-partial"]) in (
        0,
        1,
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["complete"] is False
    assert {w["where"] for w in doc["not_read"]} >= {"iam:GetAccountAuthorizationDetails"}


def test_truncated_export_is_partial_in_sarif_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"Roles": [], "IsTruncated": True, "Marker": "m"}), "utf-8")
    assert main(["scan", "--from-file", str(path), "--format", "sarif"]) == 2
    assert "the export is partial" in capsys.readouterr().err
    assert main(["scan", "--from-file", str(path), "--format", "sarif", "--allow-partial"]) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["properties"]["partial"] is True and run["properties"]["notRead"]
    levels = [n["level"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert levels == ["error"]
    assert main(["scan", "--from-file", str(path), "--allow-partial"]) == 0
    out = capsys.readouterr().out
    assert "PARTIAL SCAN" in out and "No findings in what was read (the scan is partial)." in out


# --- credentials in server messages -----------------------------------------------------------


def test_server_error_echoing_credentials_is_redacted(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    echo = (
        "bad request; headers: Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
        "20261206/eu-west-1/iam/aws4_request, SignedHeaders=host, Signature=abcdef0123456789abcdef"
        " X-Amz-Security-Token: FwoGZXIvYXdzEXAMPLETOKENVALUE1234567890"
    )

    fault = Fault("error", service="iam", code="InvalidRequest", message=echo, status=400)
    fault.times = 99
    with_faults(monkeypatch, fault)
    code = main(["scan", "--sandbox", str(sandbox_dir)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "AKIAIOSFODNN7EXAMPLE" not in err and "FwoGZXIvYXdzEXAMPLETOKENVALUE" not in err
    assert "abcdef0123456789abcdef" not in err and "<redacted>" in err


def test_file_mode_unchanged_by_reading(tmp_path: Path) -> None:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"Roles": [role("app")]}), encoding="utf-8")
    path.chmod(0o640)
    load_files([path])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_plan_or_baseline_that_never_comes_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    monkeypatch.setenv("RAFIX_INPUT_TIMEOUT", "0.2")
    assert main(["apply", str(fifo), "--sandbox", str(tmp_path / "sb"), "--yes"]) == 2
    assert "nothing to read for 0.2 s" in capsys.readouterr().err
    data = tmp_path / "roles.json"
    data.write_text(json.dumps({"Roles": [role("app")]}), encoding="utf-8")
    assert main(["scan", "--from-file", str(data), "--baseline", str(fifo)]) == 2
    assert "--baseline" in capsys.readouterr().err

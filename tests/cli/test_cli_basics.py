"""The command line behaves like the tools security engineers already use: -V, one-line usage
errors, options before or after the command, help and examples everywhere, completion, and a
--from-file that does not swallow the next argument."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from remediations.cli import main
from remediations.cli.commands import completion
from remediations.cli.parser import build_parser, subparsers
from remediations.sources.sandbox.seed import STATE_FILES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [["-V"], ["--version"], ["scan", "-V"], ["plan", "--version"]])
def test_version(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    from remediations import __version__

    code, out, _ = run(capsys, *argv)
    assert code == 0 and out == f"rafix {__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--bogus"],
        ["scan", "--format", "xml"],
        ["frobnicate"],
        ["sandbox"],
        ["plan", "--cli-read-timeout", "-3"],
    ],
)
def test_a_usage_error_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("rafix: error: ")
    assert "usage:" not in err and "--help" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--quiet", "--no-color", "--debug", "--config", "c.toml", "scan", "--from-file", "x"],
        ["scan", "--from-file", "x", "--quiet", "--no-color", "--debug", "--config", "c.toml"],
        ["-q", "scan", "--config", "c.toml", "--from-file", "x", "--no-color", "--debug"],
    ],
)
def test_options_every_command_takes_go_before_or_after_it(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.quiet, args.no_color, args.debug, args.config) == (True, True, True, "c.toml")


def test_a_global_option_before_the_command_survives_its_defaults() -> None:
    args = build_parser().parse_args(["--config", "c.toml", "sandbox", "init", "sb"])
    assert args.config == "c.toml" and args.quiet is False


def test_every_option_of_every_command_has_help_and_every_command_examples() -> None:
    parser = build_parser()
    for command in [parser, *subparsers(parser)]:
        for action in command._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (command.prog, action.dest)
        if command.prog not in ("rafix", "rafix sandbox"):
            assert command.epilog and "examples:" in command.epilog, command.prog
            assert "rafix " in command.format_help().split("examples:")[1]


@pytest.mark.parametrize("spelling", ["--output", "--out", "-o"])
@pytest.mark.parametrize("name", ["scan", "plan", "export"])
def test_output_is_spelled_every_way_everywhere(name: str, spelling: str) -> None:
    args = build_parser().parse_args([name, "--from-file", "x", spelling, "target"])
    assert (getattr(args, "output", None) or getattr(args, "out", None)) == "target"


# --- --from-file and the next positional ---------------------------------------------------


def test_from_file_does_not_swallow_the_sandbox_dir(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "exp"
    exports.mkdir()
    for name in STATE_FILES:
        shutil.copy(sandbox_dir / "state" / name, exports / name)
    files = sorted(str(p) for p in exports.glob("*.json"))
    target = tmp_path / "sb"
    code, out, err = run(capsys, "sandbox", "init", "--from-file", *files, str(target))
    assert code == 0, err
    assert (target / "state").is_dir() and "from the files given" in out
    other = tmp_path / "sb2"
    code, _, err = run(capsys, "sandbox", "init", "--from-file", *files, "--", str(other))
    assert code == 0, err
    assert (other / "state").is_dir()


def test_from_file_does_not_swallow_the_plan_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exports = tmp_path / "exp"
    exports.mkdir()
    (exports / "iam.json").write_text(json.dumps({"RoleDetailList": [], "Policies": []}))
    plan = tmp_path / "plan.json"
    assert run(capsys, "plan", "--from-file", str(exports), "--out", str(plan))[0] == 0
    code, _, err = run(capsys, "apply", "--from-file", str(exports), str(plan))
    assert code == 1, err
    assert "--from-file is read-only" in err and "required" not in err
    args = build_parser().parse_args(["apply", "--from-file", str(exports), str(plan)])
    from remediations.cli.parser import fix_swallowed_positional

    fix_swallowed_positional(build_parser(), args)
    assert args.plan_file == str(plan) and args.from_files == [str(exports)]


def test_a_missing_positional_is_still_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "apply", "--from-file", "exp")
    assert code == 2 and len(err.splitlines()) == 1
    assert "required: PLAN.json" in err
    code, _, err = run(capsys, "sandbox", "init")
    assert code == 2 and "required: DIR" in err


# --- completion ----------------------------------------------------------------------------


def _bash_complete(script: Path, *words: str) -> list[str]:
    probe = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        "COMP_CWORD=$((${#COMP_WORDS[@]}-1))\n"
        "_rafix\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_options_and_choices(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, script_text, _ = run(capsys, "completion", "bash")
    assert code == 0
    script = tmp_path / "rafix.bash"
    script.write_text(script_text)
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    assert "scan" in _bash_complete(script, "rafix", "")
    assert _bash_complete(script, "rafix", "scan", "--sev") == ["--severity"]
    assert _bash_complete(script, "rafix", "scan", "--format", "") == ["table", "json", "sarif"]
    assert _bash_complete(script, "rafix", "-q", "plan", "--format", "j") == ["json"]
    assert _bash_complete(script, "rafix", "sandbox", "init", "--fo") == ["--force"]
    assert _bash_complete(script, "rafix", "completion", "f") == ["fish"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_loads_and_completes_in_zsh(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The zsh script (bash completion through bashcompinit) loads in a bare zsh and offers
    the options of the command typed, leaving the caller's PATH as it was."""
    code, script_text, _ = run(capsys, "completion", "zsh")
    assert code == 0
    script = tmp_path / "rafix.zsh"
    script.write_text(script_text)
    probe = (
        f"source {script}\n"
        # bashcompinit's _bash_complete calls the function under `emulate -L sh` (0-based
        # arrays); so does this probe.
        "probe() { emulate -L sh; COMP_WORDS=(rafix scan --sev); COMP_CWORD=2; _rafix; }\n"
        "probe\n"
        'print -l -- "${COMPREPLY[@]}"\n'
        'print -- "PATH=$PATH"\n'
    )
    done = subprocess.run(
        ["zsh", "-f", "-c", probe],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    *offered, path_after = done.stdout.splitlines()
    # zsh filters by the typed prefix itself (compadd); the options of `scan` are offered.
    assert "--severity" in offered and "plan" not in offered
    assert path_after == "PATH=/usr/bin:/bin"


def test_zsh_and_fish_completion_are_generated_from_the_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0 and "bashcompinit" in zsh and "_rafix()" in zsh
    code, fish, _ = run(capsys, "completion", "fish")
    assert code == 0
    assert "complete -c rafix -n __fish_use_subcommand -a scan" in fish
    assert "-l severity" in fish and "-l fail-on" in fish and "-s V" in fish
    every_command = completion.commands(build_parser())
    assert {c.path for c in every_command} >= {("scan",), ("sandbox", "init"), ("completion",)}


# --- colour ----------------------------------------------------------------------------------


def test_plan_diffs_are_coloured_only_on_a_terminal_without_no_color(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    tty = Tty()
    monkeypatch.setattr("sys.stdout", tty)
    assert main(["plan", "--sandbox", str(sandbox_dir)]) == 0
    coloured = tty.getvalue()
    assert "\x1b[32m+" in coloured and "\x1b[31m-" in coloured
    for flag_or_env in ("--no-color", "NO_COLOR"):
        tty = Tty()
        monkeypatch.setattr("sys.stdout", tty)
        if flag_or_env == "NO_COLOR":
            monkeypatch.setenv("NO_COLOR", "1")
            assert main(["plan", "--sandbox", str(sandbox_dir)]) == 0
        else:
            assert main(["--no-color", "plan", "--sandbox", str(sandbox_dir)]) == 0
        assert "\x1b[" not in tty.getvalue()
    from remediations.cli import console

    console.configure()
    plain = io.StringIO()
    monkeypatch.setattr("sys.stdout", plain)
    assert main(["plan", "--sandbox", str(sandbox_dir)]) == 0
    assert "\x1b[" not in plain.getvalue()  # not a terminal


def test_progress_shows_on_a_terminal_only_and_not_when_quiet() -> None:
    import io

    from remediations.cli import console
    from remediations.progress import Progress as Step
    from remediations.progress import Stage

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    console.configure()
    tty = Tty()
    with console.Progress("reading the account", stream=tty) as progress:
        progress.start("connecting")
        progress.callback()(Step(Stage.LOAD, "rolesanywhere:ListProfiles in eu-west-1", 6, 6))
    shown = tty.getvalue()
    assert "reading the account: connecting" in shown
    assert "6/6 rolesanywhere:ListProfiles in eu-west-1" in shown
    assert shown.endswith("\r\x1b[K")  # cleared before the report is printed
    plain = io.StringIO()
    with console.Progress("reading", stream=plain) as progress:
        progress.start("connecting")
    assert plain.getvalue() == ""
    console.configure(quiet=True)
    quiet = Tty()
    with console.Progress("reading", stream=quiet) as progress:
        progress.start("connecting")
    console.configure()
    assert quiet.getvalue() == ""

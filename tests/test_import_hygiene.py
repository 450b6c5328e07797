"""The core never loads Textual or Rich, and the offline scan never loads boto3/botocore.

Each check runs in a fresh interpreter: ``sys.modules`` of the test process already holds
whatever other tests imported.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import remediations

ROOT = Path(__file__).resolve().parents[1]
UI_MODULES = ("textual", "rich")
AWS_MODULES = ("boto3", "botocore")
#: The boto3 edge (ARCHITECTURE.md): the only modules allowed to import boto3/botocore/moto.
AWS_EDGE = (
    "remediations.sources.aws",
    "remediations.sources.organization",
    "remediations.sources.sandbox",
)


def core_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(remediations.__path__, prefix="remediations.")
        if info.name != "remediations.__main__"
    ]
    assert "remediations.report" in names and "remediations.sources.offline" in names
    return sorted(names)


def loaded_after(code: str) -> set[str]:
    """Top-level package names in ``sys.modules`` after running ``code`` in a new interpreter."""
    script = (
        code
        + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAFIX_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_no_core_module_imports_textual_or_rich() -> None:
    imports = "\n".join(f"import {name}" for name in core_modules())
    loaded = loaded_after(imports)
    assert not loaded & set(UI_MODULES), sorted(loaded & set(UI_MODULES))


def test_core_outside_the_aws_edge_does_not_import_boto3() -> None:
    names = [n for n in core_modules() if not n.startswith(AWS_EDGE)]
    loaded = loaded_after("\n".join(f"import {name}" for name in names))
    assert not loaded & set(AWS_MODULES), sorted(loaded & set(AWS_MODULES))


def test_offline_scan_loads_neither_boto3_nor_the_ui(tmp_path: Path) -> None:
    export = tmp_path / "gaad.json"
    role = {
        "RoleName": "r",
        "Arn": "arn:aws:iam::111122223333:role/r",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    }
    export.write_text(json.dumps({"RoleDetailList": [role]}), encoding="utf-8")
    out = tmp_path / "report.json"
    code = (
        "from remediations.cli import main\n"
        f"code = main(['scan', '--from-file', {str(export)!r}, '--format', 'json', '-o', {str(out)!r}])\n"
        "assert code in (0, 1), code\n"
    )
    loaded = loaded_after(code)
    assert json.loads(out.read_text(encoding="utf-8"))["findings"], (
        "the scan ran and found something"
    )
    assert not loaded & {*UI_MODULES, *AWS_MODULES}, sorted(loaded & {*UI_MODULES, *AWS_MODULES})


#: What ``tui/`` may import from the core: the facade and the typed data it hands out (the same
#: rule as the import-linter contract in pyproject.toml, as an allow-list).
APP_MAY_IMPORT = frozenset(
    {
        "remediations",
        "remediations.answers",
        "remediations.apply.results",
        "remediations.apply.snapshots",
        "remediations.catalog",
        "remediations.errors",
        "remediations.findings",
        "remediations.managed",
        "remediations.model",
        "remediations.onboarding",
        "remediations.plan",
        "remediations.progress",
        "remediations.render_text",
        "remediations.report",
        "remediations.session",
        "remediations.settings",
        "remediations.source",
    }
)


def test_the_app_imports_only_the_facade_and_typed_data() -> None:
    import ast

    seen: dict[str, str] = {}
    for path in (ROOT / "tui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("remediations") and name not in APP_MAY_IMPORT:
                    seen[name] = str(path.relative_to(ROOT))
    assert seen == {}

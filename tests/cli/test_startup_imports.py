"""``rafix scan --from-file`` starts with only what a scan needs: not the access map, the write
path, plans, organisations or the plan/apply renderers (the facade imports those when they
are used, and still offers their types by name)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import remediations.session as session

NOT_FOR_A_SCAN = (
    "remediations.access",
    "remediations.apply",
    "remediations.org_facade",
    "remediations.plan",
    "remediations.proposals",
    "remediations.render_text",
    "jinja2",
    "deepdiff",
    "boto3",
)


def test_a_file_scan_imports_only_what_it_needs(tmp_path: Path) -> None:
    export = tmp_path / "roles.json"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            }
        ],
    }
    role = {
        "RoleName": "app",
        "Arn": "arn:aws:iam::111122223333:role/app",
        "Path": "/",
        "AssumeRolePolicyDocument": trust,
    }
    export.write_text(json.dumps({"Roles": [role]}))
    script = (
        "import sys\n"
        "from remediations.cli import main\n"
        "code = main(['scan', '--from-file', sys.argv[1], '--format', 'json', "
        "'--output', sys.argv[2]])\n"
        "print(' '.join(sorted(sys.modules)))\n"
        "sys.exit(0 if code in (0, 1) else code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(export), str(tmp_path / "report.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = done.stdout.split()
    assert "remediations.checks.run" in modules  # the scan did run
    assert json.loads((tmp_path / "report.json").read_text())["findings"]
    loaded = [m for m in modules if m.startswith(NOT_FOR_A_SCAN)]
    assert loaded == []


def test_the_facade_still_offers_its_types_by_name() -> None:
    from remediations.access import AccessMap
    from remediations.org_facade import AccountSummary

    assert session.AccessMap is AccessMap
    assert session.AccountSummary is AccountSummary
    for name in session.__all__:
        assert getattr(session, name) is not None

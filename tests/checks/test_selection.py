"""Choosing what a scan reports: --severity, --check, --baseline and suppressions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.catalog import CATALOG, spec
from remediations.errors import InputError
from remediations.findings import Finding, Severity
from remediations.report import render_json, render_sarif, render_table
from remediations.selection import (
    Selection,
    Suppression,
    baseline_keys,
    check_patterns,
    load_baseline,
    parse_severities,
    parse_suppressions,
    select_findings,
)
from remediations.settings import config_path, default_config_path, load_settings

ACCOUNT = "111122223333"
OTHER = "444455556666"
LEGACY = f"arn:aws:iam::{ACCOUNT}:role/legacy-app"
APP = f"arn:aws:iam::{ACCOUNT}:role/app"
FOREIGN = f"arn:aws:iam::{OTHER}:role/legacy-app"
PROFILE = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p-1"
TODAY = date(2026, 12, 3)


def findings() -> list[Finding]:
    return [
        spec("RA-TRUST-NO-SUBJECT-CONDITION").finding(LEGACY, "a", region="global"),
        spec("RA-TRUST-NO-SUBJECT-CONDITION").finding(APP, "b", region="global"),
        spec("RA-TRUST-NO-SUBJECT-CONDITION").finding(FOREIGN, "c", region="global"),
        spec("RA-PROFILE-LONG-DURATION").finding(
            PROFILE, "d", region="eu-west-1", severity=Severity.MEDIUM
        ),
    ]


def suppression(**kw: object) -> Suppression:
    values: dict[str, object] = {"id": "RA-TRUST-*", "reason": "Migrating; SEC-123"}
    values.update(kw)
    return Suppression(**values)  # type: ignore[arg-type]


def test_a_suppression_moves_matching_findings_out_with_its_reason() -> None:
    rule = suppression(resource=f"arn:aws:iam::{ACCOUNT}:role/legacy-*", account=ACCOUNT)
    result = select_findings(findings(), Selection(suppressions=(rule,)), today=TODAY)
    assert [f.resource_arn for f in result.findings] == [APP, FOREIGN, PROFILE]
    assert [s.finding.resource_arn for s in result.suppressed] == [LEGACY]
    assert result.suppressed[0].to_json()["reason"] == "Migrating; SEC-123"
    assert not result.warnings


def test_the_account_limits_a_suppression() -> None:
    rule = suppression(resource="arn:aws:iam::*:role/legacy-*", account=OTHER)
    result = select_findings(findings(), Selection(suppressions=(rule,)), today=TODAY)
    assert [s.finding.resource_arn for s in result.suppressed] == [FOREIGN]


def test_an_expired_suppression_stops_applying_and_warns() -> None:
    rule = suppression(expires=date(2026, 12, 2), origin="c.toml: suppress entry 1")
    result = select_findings(findings(), Selection(suppressions=(rule,)), today=TODAY)
    assert len(result.findings) == 4 and not result.suppressed
    assert len(result.warnings) == 1
    assert "expired on 2026-12-02" in str(result.warnings[0])
    assert result.warnings[0].where == "c.toml: suppress entry 1"
    # the expiry day itself still applies
    still = select_findings(
        findings(), Selection(suppressions=(suppression(expires=TODAY),)), today=TODAY
    )
    assert len(still.suppressed) == 3 and not still.warnings


def test_severity_and_check_choose_what_is_reported() -> None:
    only_medium = Selection(severities=parse_severities("medium"))
    assert [f.id for f in select_findings(findings(), only_medium).findings] == [
        "RA-PROFILE-LONG-DURATION"
    ]
    trust = Selection(checks=check_patterns(["ra-trust-*"], CATALOG))
    result = select_findings(findings(), trust)
    assert len(result.findings) == 3 and result.filtered_out == 1
    assert parse_severities(["critical,high", "low"]) == {
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.LOW,
    }


@pytest.mark.parametrize("bad", ["urgent", ",", "critical,nope"])
def test_an_unknown_severity_is_one_clear_error(bad: str) -> None:
    with pytest.raises(InputError, match="--severity"):
        parse_severities(bad)


def test_a_check_pattern_that_matches_nothing_is_refused() -> None:
    with pytest.raises(InputError, match="--check RA-TRUST-NOPE: matches no finding ID"):
        check_patterns(["RA-TRUST-NOPE"], CATALOG)


def test_baseline_reports_only_new_findings(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.json"
    earlier.write_text(render_json(findings()[:2]))
    baseline = load_baseline(earlier)
    result = select_findings(findings(), Selection(baseline=baseline))
    assert [f.resource_arn for f in result.findings] == [FOREIGN, PROFILE]
    assert result.in_baseline == 2


def test_baseline_matches_on_id_resource_and_account() -> None:
    doc = {"findings": [{"id": "RA-TRUST-NO-SUBJECT-CONDITION", "resource_arn": LEGACY}]}
    keys = baseline_keys(doc)
    assert keys == {("RA-TRUST-NO-SUBJECT-CONDITION", LEGACY, ACCOUNT)}
    other_account = {
        "findings": [
            {
                "id": "RA-TRUST-NO-SUBJECT-CONDITION",
                "resource_arn": LEGACY,
                "account_id": OTHER,
            }
        ]
    }
    result = select_findings(findings(), Selection(baseline=baseline_keys(other_account)))
    assert len(result.findings) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not JSON"), ('{"runs": []}', "not a rafix JSON report")],
)
def test_a_bad_baseline_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_baseline(path)
    with pytest.raises(InputError, match="cannot read"):
        load_baseline(tmp_path / "missing.json")


CONFIG = """
[rafix]
max_session_duration = 7200

[[rafix.suppress]]
id = "RA-TRUST-NO-SOURCEARN"
resource = "arn:aws:iam::111122223333:role/legacy-*"
account = "111122223333"
reason = "Migrating in Q1; ticket SEC-123"
expires = 2027-03-31
"""


def test_suppressions_read_from_the_config_file_as_interface_md_shows(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    loaded = load_settings(str(path))
    assert loaded.max_session_duration == 7200
    (rule,) = loaded.suppress
    assert rule.id == "RA-TRUST-NO-SOURCEARN" and rule.expires == date(2027, 3, 31)
    assert rule.account == ACCOUNT and rule.reason.startswith("Migrating")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "RA-TRUST-*"}, "reason is required"),
        ({"id": "RA-TRUST-*", "reason": "  "}, "reason must not be empty"),
        ({"reason": "x"}, "id is required"),
        ({"id": "X", "reason": "x", "until": "2027-01-01"}, "unknown key"),
        ({"id": "X", "reason": "x", "expires": "next year"}, "expires must be a date"),
        ({"id": "X", "reason": "x", "account": "123"}, "12-digit"),
    ],
)
def test_a_bad_suppression_is_one_clear_error(entry: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message) as error:
        parse_suppressions([entry], "config.toml")
    assert str(error.value).startswith("config.toml: suppress entry 1")


def test_config_file_default_is_xdg_config_home_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() is None
    default = default_config_path()
    assert default == tmp_path / "xdg" / "rafix" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text("[rafix]\nmax_session_duration = 100\n")
    assert load_settings().max_session_duration == 100
    other = tmp_path / "other.toml"
    other.write_text("[rafix]\nmax_session_duration = 200\n")
    monkeypatch.setenv("RAFIX_CONFIG", str(other))
    assert load_settings().max_session_duration == 200
    assert load_settings(str(default)).max_session_duration == 100  # --config wins
    monkeypatch.delenv("RAFIX_CONFIG")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_config_path() == tmp_path / "home" / ".config" / "rafix" / "config.toml"


def _selected() -> tuple[list[Finding], list[object]]:
    rule = suppression(resource=LEGACY, expires=date(2027, 3, 31), origin="c.toml: entry 1")
    result = select_findings(findings(), Selection(suppressions=(rule,)), today=TODAY)
    return result.findings, list(result.suppressed)


def test_json_lists_suppressed_findings_with_reason_and_expiry() -> None:
    kept, suppressed = _selected()
    doc = json.loads(render_json(kept, suppressed=suppressed, in_baseline=2))
    assert [f["resource_arn"] for f in doc["suppressed"]] == [LEGACY]
    item = doc["suppressed"][0]
    assert item["reason"] == "Migrating; SEC-123" and item["expires"] == "2027-03-31"
    assert item["id"] == "RA-TRUST-NO-SUBJECT-CONDITION"
    assert LEGACY not in [f["resource_arn"] for f in doc["findings"]]
    assert doc["summary"]["suppressed"] == 1 and doc["summary"]["in_baseline"] == 2


def test_sarif_marks_suppressed_results_with_valid_suppression_objects() -> None:
    kept, suppressed = _selected()
    run = json.loads(render_sarif(kept, suppressed=suppressed))["runs"][0]
    results = run["results"]
    assert len(results) == 4
    marked = [r for r in results if "suppressions" in r]
    assert len(marked) == 1
    (entry,) = marked[0]["suppressions"]
    # SARIF 2.1.0 section 3.35: kind is required (inSource | external); status one of three.
    assert entry["kind"] == "external" and entry["status"] == "accepted"
    assert entry["justification"] == "Migrating; SEC-123"
    assert entry["properties"]["expires"] == "2027-03-31"
    assert set(entry) <= {"kind", "status", "justification", "guid", "location", "properties"}
    assert marked[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == LEGACY


def test_table_summary_counts_and_lists_suppressed_findings() -> None:
    kept, suppressed = _selected()
    text = render_table(kept, [], suppressed=suppressed, in_baseline=2, color=False)
    assert "3 findings: 2 high, 1 medium; 1 suppressed, 2 in the baseline." in text
    tail = text[text.index("Suppressed (1):") :]
    assert LEGACY in tail and "reason: Migrating; SEC-123, until 2027-03-31" in tail


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(st.sampled_from(["RA-TRUST-*", "RA-PROFILE-*", "RA-*", "RA-TA-*"]), max_size=3),
    severities=st.sets(st.sampled_from(list(Severity))),
    suppress=st.booleans(),
)
def test_selection_partitions_the_findings(
    picks: list[str], severities: set[Severity], suppress: bool
) -> None:
    """Every finding is reported, suppressed or left out, exactly once; order is kept."""
    rules = (suppression(resource=LEGACY),) if suppress else ()
    selection = Selection(frozenset(severities), tuple(picks), None, rules)
    result = select_findings(findings(), selection, today=TODAY)
    total = len(result.findings) + len(result.suppressed) + result.filtered_out
    assert total == len(findings())
    kept_order = [f for f in findings() if f in result.findings]
    assert result.findings == kept_order
    assert all(selection.wants(f) for f in result.findings)


def test_plan_leaves_accepted_risks_alone_unless_asked(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path, tmp_path: Path
) -> None:
    """A suppression accepts a risk: ``rafix plan`` does not fix it (and says so), the plan file
    lists it, and ``--include-suppressed`` plans it like any other finding."""
    from remediations.cli import main

    role = "arn:aws:iam::111122223333:role/ra-build-agents"
    config = tmp_path / "config.toml"
    config.write_text(
        "[[rafix.suppress]]\n"
        'id = "RA-TRUST-NO-SOURCEARN"\n'
        f'resource = "{role}"\n'
        'reason = "Build agents move anchors in Q1; SEC-9"\n',
        encoding="utf-8",
    )

    def planned(*extra: str) -> tuple[dict[str, Any], str]:
        code = main(["plan", "--sandbox", str(sandbox_dir), "--format", "json", *extra])
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out), err

    def fixes(plan: dict[str, Any]) -> set[tuple[str, str]]:
        return {(i, c["resource_arn"]) for c in plan["changes"] for i in c["finding_ids"]}

    key = ("RA-TRUST-NO-SOURCEARN", role)
    plain, _ = planned()
    assert key in fixes(plain)
    accepted, err = planned("--config", str(config))
    assert key not in fixes(accepted)
    assert fixes(accepted) == fixes(plain) - {key}
    assert accepted["suppressed"] == [
        {
            "id": "RA-TRUST-NO-SOURCEARN",
            "resource_arn": role,
            "reason": "Build agents move anchors in Q1; SEC-9",
        }
    ]
    assert "1 finding(s) accepted by suppressions" in err and "--include-suppressed" in err
    code = main(["plan", "--sandbox", str(sandbox_dir), "--config", str(config)])
    text = capsys.readouterr().out
    assert code == 0
    assert (
        f"Accepted by suppressions in the config file (not planned):\n  {key[0]} on {role}\n"
        in text
    )
    both, _ = planned("--config", str(config), "--include-suppressed")
    assert fixes(both) == fixes(plain) and both["suppressed"] == []

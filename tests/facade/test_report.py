"""Report renderers: table, JSON (INTERFACE.md schema) and SARIF 2.1.0 for GitHub."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.catalog import CATALOG, spec
from remediations.findings import Finding, Severity
from remediations.model import SourceWarning
from remediations.report import (
    fingerprint,
    render_json,
    render_sarif,
    render_table,
    resource_uri,
    summary_line,
    use_color,
)

ROLE = "arn:aws:iam::111122223333:role/team/ra-Zoë-🚀"
PROFILE = "arn:aws:rolesanywhere:eu-west-1:111122223333:profile/0f4d8020-bfdb"
ANCHOR = "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/ta-1"


def findings() -> list[Finding]:
    return [
        spec("RA-TRUST-NO-SUBJECT-CONDITION").finding(
            ROLE, "No CN pin.", region="global", severity=Severity.CRITICAL
        ),
        spec("RA-PROFILE-LONG-DURATION").finding(
            PROFILE,
            "43200 s.",
            region="eu-west-1",
            severity=Severity.MEDIUM,
            evidence={"duration": 43200},
        ),
        spec("RA-TA-EXTERNAL-CA").finding(
            ANCHOR, "Unknown CA.", region="eu-west-1", severity=Severity.MEDIUM
        ),
        spec("RA-INPUT-MALFORMED-POLICY").finding(
            ROLE, "Trust policy: bad.", region="global", severity=Severity.INFO
        ),
    ]


WARNINGS: list[SourceWarning | str] = [
    SourceWarning("the export is partial", where="gaad.json"),
    "plain text warning",
]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- table ---------------------------------------------------------------------------------


def test_table_shows_id_region_account_arn_and_title_per_finding() -> None:
    text = render_table(findings(), WARNINGS, names={PROFILE: "Read Only"}, color=False)
    lines = text.splitlines()
    assert lines[0].split() == ["SEVERITY", "ID", "REGION", "ACCOUNT"]
    region_col, account_col = lines[0].index("REGION"), lines[0].index("ACCOUNT")
    assert lines[1].startswith("CRITICAL  RA-TRUST-NO-SUBJECT-CONDITION")
    assert lines[1][region_col:].split() == ["global", "111122223333"]
    assert lines[1][account_col:] == "111122223333"
    assert lines[2].strip() == ROLE  # the ARN ends with the role's name: shown once
    assert lines[3].strip() == findings()[0].title
    assert lines[4].startswith("MEDIUM    RA-PROFILE-LONG-DURATION")
    assert lines[5].strip() == "Read Only" and lines[6].strip() == PROFILE
    assert all(len(line) <= 80 for line in lines)
    assert not ANSI.search(text)


def test_table_never_breaks_a_word_or_an_arn_inside_a_segment() -> None:
    long_arn = (
        "arn:aws:rolesanywhere:eu-west-1:111122223333:profile/0f4d8020-bfdb-4c7e-9d4c-1234567890ab"
    )
    finding = spec("RA-PROFILE-LONG-DURATION").finding(
        long_arn, "x", region="eu-west-1", severity=Severity.MEDIUM
    )
    text = render_table([finding], [], names={long_arn: "ci"}, color=False, width=60)
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    arn_lines = [line.strip() for line in lines if line.strip().startswith("arn:")]
    following = lines[lines.index(next(x for x in lines if x.strip() == arn_lines[0])) + 1]
    assert "".join([arn_lines[0], following.strip()]) == long_arn  # split after a "/"
    assert arn_lines[0].endswith(("/", ":"))


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=30),
        min_size=1,
        max_size=30,
    ),
    width=st.integers(min_value=40, max_value=120),
)
def test_table_wraps_titles_on_word_boundaries_only(words: list[str], width: int) -> None:
    from remediations.report import wrap

    indent = "          "
    lines = wrap(" ".join(words), indent, width)
    assert [w for line in lines for w in line.split()] == words  # no word split or lost
    for line in lines:
        assert len(line) <= width or len(line.split()) == 1  # only a lone long word overflows


def test_table_summary_and_warnings_follow() -> None:
    text = render_table(findings(), WARNINGS, color=False)
    assert "4 findings: 1 critical, 2 medium, 1 info" in text
    tail = text[text.index("4 findings") :]
    assert "Warnings (2):" in tail and "  - gaad.json: the export is partial" in tail
    assert "  - plain text warning" in tail


def test_table_without_findings() -> None:
    assert render_table([], [], color=False) == "No findings.\n"


def test_table_colours_only_the_severity_cell() -> None:
    coloured = render_table(findings(), [], color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == render_table(findings(), [], color=False)


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_use_color_needs_a_tty_and_no_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(FakeStream(tty=True))
    assert not use_color(FakeStream(tty=False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(FakeStream(tty=True))


def test_summary_line_singular() -> None:
    assert summary_line(findings()[:1]) == "1 finding: 1 critical"


# --- JSON ----------------------------------------------------------------------------------


def test_json_follows_the_interface_schema() -> None:
    doc = json.loads(render_json(findings(), WARNINGS))
    assert doc["schema"] == "rafix.findings/v1"
    required = {
        "id",
        "severity",
        "resource_arn",
        "resource_type",
        "region",
        "title",
        "detail",
        "fix",
    }
    for item, finding in zip(doc["findings"], findings(), strict=True):
        assert required <= set(item)
        assert item["id"] == finding.id and item["resource_arn"] == finding.resource_arn
        assert item["severity"] in {"critical", "high", "medium", "low", "info"}
    assert doc["findings"][0]["severity"] == "critical"
    assert doc["findings"][1]["evidence"] == {"duration": 43200}
    assert doc["findings"][0]["resource_type"] == "AWS::IAM::Role"
    assert doc["summary"] == {
        "total": 4,
        "by_severity": {"critical": 1, "high": 0, "medium": 2, "low": 0, "info": 1},
        "suppressed": 0,
        "in_baseline": 0,
    }
    assert doc["suppressed"] == []
    assert doc["warnings"][0] == {
        "message": "the export is partial",
        "where": "gaad.json",
        "resource_arn": None,
    }


def test_json_keeps_unicode_readable() -> None:
    assert "ra-Zoë-🚀" in render_json(findings())


# --- SARIF ---------------------------------------------------------------------------------


def sarif(**kwargs: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_sarif(findings(), **kwargs))
    return doc


def test_sarif_top_level_and_driver() -> None:
    doc = sarif()
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"]
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "rafix" and driver["version"]
    # No link to a page that does not exist.
    assert "informationUri" not in driver


def test_sarif_has_one_rule_per_catalog_id() -> None:
    rules = sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CATALOG)
    for rule in rules:
        entry = CATALOG[rule["id"]]
        assert rule["shortDescription"]["text"] == entry.title
        assert rule["fullDescription"]["text"] == entry.explanation
        assert entry.fix in rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        score = float(rule["properties"]["security-severity"])
        assert 0.0 < score <= 10.0
        assert "security" in rule["properties"]["tags"]


def test_sarif_results_point_at_their_rule_with_levels_and_locations() -> None:
    doc = sarif(names={PROFILE: "Read Only"})
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == 4
    for result, finding in zip(results, findings(), strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.id
        assert result["message"]["text"]
        [location] = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"]
        assert location["logicalLocations"][0]["fullyQualifiedName"] == finding.resource_arn
        assert result["partialFingerprints"]
    assert [r["level"] for r in results] == ["error", "warning", "warning", "note"]
    assert results[1]["locations"][0]["logicalLocations"][0]["name"] == "Read Only"


def test_sarif_levels_follow_the_finding_not_only_the_rule() -> None:
    # RA-TRUST-NO-SUBJECT-CONDITION defaults to high; this finding was raised to critical.
    result = sarif()["runs"][0]["results"][0]
    assert result["properties"]["security-severity"] == "9.5"


def test_sarif_uri_is_the_source_file_when_given() -> None:
    results = sarif(source_uri="exports/iam.json")["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "exports/iam.json"
    }


def test_resource_uri_is_a_relative_path_per_resource() -> None:
    assert resource_uri(PROFILE) == "aws/111122223333/eu-west-1/profile/0f4d8020-bfdb"
    assert resource_uri(ROLE).startswith("aws/111122223333/role/team/ra-Zo%C3%AB")
    assert " " not in resource_uri("arn:aws:rolesanywhere:us-east-1:1:profile/a b")


def test_fingerprints_are_stable_per_id_and_resource() -> None:
    first, *_rest, malformed = findings()
    same = spec("RA-TRUST-NO-SUBJECT-CONDITION").finding(ROLE, "Different words.", region="global")
    assert fingerprint(first) == fingerprint(same)
    assert fingerprint(first) != fingerprint(malformed)  # same role, other ID
    fingerprints = [r["partialFingerprints"] for r in sarif()["runs"][0]["results"]]
    assert fingerprints == [r["partialFingerprints"] for r in sarif()["runs"][0]["results"]]


def test_sarif_reports_source_warnings_as_notifications() -> None:
    [invocation] = sarif(warnings=WARNINGS)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert texts == ["gaad.json: the export is partial", "plain text warning"]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "caf\u00e9", "\u2028", "\x7f", "\\", '"', "\ud83d\ude00", "/", "\x00"]
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def _findings(draw: st.DrawFn) -> Finding:
    from remediations.managed import ManagedBy

    entry = spec(draw(st.sampled_from(sorted(CATALOG))))
    shared = st.sampled_from([entry.title, entry.fix, "", "x"])
    managed = draw(
        st.none() | st.builds(ManagedBy, _TEXT, _TEXT, _TEXT, st.none() | _TEXT, st.none() | _TEXT)
    )
    return Finding(
        id=draw(st.sampled_from([entry.id, "RA-X"])),
        severity=draw(st.sampled_from(list(Severity))),
        resource_arn=draw(_TEXT | st.just("arn:aws:iam::111122223333:role/a")),
        resource_type=draw(_TEXT),
        region=draw(st.sampled_from(["global", "eu-west-1", ""]) | _TEXT),
        title=draw(shared | _TEXT),
        detail=draw(_TEXT),
        fix=draw(shared | _TEXT),
        evidence=draw(st.dictionaries(_TEXT, _JSON_VALUES, max_size=4)),
        managed_by=managed,
    )


@given(st.lists(_findings(), max_size=6))
@settings(max_examples=150, deadline=None)
def test_the_json_report_encodes_findings_as_the_plain_path_does(findings: list[Finding]) -> None:
    """The shortcut (repeated texts encoded once, each finding's text put together) gives the
    report byte for byte as encoding each finding's dict does (the plain path)."""
    from remediations.shortcuts import plain_paths

    fast = render_json(findings)
    with plain_paths():
        plain = render_json(findings)
    assert fast == plain
    assert [f["resource_arn"] for f in json.loads(fast)["findings"]] == [
        f.resource_arn for f in findings
    ]

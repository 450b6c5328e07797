"""``rafix access`` on the demo account: the table, the JSON contract, the graphs, the reverse
question, and bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remediations.cli import main
from tests.pki import make_ca

DEMO = "arn:aws:iam::111122223333:role/"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_follows_the_interface_contract(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "access", "--sandbox", str(sandbox_dir), "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["schema"] == "rafix.access/v1"
    roles = {r["role_arn"].rsplit("/", 1)[-1]: r for r in document["roles"]}
    for role in document["roles"]:
        assert set(role) >= {
            "role_arn",
            "account_id",
            "reachable",
            "unreachable_reason",
            "any_certificate",
            "privileged",
            "paths",
        }
        assert (role["unreachable_reason"] is None) == role["reachable"]
        for path in role["paths"]:
            assert set(path) >= {
                "profile_arn",
                "trust_anchor_arn",
                "any_certificate",
                "constraints",
            }
    # The demo's shapes: an unpinned role, a pinned one, one no profile lists.
    assert roles["ra-legacy-backup"]["any_certificate"] is True
    pinned = roles["ra-payments-batch-prod"]
    assert pinned["any_certificate"] is False
    assert pinned["paths"][0]["constraints"]["x509Subject/CN"] == ["payments-batch.prod"]
    assert roles["ra-old-migration"]["reachable"] is False
    assert roles["ra-old-migration"]["unreachable_reason"] == "no profile lists the role"
    assert roles["ra-ops-admin"]["privileged"] is True


def test_table_and_role_filter(sandbox_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "access", "--sandbox", str(sandbox_dir), "--role", DEMO + "ra-ops-admin"
    )
    assert code == 0
    assert "ra-ops-admin" in out and "ANY CERTIFICATE" in out and "PRIVILEGED" in out
    assert "ra-payments-batch-prod" not in out


def test_subject_answers_the_reverse_question(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "access",
        "--sandbox",
        str(sandbox_dir),
        "--subject",
        "CN=payments-batch.prod,OU=payments",
        "--issuer",
        "CN=Corp Issuing CA EU 2025",
        "--format",
        "json",
    )
    assert code == 0
    matches = {m["role_arn"].rsplit("/", 1)[-1] for m in json.loads(out)["matches"]}
    assert "ra-payments-batch-prod" in matches
    assert "ra-inventory-sync-prod" not in matches  # pinned to another CN
    assert "ra-legacy-backup" in matches  # any certificate of the anchor


def test_graphs(sandbox_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, mermaid, _ = run(capsys, "access", "--sandbox", str(sandbox_dir), "--format", "mermaid")
    assert code == 0 and mermaid.startswith("flowchart LR")
    assert "==>" in mermaid and "linkStyle" in mermaid  # any-certificate edges marked
    code, dot, _ = run(capsys, "access", "--sandbox", str(sandbox_dir), "--format", "dot")
    assert code == 0 and dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert 'color="#dc2626"' in dot


def test_output_file(sandbox_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "access.json"
    code, out, _ = run(
        capsys, "access", "--sandbox", str(sandbox_dir), "--format", "json", "-o", str(target)
    )
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "rafix.access/v1"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--issuer", "CN=x"], "--issuer needs --subject"),
        (["--subject", "CN=a,junk"], "is not NAME=value"),
        (["--trust-anchor", "arn:x"], "--trust-anchor narrows"),
        (["--certificate", "/nonexistent/cert.pem"], "cannot read it"),
    ],
)
def test_bad_input_is_one_line(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "access", "--sandbox", str(sandbox_dir), *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_file_that_is_not_a_certificate(
    sandbox_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "junk.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    code, _, err = run(capsys, "access", "--sandbox", str(sandbox_dir), "--certificate", str(bad))
    assert code == 2 and "junk.pem" in err and len(err.strip().splitlines()) == 1


def test_certificate_answers_the_reverse_question(
    sandbox_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer = make_ca("Corp Issuing CA EU 2025")
    leaf = make_ca("some-host.example", issuer=issuer, ca=False)
    pem = tmp_path / "leaf.pem"
    pem.write_text(leaf.pem, encoding="utf-8")
    code, out, _ = run(
        capsys, "access", "--sandbox", str(sandbox_dir), "--certificate", str(pem), "-o", "-"
    )
    assert code == 0
    head = out.split("\n\n", 1)[0]
    assert "CN=some-host.example" in head and "ra-legacy-backup" in head
    assert "ra-payments-batch-prod" not in head

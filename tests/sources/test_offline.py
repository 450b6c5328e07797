"""--from-file: recognising AWS CLI outputs, merging them, and refusing what they are not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediations.errors import InputError
from remediations.iam.policy import MAX_DOCUMENT_CHARS
from remediations.sources.offline import load_files
from tests.shared import ra_trust

ACCOUNT = "111122223333"
TRUST = ra_trust()


def role(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "RoleId": f"AROA{name.upper()}",
        "Path": "/",
        "AssumeRolePolicyDocument": TRUST,
        **extra,
    }


def anchor(anchor_id: str, region: str = "eu-west-1") -> dict[str, Any]:
    return {
        "trustAnchorArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/{anchor_id}",
        "trustAnchorId": anchor_id,
        "name": anchor_id,
        "enabled": True,
        "source": {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:pca"}},
    }


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, indent=4, ensure_ascii=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_files([path])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    return message


# --- bad input: one line naming the file -------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in load_error(tmp_path / "absent.json")


def test_not_json_gives_line_and_column(tmp_path: Path) -> None:
    message = load_error(
        write(tmp_path, "bad.json", '{\n  "Roles": [\n    {"RoleName": "x",,}\n  ]\n}')
    )
    assert "not valid JSON" in message and "line 3 column" in message


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in load_error(write(tmp_path, "empty.json", "  \n"))


def test_top_level_not_an_object(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "list.json", [anchor("a")]))
    assert "array, not an object" in message and "trustAnchors" in message


def test_unknown_shape_names_the_expected_keys(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "x.json", {"Users": [], "Groups": []}))
    assert "unknown shape" in message and "Users" in message
    assert "RoleDetailList" in message and "trustAnchors" in message


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, "CloudFormation template"),
        ({"Resources": {"Role": {"Type": "AWS::IAM::Role"}}}, "CloudFormation template"),
        (TRUST, "lone policy document"),
        ({"terraform_version": "1.9.0", "resources": []}, "Terraform"),
    ],
)
def test_wrong_kind_of_file_says_what_it_looks_like(
    tmp_path: Path, content: Any, looks_like: str
) -> None:
    assert looks_like in load_error(write(tmp_path, "other.json", content))


def test_invalid_utf8(tmp_path: Path) -> None:
    message = load_error(
        write(tmp_path, "latin1.json", '{"Roles": [{"RoleName": "caf\xe9"}]}'.encode("latin-1"))
    )
    assert "not valid UTF-8" in message and "0xe9" in message


def test_json_nested_too_deeply(tmp_path: Path) -> None:
    assert "nested too deeply" in load_error(
        write(tmp_path, "deep.json", '{"Roles": ' + "[" * 100_000)
    )


def test_list_key_of_the_wrong_type(tmp_path: Path) -> None:
    assert "RoleDetailList is a JSON object, expected a list" in load_error(
        write(tmp_path, "gaad.json", {"RoleDetailList": {"RoleName": "x"}})
    )


def test_directory_without_json(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "hello")
    assert "no *.json" in load_error(tmp_path)


# --- problems inside a usable file: warnings -----------------------------------------------


def test_truncated_gaad_warns_that_the_export_is_partial(tmp_path: Path) -> None:
    path = write(
        tmp_path, "gaad.json", {"RoleDetailList": [role("a")], "IsTruncated": True, "Marker": "xyz"}
    )
    inventory = load_files([path])
    assert list(inventory.roles) == [f"arn:aws:iam::{ACCOUNT}:role/a"]
    assert any("partial" in w.message and w.where == str(path) for w in inventory.warnings)


def test_malformed_trust_policy_is_a_warning_and_the_rest_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "gaad.json",
        {"RoleDetailList": [role("bad", AssumeRolePolicyDocument="%7B%22Version"), role("good")]},
    )
    inventory = load_files([path])
    bad = inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/bad"]
    assert bad.trust_policy is None and bad.trust_policy_error
    assert inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/good"].trust_policy == TRUST
    [warning] = inventory.warnings
    assert "'bad'" in warning.message and warning.resource_arn == bad.arn


def test_role_with_a_malformed_arn_is_skipped_with_a_warning(tmp_path: Path) -> None:
    inventory = load_files(
        [write(tmp_path, "g.json", {"RoleDetailList": [role("ok"), {**role("x"), "Arn": "%7B"}]})]
    )
    assert list(inventory.roles) == [f"arn:aws:iam::{ACCOUNT}:role/ok"]
    assert any("not an ARN" in w.message for w in inventory.warnings)


def test_entry_without_arn_is_skipped_with_a_warning(tmp_path: Path) -> None:
    inventory = load_files(
        [write(tmp_path, "a.json", {"trustAnchors": [{"name": "x"}, anchor("ok")]})]
    )
    assert len(inventory.trust_anchors) == 1
    assert any("trustAnchors[0]" in w.message for w in inventory.warnings)


def big_document(chars: int) -> dict[str, Any]:
    resources: list[str] = []
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}],
    }
    while len(json.dumps(doc, separators=(",", ":"))) < chars:
        resources.extend(f"arn:aws:s3:::bucket-{len(resources) + i:06d}/*" for i in range(200))
    return doc


def test_100kb_policy_loads(tmp_path: Path) -> None:
    doc = big_document(100_000)
    path = write(
        tmp_path,
        "gaad.json",
        {
            "RoleDetailList": [
                role("big", RolePolicyList=[{"PolicyName": "p", "PolicyDocument": doc}])
            ]
        },
    )
    inventory = load_files([path])
    assert inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/big"].inline_policies == [("p", doc)]
    assert inventory.warnings == []


def test_trust_policy_over_iam_limit_is_malformed(tmp_path: Path) -> None:
    doc = big_document(MAX_DOCUMENT_CHARS + 10)
    path = write(
        tmp_path,
        "gaad.json",
        {"RoleDetailList": [role("huge", AssumeRolePolicyDocument=doc), role("ok")]},
    )
    inventory = load_files([path])
    huge = inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/huge"]
    assert (
        huge.trust_policy is None
        and huge.trust_policy_error
        and "131,072" in huge.trust_policy_error
    )
    assert inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/ok"].trust_policy == TRUST
    assert any(w.resource_arn == huge.arn for w in inventory.warnings)


def test_session_policy_string_over_iam_limit_is_malformed(tmp_path: Path) -> None:
    arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p"
    text = json.dumps(big_document(MAX_DOCUMENT_CHARS + 10))
    inventory = load_files(
        [write(tmp_path, "p.json", {"profiles": [{"profileArn": arn, "sessionPolicy": text}]})]
    )
    assert inventory.profiles[arn].session_policy_error
    assert any(w.resource_arn == arn for w in inventory.warnings)


# --- recognising and merging ----------------------------------------------------------------


def test_gaad_and_list_roles_merge(tmp_path: Path) -> None:
    inline = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    gaad = write(
        tmp_path,
        "gaad.json",
        {
            "RoleDetailList": [
                role("a", RolePolicyList=[{"PolicyName": "admin", "PolicyDocument": inline}])
            ],
            "Policies": [
                {
                    "PolicyName": "p",
                    "Arn": f"arn:aws:iam::{ACCOUNT}:policy/p",
                    "DefaultVersionId": "v1",
                    "PolicyVersionList": [
                        {"Document": inline, "VersionId": "v1", "IsDefaultVersion": True}
                    ],
                }
            ],
            "UserDetailList": [],
            "GroupDetailList": [],
        },
    )
    roles = write(
        tmp_path,
        "roles.json",
        {"Roles": [role("a", MaxSessionDuration=43200), role("b", MaxSessionDuration=3600)]},
    )
    for order in ([gaad, roles], [roles, gaad]):
        inventory = load_files(order)
        merged = inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/a"]
        assert merged.max_session_duration == 43200
        assert merged.inline_policies == [("admin", inline)]
        assert inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/b"].max_session_duration == 3600
        assert inventory.policies[f"arn:aws:iam::{ACCOUNT}:policy/p"].document == inline
        assert {"iam", "max_session_duration"} <= inventory.coverage
        assert inventory.account_id == ACCOUNT and inventory.origin == "files"


def test_gaad_alone_has_no_max_session_duration_coverage(tmp_path: Path) -> None:
    inventory = load_files([write(tmp_path, "gaad.json", {"RoleDetailList": [role("a")]})])
    assert inventory.coverage == {"iam"}


def test_rolesanywhere_lists_regions_and_coverage(tmp_path: Path) -> None:
    prof_arn = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p"
    crl_arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:crl/c"
    sub_arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:subject/s"
    files = [
        write(
            tmp_path, "anchors.json", {"trustAnchors": [anchor("a1"), anchor("a2", "ap-south-1")]}
        ),
        write(tmp_path, "profiles.json", {"profiles": [{"profileArn": prof_arn, "name": "p"}]}),
        write(tmp_path, "crls.json", {"crls": [{"crlArn": crl_arn, "name": "c"}]}),
        write(
            tmp_path,
            "subjects.json",
            {"subjects": [{"subjectArn": sub_arn, "x509Subject": "CN=x"}]},
        ),
    ]
    inventory = load_files(files)
    assert inventory.regions == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert {"rolesanywhere", "trust_anchors", "profiles", "crls", "subjects"} <= inventory.coverage
    assert "iam" not in inventory.coverage
    assert (
        len(inventory.trust_anchors),
        len(inventory.profiles),
        len(inventory.crls),
        len(inventory.subjects),
    ) == (2, 1, 1, 1)


def test_profiles_alone_do_not_claim_the_whole_rolesanywhere_picture(tmp_path: Path) -> None:
    arn = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p"
    inventory = load_files([write(tmp_path, "p.json", {"profiles": [{"profileArn": arn}]})])
    assert inventory.coverage == {"profiles"}


def test_directory_reads_every_json_file(tmp_path: Path) -> None:
    write(tmp_path, "anchors.json", {"trustAnchors": [anchor("a1")]})
    write(tmp_path, "roles.json", {"Roles": [role("r")]})
    write(tmp_path, "README.txt", "not read")
    inventory = load_files([tmp_path])
    assert len(inventory.trust_anchors) == 1 and len(inventory.roles) == 1


@pytest.mark.parametrize(
    "content",
    [
        {"Role": role("single", MaxSessionDuration=3600)},
        role("single", MaxSessionDuration=3600),
    ],
    ids=["get-role", "bare-role"],
)
def test_single_role_objects(tmp_path: Path, content: dict[str, Any]) -> None:
    inventory = load_files([write(tmp_path, "role.json", content)])
    assert inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/single"].max_session_duration == 3600


@pytest.mark.parametrize(
    "content", [{"trustAnchor": anchor("t")}, anchor("t")], ids=["get-trust-anchor", "bare"]
)
def test_single_anchor_objects(tmp_path: Path, content: dict[str, Any]) -> None:
    inventory = load_files([write(tmp_path, "ta.json", content)])
    assert list(inventory.trust_anchors) == [
        f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/t"
    ]


def test_odd_unicode_in_names_and_subjects(tmp_path: Path) -> None:
    name = "ra-Zoë-\u202etxt.exe-\U0001f680"
    cn = "Ärger ✓ 山田 \u0000nul"
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn}}
    prof_arn = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p"
    files = [
        write(tmp_path, "roles.json", {"Roles": [role(name, AssumeRolePolicyDocument=trust)]}),
        write(
            tmp_path,
            "profiles.json",
            {"profiles": [{"profileArn": prof_arn, "name": "Ünïcødé 🙂 profile"}]},
        ),
    ]
    inventory = load_files(files)
    loaded = inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/{name}"]
    assert loaded.name == name and loaded.trust_policy == trust
    assert inventory.profiles[prof_arn].name == "Ünïcødé 🙂 profile"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_encoded_files_from_windows_shells(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "anchors.json"
    path.write_bytes(json.dumps({"trustAnchors": [anchor("bom")]}).encode(encoding))
    assert len(load_files([path]).trust_anchors) == 1


def test_several_accounts_warn(tmp_path: Path) -> None:
    other = anchor("x")
    other["trustAnchorArn"] = other["trustAnchorArn"].replace(ACCOUNT, "444455556666")
    inventory = load_files(
        [write(tmp_path, "a.json", {"trustAnchors": [anchor("a"), anchor("b"), other]})]
    )
    assert inventory.account_id == ACCOUNT
    assert any("several accounts" in w.message for w in inventory.warnings)


# --- a folder holding other JSON ----------------------------------------------------------


def test_a_folder_skips_json_of_other_kinds_with_one_warning(tmp_path: Path) -> None:
    from remediations.report import render_json

    write(tmp_path, "iam.json", {"RoleDetailList": [role("app")], "Policies": []})
    write(tmp_path, "anchors.json", {"trustAnchors": [anchor("ta-1")]})
    (tmp_path / "report.json").write_text(render_json([]))  # rafix's own report
    write(tmp_path, "plan.json", {"schema": "rafix.plan/v1", "changes": []})
    write(tmp_path, "list.json", [1, 2])
    inventory = load_files([tmp_path])
    assert len(inventory.roles) == 1 and len(inventory.trust_anchors) == 1
    skipped = [w for w in inventory.warnings if "skipped" in w.message]
    assert len(skipped) == 1
    assert skipped[0].message.startswith("skipped 3 JSON file(s) that are not AWS CLI output")
    assert "report.json" in skipped[0].message and skipped[0].where == str(tmp_path)


def test_a_file_named_explicitly_must_still_be_aws_cli_output(tmp_path: Path) -> None:
    from remediations.report import render_json

    write(tmp_path, "iam.json", {"RoleDetailList": [role("app")], "Policies": []})
    report = tmp_path / "report.json"
    report.write_text(render_json([]))
    with pytest.raises(InputError, match=r"report\.json: unknown shape"):
        load_files([tmp_path / "iam.json", report])


def test_a_folder_with_no_aws_cli_output_at_all_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "plan.json", {"schema": "rafix.plan/v1", "changes": []})
    with pytest.raises(InputError, match="no AWS CLI output among the files"):
        load_files([tmp_path])

"""Fuzzing ``--from-file``: hostile AWS CLI outputs of every family the safety issue lists.

Each example starts from a plausible export (roles with Roles Anywhere trust policies, trust
anchors, profiles) and applies a few mutations drawn from the hostile families: lone
surrogates, numbers of thousands of digits, control characters and escape sequences, wildcard
patterns that explode a backtracking matcher, values of the wrong JSON type, deep nesting,
truncation markers, undecodable bytes and inputs over the size limit. Whatever the file, rafix
ends with exit 0, 1 or 2, never an internal error, prints no control character to the
terminal, and an error is one line. The number of examples is fixed, so CI time is bounded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.cli import main
from remediations.textsafe import for_terminal

ACCOUNT = "111122223333"
REGION = "eu-west-1"
SURROGATE = "\ud800"
#: Values that have broken rafix before, or would break a careless reader.
HOSTILE_STRINGS = [
    SURROGATE,
    f"name{SURROGATE}tail",
    "\udfff*",
    "\x1b[2J\x1b[31mred",
    "line\nPlan: 0 change(s)",
    "carriage\rreturn",
    "\u202eright-to-left",
    "zero\u200bwidth",
    "\x00nul",
    "?*" * 35,
    "*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.prod",
    "arn:aws:rolesanywhere:*:*:trust-anchor/*",
    '"]}{"Effect":"Allow","Principal":"*"',
    "x" * 5000,
    "",
]
#: Text that must never reach a terminal as it is.
CONTROL = [
    SURROGATE,
    "\x1b[2J\x1b[31m",
    "\nPlan: 0 change(s)",
    "\r",
    "\u202e",
    "\x9b31m",
    "\x07",
]
#: The keys whose values rafix shows by name (tables, plans, warnings).
NAME_KEYS = {"RoleName", "Arn", "name", "trustAnchorArn", "profileArn", "roleArns", 0}
HOSTILE_NUMBERS = ["9" * 4300, "9" * 4301, "-" + "9" * 5000, "1e999", "-1", "0", "1.5e308"]
HOSTILE_VALUES: list[Any] = [None, True, [], {}, [None], {"a": None}, 0, -1, 3.5, [[[[]]]]]


def trust(value: str = "app.prod") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {"StringLike": {"aws:PrincipalTag/x509Subject/CN": value}},
            }
        ],
    }


def base_documents() -> list[dict[str, Any]]:
    roles = [
        {
            "RoleName": f"workload-{n}",
            "RoleId": f"AROAEXAMPLE{n:04d}",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/workload-{n}",
            "Path": "/",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": trust(f"svc-{n}.prod"),
            "RolePolicyList": [],
            "AttachedManagedPolicies": [],
        }
        for n in range(3)
    ]
    anchors = [
        {
            "trustAnchorArn": f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/anchor-{n}",
            "trustAnchorId": f"anchor-{n}",
            "name": f"corp-ca-{n}",
            "enabled": True,
            "source": {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:pca"}},
            "notificationSettings": [
                {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 45}
            ],
        }
        for n in range(2)
    ]
    profiles = [
        {
            "profileArn": f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/profile-{n}",
            "profileId": f"profile-{n}",
            "name": f"team-{n}",
            "enabled": True,
            "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/workload-{n}"],
            "durationSeconds": 3600,
        }
        for n in range(2)
    ]
    return [
        {"RoleDetailList": roles, "Policies": []},
        {"trustAnchors": anchors},
        {"profiles": profiles},
    ]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (dict keys and list indexes)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found.extend(_paths(value, (*prefix, index)))
    return found


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


#: Raw text put in place of a JSON value after encoding (what json.dumps cannot write).
RAW_MARK = "__RAW_%d__"


def render(doc: dict[str, Any], raws: list[str]) -> str:
    text = json.dumps(doc, ensure_ascii=True)
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(RAW_MARK % index), raw)
    return text


@st.composite
def hostile_files(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    docs = base_documents()
    raws: list[list[str]] = [[] for _ in docs]
    for _ in range(draw(st.integers(1, 6))):
        which = draw(st.integers(0, len(docs) - 1))
        family = draw(
            st.sampled_from(["name", "string", "number", "value", "nesting", "truncated", "key"])
        )
        # Strings replace strings and numbers numbers (where a reader meets them); names are
        # what tables and messages show; other families go anywhere.
        kind = {"string": str, "name": str, "number": int}.get(family)
        paths = [
            p
            for p in _paths(docs[which])
            if (kind is None or type(_get(docs[which], p)) is kind)
            and (family != "name" or p[-1] in NAME_KEYS)
        ]
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        if family == "name":
            _set(docs[which], path, _get(docs[which], path) + draw(st.sampled_from(CONTROL)))
        elif family == "string":
            _set(docs[which], path, draw(st.sampled_from(HOSTILE_STRINGS)))
        elif family == "number":
            raws[which].append(draw(st.sampled_from(HOSTILE_NUMBERS)))
            _set(docs[which], path, RAW_MARK % (len(raws[which]) - 1))
        elif family == "value":
            _set(docs[which], path, draw(st.sampled_from(HOSTILE_VALUES)))
        elif family == "nesting":
            depth = draw(st.sampled_from([50, 5000]))
            raws[which].append("[" * depth + "]" * depth)
            _set(docs[which], path, RAW_MARK % (len(raws[which]) - 1))
        elif family == "truncated":
            docs[which]["IsTruncated"] = True
            docs[which]["NextToken"] = "token"
        else:
            parent = docs[which]
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict):
                parent[draw(st.sampled_from(HOSTILE_STRINGS[:9]))] = "value"
    files = [(f"part{n}.json", render(doc, raws[n]).encode("utf-8")) for n, doc in enumerate(docs)]
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["bom", "utf-16", "bad-bytes", "cut", "huge"]))
    name, data = files[0]
    if encoding == "bom":
        data = b"\xef\xbb\xbf" + data
    elif encoding == "utf-16":
        data = data.decode("utf-8").encode("utf-16")
    elif encoding == "bad-bytes":
        data = data[:40] + b"\xff\xfe\x80" + data[40:]
    elif encoding == "cut":
        data = data[: len(data) // 2]
    elif encoding == "huge":
        data = data + b" " * (70 * 1024)  # over the 64 KiB limit the test sets
    files[0] = (name, data)
    return files


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(files=hostile_files(), fmt=st.sampled_from(["table", "json", "sarif"]))
def test_from_file_survives_hostile_documents(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: list[tuple[str, bytes]],
    fmt: str,
) -> None:
    monkeypatch.setenv("RAFIX_MAX_INPUT_MIB", str(64 / 1024))
    monkeypatch.setenv("RAFIX_INPUT_TIMEOUT", "2")
    folder = tmp_path_factory.mktemp("hostile")
    for name, data in files:
        (folder / name).write_bytes(data)
    capsys.readouterr()
    for args in (
        ["scan", "--from-file", str(folder), "--allow-partial", "--format", fmt],
        ["scan", "--from-file", str(folder / files[0][0]), "--format", fmt],
        ["plan", "--from-file", str(folder)],
    ):
        code = main(args)
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (args, code, err)
        assert "internal error" not in err, err
        assert for_terminal(err) == err, err
        out.encode("utf-8"), err.encode("utf-8")  # what a terminal or a pipe is sent
        if fmt == "table" or args[0] == "plan":
            assert for_terminal(out) == out
        else:
            json.loads(out or "{}")
        if code == 2:
            errors = [line for line in err.splitlines() if line.startswith("rafix: error:")]
            assert len(errors) == 1, err


def test_the_mutations_reach_the_reader(tmp_path: Path) -> None:
    """The fuzzer's raw numbers and nesting really are in the files it writes."""
    doc = base_documents()[2]
    _set(doc, ("profiles", 0, "durationSeconds"), RAW_MARK % 0)
    text = render(doc, ["9" * 4300])
    assert '"durationSeconds": ' + "9" * 4300 in text

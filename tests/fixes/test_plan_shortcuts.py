"""The plan's shortcuts give exactly what their plain paths give (issue 10).

``remediations.shortcuts.plain_paths()`` runs the plain path of every shortcut: witness proofs
that judge every witness (or the plain sample), diffs over whole states, full re-scans. The
properties compare the two on witness proofs of generated trust policies (including ones
whose literals are renamed, so that proofs sharing a shape share an outcome, and ones wide
enough that the plain proof samples), and on whole plans of generated and corpus accounts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.model import Inventory
from remediations.proposals import prove_safe
from remediations.proposals.results import FixRefused
from remediations.proposals.splits import prove_dedicated
from remediations.proposals.trees import copy_tree
from remediations.settings import Settings
from remediations.shortcuts import plain_paths, shortcuts_on
from remediations.sources.offline import load_files
from tests.account_strategies import generated_accounts
from tests.builders import plan_json
from tests.corpus_accounts import accounts as corpus_accounts
from tests.corpus_accounts import answers as corpus_answers
from tests.corpus_accounts import write_account
from tests.strategies import CNS, ISSUERS, TA1, TA2, trust_policies

SETTINGS = Settings()
RA = "rolesanywhere.amazonaws.com"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
ANCHORS = [TA1, TA2]


def outcome(proof: Callable[[], None]) -> str | None:
    """None when the proof holds, else its reason to refuse."""
    try:
        proof()
    except FixRefused as exc:
        return str(exc)
    return None


def both(proof: Callable[[], None]) -> tuple[str | None, str | None]:
    fast = outcome(proof)
    with plain_paths():
        assert not shortcuts_on()
        plain = outcome(proof)
    return fast, plain


def renamed(document: Any, names: dict[str, str]) -> Any:
    """The document with every literal in ``names`` replaced (inside strings too)."""
    text = json.dumps(document)
    for old, new in names.items():
        text = text.replace(old, new)
    return json.loads(text)


_RENAMES = st.sampled_from(
    [
        {"app.prod": "svc-17.prod", "db.prod": "svc-18.prod"},
        {"app-web": "web-app", "Issuing CA": "Issuing CA 2"},  # breaks the app-* pattern
        {"11111111-aaaa": "33333333-cccc"},
        {"app.prod": "db.prod", "db.prod": "app.prod"},  # two literals swap (merged ones)
        {},
    ]
)


@st.composite
def _intended(draw: st.DrawFn) -> dict[str, list[str]]:
    intended: dict[str, list[str]] = {}
    if draw(st.booleans()):
        # An empty list: no certificate is the workload's (unlike no CN named at all).
        intended["x509subject/cn"] = draw(st.sampled_from([[c] for c in CNS] + [[]]))
    if draw(st.booleans()):
        intended["source_arn"] = [draw(st.sampled_from(ANCHORS))]
    if draw(st.booleans()):
        intended["x509issuer/cn"] = [draw(st.sampled_from(ISSUERS))]
    return intended


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trust_policies(), trust_policies(), _intended(), st.booleans(), _RENAMES)
def test_patch_proofs_by_classes_match_the_plain_walk(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    repair: bool,
    names: dict[str, str],
) -> None:
    for doc_a, doc_b, wanted in (
        (original, patched, intended),
        (original, original, intended),
        # The same shape with other literals: an outcome shared by shape must still hold.
        (renamed(original, names), renamed(patched, names), renamed(intended, names)),
    ):
        fast, plain = both(
            partial(prove_safe, doc_a, doc_b, wanted, anchors=ANCHORS, repair=repair)
        )
        assert fast == plain


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(trust_policies(), trust_policies(), _intended()), min_size=2, max_size=5))
def test_proof_outcomes_do_not_depend_on_the_proofs_before_them(
    proofs: list[tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]],
) -> None:
    """Proofs share what they learn about the values of one key (the classes of the anchors,
    issuers and CNs their clauses tell apart) with every later proof: run in either order,
    each still gives its plain walk's outcome."""
    calls = [partial(prove_safe, a, b, wanted, anchors=ANCHORS) for a, b, wanted in proofs]
    with plain_paths():
        plain = [outcome(call) for call in calls]
    assert [outcome(call) for call in calls] == plain
    assert [outcome(call) for call in reversed(calls)] == plain[::-1]


@st.composite
def _narrowed(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """The document with one Roles Anywhere statement's CN condition set to one value."""
    doc = copy.deepcopy(document)
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    for statement in statements:
        if statement.get("Effect") == "Allow" and draw(st.booleans()):
            block = statement.setdefault("Condition", {})
            block.setdefault("StringEquals", {})["aws:PrincipalTag/x509Subject/CN"] = draw(
                st.sampled_from(CNS)
            )
    return doc


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), trust_policies(), _RENAMES)
def test_split_proofs_by_classes_match_the_plain_walk(
    data: st.DataObject, original: dict[str, Any], names: dict[str, str]
) -> None:
    base = data.draw(st.one_of(st.just(original), _narrowed(original)))
    dedicated = data.draw(_narrowed(base))
    intended = {"x509subject/cn": [data.draw(st.sampled_from(CNS))]}
    for shared, narrowed, own, wanted in (
        (original, base, dedicated, intended),
        # The same shape with other literals: an outcome shared by shape must still hold.
        tuple(renamed(d, names) for d in (original, base, dedicated, intended)),
    ):
        fast, plain = both(partial(prove_dedicated, shared, narrowed, own, wanted, ANCHORS))
        assert fast == plain


#: Keys enough that the plain proof samples 3,000 witnesses instead of trying them all.
_DN_KEYS = [f"aws:PrincipalTag/x509Issuer/{rdn}" for rdn in ("C", "O", "OU", "CN")] + [
    f"aws:PrincipalTag/x509Subject/{rdn}" for rdn in ("C", "O", "OU")
]


@st.composite
def wide_policies(draw: st.DrawFn, cn: str) -> dict[str, Any]:
    conditions: dict[str, Any] = {"StringEquals": {}}
    for key in _DN_KEYS:
        conditions["StringEquals"][key] = draw(
            st.sampled_from(["Corp", ["Corp", "Other"], "Other"])
        )
    subject = draw(st.sampled_from([cn, [cn, "other.prod"], None]))
    if subject is not None:
        conditions["StringEquals"]["aws:PrincipalTag/x509Subject/CN"] = subject
    if draw(st.booleans()):
        conditions["ArnEquals"] = {"aws:SourceArn": draw(st.sampled_from([TA1, [TA1, TA2]]))}
    statement = {"Effect": "Allow", "Principal": {"Service": RA}, "Action": ACTIONS}
    statement["Condition"] = conditions
    extra = draw(st.sampled_from([[], [{**statement, "Effect": "Deny"}]]))
    if extra:
        extra[0]["Condition"] = {"StringEquals": {_DN_KEYS[0]: "Other"}}
    return {"Version": "2012-10-17", "Statement": [statement, *extra]}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["app.prod", "svc-9.prod"]))
def test_sampled_proofs_by_classes_match_the_plain_sample(data: st.DataObject, cn: str) -> None:
    original = data.draw(wide_policies(cn))
    patched = data.draw(wide_policies(cn))
    intended = {"x509subject/cn": [cn]}
    fast, plain = both(lambda: prove_safe(original, patched, intended, anchors=ANCHORS))
    assert fast == plain
    fast, plain = both(lambda: prove_dedicated(original, original, patched, intended, ANCHORS))
    assert fast == plain


def test_sampled_proof_whose_only_admitted_witnesses_the_sample_misses() -> None:
    """The intended witness (the first sample) is refused and the few admitted ones are too
    rare to be sampled: the plain walk finds no witness, and so must the shortcut."""
    keys = _DN_KEYS[:6]  # few enough classes to try them all, values enough to sample
    statement = {"Effect": "Allow", "Principal": {"Service": RA}, "Action": ACTIONS}
    original = {
        "Version": "2012-10-17",
        "Statement": [
            {**statement, "Condition": {"StringEquals": {k: ["Corp", "Other"] for k in keys}}}
        ],
    }
    patched = {
        "Version": "2012-10-17",
        "Statement": [
            {
                **statement,
                "Condition": {
                    "StringEquals": {
                        **{k: "Other" for k in keys},
                        "aws:PrincipalTag/x509Subject/CN": "app.prod",
                    }
                },
            }
        ],
    }
    intended = {"x509subject/cn": ["app.prod"]}
    fast, plain = both(partial(prove_safe, original, patched, intended, anchors=ANCHORS))
    assert fast == plain
    assert plain is not None and "would not admit the workload" in plain


# --- whole plans ---------------------------------------------------------------------------------


def assert_same_plans(inventory: Inventory, values: dict[str, str]) -> None:
    for answers, repair in ((values, False), ({}, False), (values, True)):
        fast = plan_json(inventory, answers, repair)
        with plain_paths():
            plain = plan_json(inventory, answers, repair)
        assert fast == plain


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(generated_accounts())
def test_plans_of_generated_accounts_match_the_plain_paths(
    account: tuple[Inventory, dict[str, str]],
) -> None:
    inventory, values = account
    assert_same_plans(inventory, values)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(corpus_accounts()) or ["(no corpus)"])
def test_plans_of_corpus_accounts_match_the_plain_paths(name: str, tmp_path: Path) -> None:
    if name == "(no corpus)":
        pytest.skip("../shared/corpus is absent")
    inventory = load_files(write_account(name, tmp_path))
    assert_same_plans(inventory, corpus_answers(r.name for r in inventory.roles.values()))


# --- copies of documents -------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=15,
)


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    return []


@settings(max_examples=200, deadline=None)
@given(_JSON, st.booleans())
def test_copy_tree_is_deepcopy(value: Any, odd: bool) -> None:
    shared: Any = [value, {"Statement": value}]
    if odd:
        shared.append(("a", frozenset({1})))  # not JSON: copied by copy.deepcopy itself
    for original in (value, shared):
        copied, reference = copy_tree(original), copy.deepcopy(original)
        assert copied == reference
        assert not set(_containers(copied)) & set(_containers(original))
    copied = copy_tree(shared)
    if isinstance(value, dict | list):
        assert copied[1]["Statement"] is copied[0]  # shared as deepcopy shares

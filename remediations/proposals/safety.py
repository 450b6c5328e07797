"""The witness proof: a patched trust policy admits no certificate the current one refuses,
and it still admits the intended workload (the witnesses come from the one generator,
:mod:`remediations.trust.witness`)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from remediations.iam.evaluator import compile_policy
from remediations.iam.policy import as_list
from remediations.model import REQUIRED_ACTIONS
from remediations.proposals.results import FixRefused
from remediations.trust import analyze_trust, certificate_request_context
from remediations.trust.witness import describe_certificate, is_intended, witnesses


def prove_safe(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    *,
    anchors: Iterable[str] = (),
    repair: bool = False,
) -> None:
    """Check a patched trust policy on witness certificates; raise ``FixRefused`` when unsafe.

    Safe means: every witness the patched policy admits, the original admitted too (for a
    ``repair`` of missing actions: the original's sts:AssumeRole path admitted it), and some
    witness with the intended workload's values is admitted.
    """
    baseline_doc = assume_role_view(original) if repair else original
    before = analyze_trust(baseline_doc)
    after = analyze_trust(patched)
    workload_seen = False
    evaluated = (baseline_doc, patched)
    witnessed = analyze_trust(original)
    for cert in witnesses(witnessed, after, intended, anchors, evaluated=evaluated):
        request = certificate_request_context(cert)
        if not after.admits_request(request):
            continue
        if not before.admits_request(request):
            raise FixRefused(
                "the patched trust policy would admit a certificate the current one refuses "
                f"({describe_certificate(cert)})"
            )
        workload_seen = workload_seen or is_intended(cert, intended)
    if not workload_seen:
        wanted = ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(intended.items())) or "any"
        raise FixRefused(f"the patched trust policy would not admit the workload ({wanted})")


def assume_role_view(document: dict[str, Any]) -> dict[str, Any]:
    """The policy as if every statement that covers sts:AssumeRole covered all three actions,
    and no other statement existed: ``admits`` then answers "may it call sts:AssumeRole"."""
    doc = copy.deepcopy(document)
    compiled = {s.index: s for s in compile_policy(document).statements}
    kept = []
    for index, statement in enumerate(as_list(doc.get("Statement"))):
        if index in compiled and compiled[index].covers_action("sts:AssumeRole"):
            statement = dict(statement)
            statement.pop("NotAction", None)
            statement["Action"] = list(REQUIRED_ACTIONS)
            kept.append(statement)
    doc["Statement"] = kept
    return doc

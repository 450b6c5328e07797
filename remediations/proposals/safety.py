"""The witness proof: a patched trust policy admits no certificate the current one refuses,
and it still admits the intended workload (the witnesses come from the one generator,
:mod:`remediations.trust.witness`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from remediations.iam.evaluator import ContextValue, compile_policy
from remediations.iam.policy import as_list
from remediations.model import REQUIRED_ACTIONS
from remediations.proposals.proofs import prove
from remediations.proposals.trees import copy_tree
from remediations.trust import TrustAnalysis, analyze_trust
from remediations.trust.facts import CertificateContext
from remediations.trust.witness import describe_certificate, is_intended

Judged = tuple[str | None, bool]


def prove_safe(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    *,
    anchors: Iterable[str] = (),
    repair: bool = False,
    original_analysis: TrustAnalysis | None = None,
) -> None:
    """Check a patched trust policy on witness certificates; raise ``FixRefused`` when unsafe.

    Safe means: every witness the patched policy admits, the original admitted too (for a
    ``repair`` of missing actions: the original's sts:AssumeRole path admitted it), and some
    witness with the intended workload's values is admitted. ``original_analysis``: the
    caller's ``analyze_trust(original)``, when it has it (not analysed again).
    """
    analysis = original_analysis if original_analysis is not None else analyze_trust(original)
    baseline_doc = assume_role_view(original) if repair else original
    before = analyze_trust(baseline_doc) if repair else analysis
    after = analyze_trust(patched)

    def verdict(cert: CertificateContext, request: Mapping[str, ContextValue]) -> Judged:
        if not after.admits_request(request):
            return None, False
        if not before.admits_request(request):
            return (
                "the patched trust policy would admit a certificate the current one refuses "
                f"({describe_certificate(cert)})",
                False,
            )
        return None, is_intended(cert, intended)

    wanted = ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(intended.items())) or "any"
    prove(
        analysis,
        after,
        intended,
        anchors,
        evaluated=(baseline_doc, patched),
        judged=(before.policy(), after.policy()),
        verdict=verdict,
        kind="safe",
        missing=f"the patched trust policy would not admit the workload ({wanted})",
    )


def assume_role_view(document: dict[str, Any]) -> dict[str, Any]:
    """The policy as if every statement that covers sts:AssumeRole covered all three actions,
    and no other statement existed: ``admits`` then answers "may it call sts:AssumeRole"."""
    doc = copy_tree(document)
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

"""Findings rafix adds beside FINDINGS.md: input it could not read.

Each entry holds everything about one finding: severity, words, how rafix fixes it
(:class:`FixKind`, and why not automatically) and its false-positive pitfalls.
"""

from __future__ import annotations

from remediations.catalog.spec import CheckSpec, FixKind
from remediations.findings import Severity as S

SPECS = [
    CheckSpec(
        "RA-INPUT-MALFORMED-POLICY",
        "rafix",
        S.INFO,
        "role",
        "Policy document could not be read",
        "A policy document in the account is not valid JSON or not valid IAM policy grammar, "
        "so rafix could not evaluate it. The rest of the account was scanned.",
        "Inspect the document; IAM normally refuses malformed policies, so the export may be "
        "damaged.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("the document could not be read"),
        pitfalls=("Usually a damaged or hand-edited export rather than the account itself."),
    ),
]

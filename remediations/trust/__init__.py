"""Who can assume a role through Roles Anywhere, derived from the IAM evaluator.

:func:`analyze_trust` never reads policy text for meaning: every "admits"/"open" fact is the
answer of :mod:`remediations.iam.evaluator` for some request. The requests are *witness
contexts*: for each condition key the policy mentions, the candidate values are absent (when
Roles Anywhere can leave the key out), a fresh value the policy never names, every literal it
names, and a witness string for each wildcard pattern. "Open to any subject" then means: some
context whose subject, SAN and source-identity values are all fresh or absent is allowed all
three required actions at once (FINDINGS 3.4 rule 1).

To stay linear on accounts with thousands of roles, the search picks one Allow statement per
action, filters each key's candidates against those statements key by key (clauses are
per-key), and only evaluates whole requests when Deny statements or ``${...}`` bindings make
keys interact, trying a bounded number of combinations (one dimension varied at a time).

The package: ``facts.py`` (the public results: CertificateContext, ConditionUse,
TrustAnalysis), ``keys.py`` (the condition-key vocabulary), ``witness.py`` (the one witness
generator: contexts for the analysis, certificates for the proofs that compare policies),
``analysis.py`` (one policy's analysis), ``cache.py`` (analyze_trust and its cache by shape).
Its public names are importable from ``remediations.trust``.
"""

from remediations.trust.cache import analyze_trust, plainly_not_ra
from remediations.trust.facts import (
    RA_PRINCIPAL,
    CertificateContext,
    ConditionUse,
    TrustAnalysis,
    certificate_request_context,
)
from remediations.trust.keys import (
    CERTIFICATE_CATEGORIES,
    SUBJECT_CATEGORIES,
    absent_keys,
    canonical_subject_key,
    key_category,
    request_may_carry,
)

__all__ = [
    "CERTIFICATE_CATEGORIES",
    "RA_PRINCIPAL",
    "SUBJECT_CATEGORIES",
    "CertificateContext",
    "ConditionUse",
    "TrustAnalysis",
    "absent_keys",
    "analyze_trust",
    "canonical_subject_key",
    "certificate_request_context",
    "key_category",
    "plainly_not_ra",
    "request_may_carry",
]

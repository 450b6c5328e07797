"""RA-TRUST-* checks: what the trust analysis says about each role Roles Anywhere can reach.

Every verdict comes from :class:`~remediations.trust.TrustAnalysis` (evaluator-based), so the
false-positive pitfalls of FINDINGS 3.4 and 4.A are handled there: split statements, Deny-side
pins, ``sts:SourceIdentity`` and SPIFFE pins, the ``sts:RoleSessionName`` binding (not a pin),
case-insensitive keys. This module decides severities and writes the words.

One module per part of the trust policy: ``subject.py`` (the workload's subject), ``anchor.py``
(the trust anchor and the issuer), ``conditions.py`` (operators and keys), ``principals.py``
(principals and actions); ``common.py`` holds what they share. Importing this package registers
every RA-TRUST-* check.
"""

# Registration order is the order of the checks in the original module (isort: split keeps it).
from remediations.checks.trust.subject import (
    multiple_subjects,
    no_subject_condition,
    subject_naming,
    subject_wildcard,
)

# isort: split
from remediations.checks.trust.anchor import (
    issuer_not_pinned,
    no_source_arn,
    source_arn_stale,
    source_arn_wildcard,
)

# isort: split
from remediations.checks.trust.conditions import (
    fail_open_operator,
    legacy_version,
    source_ip_condition,
)

# isort: split
from remediations.checks.trust.principals import (
    missing_required_action,
    mixed_principals,
    wildcard_principal,
)

__all__ = [
    "fail_open_operator",
    "issuer_not_pinned",
    "legacy_version",
    "missing_required_action",
    "mixed_principals",
    "multiple_subjects",
    "no_source_arn",
    "no_subject_condition",
    "source_arn_stale",
    "source_arn_wildcard",
    "source_ip_condition",
    "subject_naming",
    "subject_wildcard",
    "wildcard_principal",
]

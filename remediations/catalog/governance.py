"""RA-GOV-*: governance (FINDINGS D, F-GOV-01). Detected in
``remediations/checks/governance.py``. Report only.

Each entry holds everything about one finding: severity, words, how rafix fixes it
(:class:`FixKind`, and why not automatically) and its false-positive pitfalls.
"""

from __future__ import annotations

from remediations.catalog.spec import CheckSpec, FixKind
from remediations.findings import Severity as S

SPECS = [
    CheckSpec(
        "RA-GOV-ADMIN-SURFACE",
        "F-GOV-01",
        S.MEDIUM,
        "role",
        "Principal can wire a certificate authority to Roles Anywhere roles",
        "This IAM principal may create or change trust anchors, profiles or attribute mappings "
        "and pass Roles Anywhere roles to the service (iam:PassRole). It can therefore add its "
        "own CA as a trust anchor and get credentials for every role that pins no trust anchor "
        "or no subject: it is in effect an administrator of those roles.",
        "Keep Roles Anywhere write access and iam:PassRole on its roles to a small admin role "
        "(deny them to everyone else, e.g. with an SCP or a permissions boundary), pin "
        "aws:SourceArn and the subject in every trust, and alert on CreateTrustAnchor with a "
        "sourceType other than AWS_ACM_PCA.",
        "low when the grant depends on conditions rafix cannot decide (MFA, tags, IP)",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason="who administers the account is an organisational decision",
        pitfalls=(
            "Administrators are expected here: the finding lists who can wire a CA so you can "
            "check it is only them. rafix reads identity policies (users with their groups' "
            "policies, and roles; not service-linked roles) with the evaluator: NotAction, "
            "explicit Denies and permissions boundaries count, iam:PassRole conditioned on "
            "iam:PassedToService other than Roles Anywhere does not, and other conditions make "
            "it low. Service control policies and resource policies are not visible from "
            "inside the account. The evidence names the write actions, the passable roles "
            "(the first 100 by ARN; passable_count has them all, passable_truncated says "
            "when the list is cut) and passrole_resources, the Resource patterns of the "
            "statements that let the principal pass them."
        ),
    ),
    CheckSpec(
        "RA-GOV-SUBJECT-HYGIENE",
        "F-GOV-01",
        S.LOW,
        "subject",
        "Subject or leftover resource needs a look",
        "A Roles Anywhere subject (a certificate that has authenticated) breaks the naming "
        "convention, was issued by a CA that is not one of the account's trust anchors, failed "
        "to authenticate many times, or has not been seen for a long time while roles still "
        "pin it; or a disabled trust anchor or profile is left behind.",
        "Re-issue certificates that break the convention, investigate failed and unexpected "
        "issuers, remove pins to subjects that are gone, and delete disabled trust anchors and "
        "profiles nobody needs.",
        "info for disabled trust anchors and profiles left behind",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason="each case needs a person to decide (re-issue, investigate or delete)",
        pitfalls=(
            "ListSubjects returns summaries: issuers and failures need the subject details "
            "(aws rolesanywhere get-subject) in the export. An issuer is questioned only when "
            "every enabled trust anchor's CA is known (an AWS Private CA's name is not). "
            "Thresholds are settings (subject_stale_days, subject_failed_threshold, cn_pattern, "
            "ou_pattern)."
        ),
    ),
]

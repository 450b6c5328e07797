"""RA-TRUST-*: role trust policies (FINDINGS A). Detected in ``remediations/checks/trust/``.

Each entry holds everything about one finding: severity, words, how rafix fixes it
(:class:`FixKind`, and why not automatically) and its false-positive pitfalls.
"""

from __future__ import annotations

from remediations.catalog.spec import CheckSpec, FixKind
from remediations.findings import Severity as S

SPECS = [
    CheckSpec(
        "RA-TRUST-NO-SUBJECT-CONDITION",
        "F-TRUST-01",
        S.HIGH,
        "role",
        "Any certificate from the trust anchor can assume this role",
        "The role trusts rolesanywhere.amazonaws.com, and at least one path through its trust "
        "policy admits a certificate without pinning its subject (CN, OU, SAN or source "
        "identity). Any certificate the CA ever issued, for any workload, gets this role.",
        "Pin the workload's certificate subject: add StringEquals on "
        "aws:PrincipalTag/x509Subject/CN (and OU) to every Roles Anywhere statement, or use "
        "the hardened per-workload template.",
        "critical when the role is privileged",
        pitfalls=(
            "A pin on sts:TagSession or sts:SetSourceIdentity alone "
            "still restricts the role, a Deny with StringNotEquals on the CN is a valid pin, and "
            "sts:SourceIdentity or a SPIFFE URI SAN count as subject pins: rafix evaluates per action "
            "and counts them. An issuer-only pin is not a subject pin (medium)."
        ),
    ),
    CheckSpec(
        "RA-TRUST-NO-SOURCEARN",
        "F-TRUST-02",
        S.HIGH,
        "role",
        "Trust anchor not pinned (no aws:SourceArn)",
        "A path through the trust policy admits Roles Anywhere without an aws:SourceArn "
        "condition naming concrete trust anchors. Any trust anchor in the account can reach "
        "the role, including one an attacker creates later; aws:SourceAccount does not help "
        "because every usable trust anchor is in your account.",
        'Add "ArnEquals": {"aws:SourceArn": ["<trust anchor ARN>"]} to every Roles Anywhere '
        "statement, with the anchors of the profiles that list the role.",
        pitfalls=(
            "aws:SourceAccount alone does not pin a trust anchor (every usable "
            "anchor is in your account), although some other scanners accept it. A subject and issuer "
            "pin lower the impact, but a rogue CA can mint any names."
        ),
    ),
    CheckSpec(
        "RA-TRUST-SOURCEARN-WILDCARD",
        "F-TRUST-03",
        S.HIGH,
        "role",
        "aws:SourceArn pin is a wildcard",
        "The aws:SourceArn condition uses a pattern (such as trust-anchor/*) that admits every "
        "trust anchor in the account, including one created later.",
        "Replace the pattern with the explicit list of trust-anchor ARNs the workload uses.",
        pitfalls=(
            "A pattern that names one concrete anchor ID is not a wildcard; trust-anchor/* is."
        ),
    ),
    CheckSpec(
        "RA-TRUST-SOURCEARN-STALE",
        "F-TRUST-03",
        S.LOW,
        "role",
        "aws:SourceArn names a trust anchor that does not exist",
        "The trust policy pins a trust-anchor ARN that matches no trust anchor in the account. "
        "Trust-anchor IDs are never reused, so the pin is dead rather than dangerous; if it is "
        "the only one, the role cannot be used through Roles Anywhere.",
        "Remove the stale ARN (check RoleLastUsed before changing a role that seems unused).",
        pitfalls=(
            "Trust-anchor IDs are never reused, so a stale pin cannot be "
            "hijacked. If it is the only pin, the role is unusable through Roles Anywhere: check "
            "RoleLastUsed before changing it."
        ),
    ),
    CheckSpec(
        "RA-TRUST-SUBJECT-WILDCARD",
        "F-TRUST-04",
        S.HIGH,
        "role",
        "Subject condition is a wildcard",
        'A subject condition matches everything or nearly everything (StringLike "*", a '
        "prefix pattern), so it does not identify one workload.",
        "Use StringEquals on the exact CN or URI; if several workloads share the role, split it.",
        "medium for a SPIFFE namespace pattern",
        pitfalls=(
            "A SPIFFE namespace pattern (spiffe://td/ns/payments/sa/*) can "
            "be intended: rafix rates it medium and counts the subjects it matches."
        ),
    ),
    CheckSpec(
        "RA-TRUST-MULTIPLE-SUBJECTS",
        "F-TRUST-05",
        S.MEDIUM,
        "role",
        "One role serves several certificate subjects",
        "The trust policy admits several distinct subjects (a list of CNs, or one statement per "
        "CN). One role then serves many workloads, which breaks one-role-per-workload.",
        "Give each workload a dedicated role with the hardened trust, move clients over, then "
        "drop the extra subjects from this role (a two-phase change).",
        fix_kind=FixKind.SPLIT,
        pitfalls=(
            "Several CNs can be one workload during certificate rotation "
            "(app-a, app-a-v2); rafix points such aliases out."
        ),
    ),
    CheckSpec(
        "RA-TRUST-ISSUER-NOT-PINNED",
        "F-TRUST-06",
        S.MEDIUM,
        "role",
        "Issuing CA not pinned",
        "No path pins the certificate issuer (aws:PrincipalTag/x509Issuer/*). Certificates of "
        "any CA subordinate to the trust anchor are accepted.",
        'Add "StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "<issuing CA CN>"}.',
        "low when the only trust anchor is a dedicated issuing CA",
        pitfalls=(
            "With a single trust anchor whose CA issues only for this "
            "purpose, the risk is low (rafix rates it low)."
        ),
    ),
    CheckSpec(
        "RA-TRUST-FAIL-OPEN-OPERATOR",
        "F-TRUST-07",
        S.HIGH,
        "role",
        "Condition passes when the certificate attribute is absent",
        "An Allow statement uses a negated, ...IfExists or ForAllValues: operator on a "
        "certificate, source-identity or source-ARN key. Those pass when the key is absent, "
        "and a profile's attribute mapping can make it absent.",
        "Rewrite as positive StringEquals/ArnEquals; move a block list into a Deny statement, "
        "where an absent key fails closed.",
        "low for ForAnyValue: (wrong, but fails closed)",
        pitfalls=(
            "A negated or IfExists operator on a tag the certificate "
            "always carries is safe only while every profile maps that tag; rafix checks the profiles' "
            "attribute mappings."
        ),
    ),
    CheckSpec(
        "RA-TRUST-MIXED-PRINCIPALS",
        "F-TRUST-08",
        S.HIGH,
        "role",
        "Role trusted by Roles Anywhere and by other principals",
        "The role can be assumed through Roles Anywhere and also by other principals (an AWS "
        "account or role, a federated provider, another service). Two identity paths share one "
        "role and its permissions.",
        "Create a dedicated Roles Anywhere role with the same permissions, point the profiles "
        "at it, then remove the Roles Anywhere statement from this role (a two-phase change).",
        "medium when the other principal is a single named role",
        fix_kind=FixKind.SPLIT,
        pitfalls=(
            "A break-glass admin principal beside Roles Anywhere is still "
            "reported (a dedicated role is the practice), at medium for a single named role."
        ),
    ),
    CheckSpec(
        "RA-TRUST-WILDCARD-PRINCIPAL",
        "F-TRUST-09",
        S.CRITICAL,
        "role",
        "Trust policy allows any principal",
        'An Allow statement has "Principal": "*" (or {"AWS": "*"}), which covers Roles Anywhere '
        "and every other principal.",
        "Replace the wildcard with explicit principals plus the hardened Roles Anywhere statement.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=(
            'the explicit principals that should replace "*" are not in the account\'s data'
        ),
        pitfalls=(
            "aws:PrincipalOrgID and similar conditions restrict AWS "
            "principals, not the Roles Anywhere path; rafix evaluates that path on its own."
        ),
    ),
    CheckSpec(
        "RA-TRUST-MISSING-REQUIRED-ACTION",
        "F-TRUST-10",
        S.LOW,
        "role",
        "Roles Anywhere cannot use this role (missing action)",
        "Roles Anywhere needs sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity. Some of "
        "them are allowed on no path, so CreateSession fails for this role.",
        "Allow the missing actions under the same conditions as the sts:AssumeRole path.",
        pitfalls=(
            "The missing action may be allowed by another "
            "statement; rafix reports it only when no statement allows it."
        ),
    ),
    CheckSpec(
        "RA-TRUST-SOURCEIP-CONDITION",
        "F-TRUST-11",
        S.MEDIUM,
        "role",
        "IP condition in a Roles Anywhere trust (never the workload's IP)",
        "The caller of AssumeRole is the Roles Anywhere service, so aws:SourceIp, "
        "aws:VpcSourceIp, aws:SourceVpc and aws:SourceVpce never describe the workload: a "
        "positive IP condition breaks the role, a negated or IfExists one is meaningless.",
        "Remove the IP condition from the trust; put a Deny with NotIpAddress in the profile's "
        "session policy instead, where aws:SourceIp is the workload's egress address.",
        pitfalls=(
            "Roles Anywhere calls STS itself, so aws:SourceIp sees the "
            "service, not the workload: the condition either blocks the role or protects nothing."
        ),
    ),
    CheckSpec(
        "RA-TRUST-LEGACY-VERSION-WITH-VARIABLES",
        "F-TRUST-12",
        S.MEDIUM,
        "role",
        "Policy variables in a policy without Version 2012-10-17",
        "The trust policy has no Version or Version 2008-10-17, so ${...} is compared as a "
        "literal string: a binding such as sts:RoleSessionName = ${aws:PrincipalTag/...} never "
        "matches, or always matches under a negated operator.",
        'Set "Version": "2012-10-17".',
        pitfalls=(
            "Without Version 2012-10-17, ${...} is a literal "
            "string: the condition compares against the text, never the certificate's value."
        ),
    ),
    CheckSpec(
        "RA-TRUST-SUBJECT-NAMING",
        "section 6",
        S.LOW,
        "role",
        "Pinned subject breaks the naming rules",
        "A pinned CN or OU uses characters outside the STS tag charset [A-Za-z0-9 _.:/=+-@] (the "
        "session fails to map it), is longer than 61 characters (the source identity is then "
        "no longer CN=...), or does not follow the configured naming convention.",
        "Issue the workload a certificate whose CN follows <app>.<component>.<env> in the STS "
        "tag charset, at most 61 characters, and pin that.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("the fix is a new certificate for the workload, issued outside AWS"),
        pitfalls=(
            "Only reported for a configured naming convention (cn_pattern, "
            "ou_pattern) or a value STS cannot carry as a session tag."
        ),
    ),
]

"""What to tell the user when the account cannot be read: a title and what to do.

The core says what went wrong in one line (a ``RafixError``); this adds the advice a person
needs next, chosen from the kind of failure. No traceback ever reaches the screen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Advice:
    title: str
    message: str
    todo: str


_RULES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("no aws credentials", "unable to locate credentials", "nocredentials"),
        "No AWS credentials",
        "Sign in (`aws sso login --profile NAME`, or set AWS_PROFILE) and run `rafix --profile "
        "NAME`; or read exported files with `rafix tui --from-file DIR`.",
    ),
    (
        ("expiredtoken", "has expired", "sso token", "refresh failed", "expired"),
        "The AWS session has expired",
        "Run `aws sso login --profile NAME` (or renew your credentials), then press r to retry.",
    ),
    (
        ("accessdenied", "access denied", "not authorized", "unauthorizedoperation"),
        "Access denied",
        "The credentials may not read the account. A scan needs iam:GetAccountAuthorizationDetails, "
        "iam:ListRoles and rolesanywhere:List* (AWSRolesAnywhereReadOnly); see the README.",
    ),
    (
        ("throttl", "rate exceeded", "toomanyrequests", "slowdown"),
        "AWS is throttling the requests",
        "Wait a minute and press r to retry, or read fewer regions with --region.",
    ),
    (
        ("cannot reach the endpoint", "could not connect", "connect timeout", "endpoint"),
        "The AWS endpoint cannot be reached",
        "Check the network, proxy or --endpoint-url, then press r to retry.",
    ),
    (
        ("credentials were rejected", "invalidclienttokenid", "unrecognizedclient"),
        "The AWS credentials were rejected",
        "Renew the credentials (or choose another --profile), then press r to retry.",
    ),
    (
        ("no aws region", "--region"),
        "No AWS region",
        "Pass --region (e.g. --region eu-west-1) or set AWS_REGION.",
    ),
)


def advise(error: BaseException) -> Advice:
    """The panel for ``error``; an unexpected error still gets a one-line message."""
    from remediations.errors import RafixError

    text = str(error) or type(error).__name__
    lowered = text.lower()
    for needles, title, todo in _RULES:  # in order: an expired token is also "rejected"
        if any(needle in lowered for needle in needles):
            return Advice(title, text, todo)
    if isinstance(error, RafixError):
        return Advice("The account could not be read", text, "Fix the cause above and press r.")
    return Advice(
        "Something went wrong",
        f"{type(error).__name__}: {text}",
        "Press r to retry; run with RAFIX_DEBUG=1 from a terminal to see details.",
    )

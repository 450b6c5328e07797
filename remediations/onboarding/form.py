"""For forms that check each value as it is typed (the app's wizard)."""

from __future__ import annotations

import re
from dataclasses import replace

from remediations.model import Inventory
from remediations.onboarding.request import POLICY_ARN, SPIFFE, OnboardingError, OnboardRequest
from remediations.onboarding.validate import (
    check_anchor_arn,
    check_name_part,
    requested_services_and_scopes,
)
from remediations.settings import STS_TAG_CHARSET, Settings

# --- for forms that check each value as it is typed (the app's wizard) ------------------------

#: The request fields :func:`field_problem` checks; lists are comma-separated.
FORM_FIELDS = (
    "workload",
    "env",
    "team",
    "trust_anchor_arn",
    "issuer_cn",
    "services",
    "resource_arns",
    "managed_policy_arns",
    "spiffe_uri",
)


def split_list(value: str) -> tuple[str, ...]:
    """``"s3, sqs"`` -> ``("s3", "sqs")``."""
    return tuple(v.strip() for v in value.split(",") if v.strip())


def field_problem(key: str, value: str) -> str | None:
    """Why one typed value is refused (None: acceptable so far); the whole request is checked
    again, against the account, when it is planned."""
    value = value.strip()
    probe = OnboardRequest("w", "e", "t", EXAMPLE_ANCHOR_ARN)
    try:
        if key in ("workload", "env", "team"):
            check_name_part(f"--{key}", value)
        elif key == "trust_anchor_arn":
            check_anchor_arn(replace(probe, trust_anchor_arn=value))
        elif key == "issuer_cn":
            if value and (not STS_TAG_CHARSET.match(value) or len(value) > 256):
                return "the issuer CN has characters outside the STS session-tag charset"
        elif key == "services":
            requested_services_and_scopes(replace(probe, services=split_list(value)))
        elif key == "resource_arns":
            requested_services_and_scopes(replace(probe, resource_arns=split_list(value)))
        elif key == "managed_policy_arns":
            bad = [a for a in split_list(value) if not POLICY_ARN.match(a)]
            if bad:
                return f"{bad[0]!r} is not a managed policy ARN"
        elif key == "spiffe_uri":
            if value and (not SPIFFE.match(value) or len(value) > 256):
                return "not spiffe://<trust domain>/<path> (no wildcard)"
        else:
            raise ValueError(f"unknown onboarding field {key!r}")
    except OnboardingError as exc:
        return str(exc)
    return None


EXAMPLE_ANCHOR_ARN = (
    "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/00000000-0000-4000-8000-000000000000"
)


def teams_of_profiles(inventory: Inventory, settings: Settings, env: str) -> list[str]:
    """Teams that already have a profile for ``env`` under the naming convention."""
    template = settings.profile_name_template
    pattern = re.escape(template)
    for name, group in (("team", r"(?P<team>[A-Za-z0-9_-]+?)"), ("env", re.escape(env))):
        pattern = pattern.replace(re.escape("{" + name + "}"), group, 1)
    try:
        compiled = re.compile(pattern)
    except re.error:
        return []
    found = {
        m.group("team") for p in inventory.profiles.values() if (m := compiled.fullmatch(p.name))
    }
    return sorted(found)

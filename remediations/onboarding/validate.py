"""Checks of an onboarding request: names, subject, trust anchor, services, managed policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from remediations.iam.managed_policies import resolve_policy
from remediations.iam.policy import as_list
from remediations.iam.service_prefixes import SERVICE_PREFIXES
from remediations.iam.x509 import issuing_ca_cns, parse_certificate_bundle
from remediations.model import Inventory, TrustAnchor
from remediations.onboarding.request import (
    ANCHOR_ARN,
    DN_SPECIAL,
    MAX_MANAGED_POLICIES,
    NAME_PART,
    POLICY_ARN,
    PROFILE_NAME,
    REFUSED_SERVICES,
    RESOURCE_ARN,
    ROLE_NAME,
    SPIFFE,
    OnboardingError,
    OnboardRequest,
)
from remediations.settings import MAX_SOURCE_IDENTITY_CN, STS_TAG_CHARSET, Settings

# --- checks of the request ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """What can be told of a request without the account: the names it gives."""

    role_name: str
    profile_name: str
    cn: str
    ou: str | None
    spiffe_uri: str | None
    services: tuple[str, ...]
    scoped: dict[str, list[str]]


def check_request(request: OnboardRequest, settings: Settings | None = None) -> CheckedRequest:
    """Every check that needs no account (names, convention, anchor ARN, services), so a
    front end can refuse a bad request before reading the account.

    Raises:
        OnboardingError: the first problem, in one line.
    """
    settings = settings or Settings()
    for label, value in (("--workload", request.workload), ("--env", request.env),
                         ("--team", request.team)):  # fmt: skip
        check_name_part(label, value)
    check_anchor_arn(request)
    fields = {"workload": request.workload, "env": request.env, "team": request.team}
    role_name = _fill(settings, "role_name_template", fields)
    if not ROLE_NAME.match(role_name):
        raise OnboardingError(
            f"role name {role_name!r} is not a valid IAM role name (at most 64 of letters, "
            "digits and +=,.@_-); shorten the names or change role_name_template"
        )
    profile_name = _fill(settings, "profile_name_template", fields)
    if not PROFILE_NAME.match(profile_name):
        raise OnboardingError(
            f"profile name {profile_name!r} is not a valid Roles Anywhere profile name "
            "(letters, digits, spaces, - and _); change profile_name_template"
        )
    cn, ou, spiffe = _subject(request, settings, fields)
    services, scoped = requested_services_and_scopes(request)
    if not services and not any(a.strip() for a in request.managed_policy_arns):
        raise OnboardingError(
            "name at least one AWS service the workload needs (--service s3), a resource "
            "(--resource ARN) or a managed policy (--managed-policy ARN)"
        )
    return CheckedRequest(role_name, profile_name, cn, ou, spiffe, tuple(services), scoped)


def check_name_part(label: str, value: str) -> None:
    if not NAME_PART.match(value or ""):
        raise OnboardingError(
            f"{label} {value!r}: use 1 to 32 letters, digits, '-' or '_', starting and ending "
            "with a letter or digit (it becomes part of role, profile and certificate names)"
        )


def _fill(settings: Settings, key: str, fields: dict[str, str]) -> str:
    template = str(getattr(settings, key))
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise OnboardingError(
            f"{key} {template!r} cannot be filled ({type(exc).__name__}: {exc}); use only "
            "{workload}, {env} and {team}"
        ) from None


def _check_rdn(label: str, value: str, pattern: str | None, source: str) -> None:
    """The naming rules a pinned CN/OU must follow (the scan's RA-TRUST-SUBJECT-NAMING)."""
    if not value:
        raise OnboardingError(f"{label} is empty ({source})")
    if not STS_TAG_CHARSET.match(value):
        raise OnboardingError(
            f"{label} {value!r} ({source}) has characters outside the STS session-tag charset "
            "(letters, digits, spaces and _ . : / = + - @): Roles Anywhere cannot map it"
        )
    special = sorted(set(value) & DN_SPECIAL)
    if special or value != value.strip():
        what = f"{''.join(special)!r}" if special else "leading or trailing spaces"
        raise OnboardingError(
            f"{label} {value!r} ({source}) contains {what}, which breaks the certificate "
            "subject and its attribute mapping"
        )
    if label == "CN" and len(value) > MAX_SOURCE_IDENTITY_CN:
        raise OnboardingError(
            f"CN {value!r} ({source}) is {len(value)} characters; at most "
            f"{MAX_SOURCE_IDENTITY_CN} keep the session's source identity CN=<cn>"
        )
    if pattern and re.fullmatch(pattern, value) is None:
        raise OnboardingError(
            f"{label} {value!r} ({source}) does not match the naming convention "
            f"{label.lower()}_pattern {pattern!r}"
        )


def _subject(
    request: OnboardRequest, settings: Settings, fields: dict[str, str]
) -> tuple[str, str | None, str | None]:
    """CN, OU and SPIFFE ID: from the certificate or CSR when given, else the convention."""
    cert = request.certificate
    spiffe = request.spiffe_uri
    if cert is not None:
        where = f"the {cert.kind}'s subject"
        cn = cert.rdn("CN")
        if cn is None:
            raise OnboardingError(f"the {cert.kind} has no CN in its subject {cert.subject_text}")
        ous = cert.rdns("OU")
        if len(ous) > 1:
            raise OnboardingError(
                f"the {cert.kind} has {len(ous)} OUs ({', '.join(ous)}); rafix pins one"
            )
        ou = ous[0] if ous else None
        spiffe_ids = [u for u in cert.uris if u.startswith("spiffe://")]
        if spiffe is None and len(spiffe_ids) == 1:
            spiffe = spiffe_ids[0]
        elif spiffe is not None and cert.uris and spiffe not in cert.uris:
            raise OnboardingError(
                f"--spiffe-uri {spiffe} is not among the {cert.kind}'s URI SANs "
                f"({', '.join(cert.uris)})"
            )
        elif spiffe is None and len(spiffe_ids) > 1:
            raise OnboardingError(
                f"the {cert.kind} carries {len(spiffe_ids)} SPIFFE IDs; pass the one to pin "
                "with --spiffe-uri"
            )
    else:
        where = "naming convention"
        cn = _fill(settings, "cert_cn_template", fields)
        ou = _fill(settings, "cert_ou_template", fields) or None
    _check_rdn("CN", cn, settings.cn_pattern, where)
    if ou is not None:
        _check_rdn("OU", ou, settings.ou_pattern, where)
    if spiffe is not None and (
        not SPIFFE.match(spiffe) or len(spiffe) > 256 or not STS_TAG_CHARSET.match(spiffe)
    ):
        raise OnboardingError(
            f"SPIFFE ID {spiffe!r} is not spiffe://<trust domain>/<path> (lower-case "
            "trust domain, path of letters, digits and . _ ~ -, no wildcard, at most 256 "
            "characters)"
        )
    return cn, ou, spiffe


def check_anchor_arn(request: OnboardRequest) -> None:
    arn = request.trust_anchor_arn.strip()
    if not ANCHOR_ARN.match(arn):
        raise OnboardingError(
            f"--trust-anchor {arn!r} is not a trust anchor ARN "
            "(arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)"
        )
    region = arn.split(":")[3]
    if request.region and region != request.region:
        raise OnboardingError(
            f"trust anchor {arn} is in {region}, not {request.region}: the profile must be in "
            "the anchor's region"
        )


def find_anchor(request: OnboardRequest, inventory: Inventory) -> TrustAnchor:
    arn = request.trust_anchor_arn.strip()
    anchor = inventory.trust_anchors.get(arn)
    if anchor is None:
        known = sorted(a.arn for a in inventory.trust_anchors.values() if a.enabled)
        hint = f"; enabled anchors: {', '.join(known)}" if known else ""
        raise OnboardingError(f"trust anchor {arn} is not in the account{hint}")
    if not anchor.enabled:
        raise OnboardingError(
            f"trust anchor {anchor.name} ({arn}) is disabled: its certificates get no "
            "credentials; enable it or choose another"
        )
    if request.region and anchor.region != request.region:
        raise OnboardingError(
            f"trust anchor {anchor.name} is in {anchor.region}, not {request.region}: the "
            "profile must be in the anchor's region"
        )
    return anchor


def anchor_arn_parts(arn: str) -> tuple[str, str, str]:
    match = ANCHOR_ARN.match(arn)
    if match is None:  # checked in find_anchor
        raise OnboardingError(f"{arn} is not a trust anchor ARN")
    return match.group(1), match.group(2), match.group(3)


def anchor_issuer_cns(anchor: TrustAnchor) -> list[str]:
    """The CNs the anchor's CA issues workload certificates under, where rafix can read them.

    A certificate bundle is read from its PEM. For ACM PCA anchors the CA certificate is not
    part of the Roles Anywhere API, so nothing can be read offline (the issuer CN is then
    given by the user; ``aws acm-pca get-certificate-authority-certificate`` shows it).
    """
    if anchor.certificate_pem:
        return issuing_ca_cns(anchor.certificate_pem)
    return []


def choose_issuer_cn(request: OnboardRequest, anchor: TrustAnchor) -> str:
    known = anchor_issuer_cns(anchor)
    all_cns: set[str] = set()
    if anchor.certificate_pem:
        bundle = parse_certificate_bundle(anchor.certificate_pem)
        all_cns = {cn for c in bundle.certificates if (cn := c.rdn("CN"))}
    cert = request.certificate
    from_cert = cert.issuer_cn() if cert is not None else None
    given = request.issuer_cn.strip() if request.issuer_cn else None
    if given and from_cert and given != from_cert:
        raise OnboardingError(
            f"--issuer-cn {given!r} differs from the certificate's issuer CN {from_cert!r}"
        )
    chosen = given or from_cert
    if chosen is None:
        if len(known) == 1:
            chosen = known[0]
        elif known:
            raise OnboardingError(
                f"trust anchor {anchor.name}'s bundle holds several issuing CAs "
                f"({', '.join(known)}); pass the workload's with --issuer-cn"
            )
        elif anchor.source_type == "AWS_ACM_PCA":
            raise OnboardingError(
                f"trust anchor {anchor.name} uses ACM PCA {anchor.acm_pca_arn}; rafix cannot "
                "read its CA certificate from the Roles Anywhere API: pass --issuer-cn (`aws "
                "acm-pca get-certificate-authority-certificate --certificate-authority-arn "
                "ARN` shows its subject)"
            )
        else:
            raise OnboardingError(
                f"rafix cannot read the CA of trust anchor {anchor.name}: pass --issuer-cn"
            )
    elif all_cns and chosen not in all_cns:
        source = "the certificate's issuer CN" if chosen == from_cert else "--issuer-cn"
        raise OnboardingError(
            f"{source} {chosen!r} is not a CA of trust anchor {anchor.name} "
            f"({', '.join(sorted(all_cns))})"
        )
    if not STS_TAG_CHARSET.match(chosen) or len(chosen) > 256:
        raise OnboardingError(
            f"issuer CN {chosen!r} has characters outside the STS session-tag charset; "
            "Roles Anywhere cannot map it"
        )
    return chosen


def requested_services_and_scopes(
    request: OnboardRequest,
) -> tuple[list[str], dict[str, list[str]]]:
    """The service prefixes, and the resources each is scoped to (none: every resource)."""
    services: list[str] = []
    for raw in request.services:
        for name in str(raw).split(","):
            service = name.strip().lower()
            if service:
                _check_service(service, f"--service {service}")
                if service not in services:
                    services.append(service)
    scoped: dict[str, list[str]] = {}
    for arn in request.resource_arns:
        match = RESOURCE_ARN.match(arn.strip())
        if match is None:
            raise OnboardingError(f"--resource {arn!r} is not an ARN (arn:aws:SERVICE:...)")
        service = match.group(1)
        _check_service(service, f"--resource {arn}")
        if service not in services:
            services.append(service)
        if arn.strip() not in scoped.setdefault(service, []):
            scoped[service].append(arn.strip())
    return sorted(services), scoped


def _check_service(service: str, label: str) -> None:
    if service in REFUSED_SERVICES:
        raise OnboardingError(
            f"{label}: onboarding does not grant {REFUSED_SERVICES[service]} ({service}); the "
            "session policy's guardrails deny it"
        )
    if service not in SERVICE_PREFIXES:
        close = sorted(p for p in SERVICE_PREFIXES if p.startswith(service[:3]))[:5]
        hint = f" (similar: {', '.join(close)})" if close else ""
        raise OnboardingError(f"{label}: unknown AWS service prefix {service!r}{hint}")


def managed_policies(request: OnboardRequest, inventory: Inventory) -> list[str]:
    arns = sorted({a.strip() for a in request.managed_policy_arns if a.strip()})
    if len(arns) > MAX_MANAGED_POLICIES:
        raise OnboardingError(
            f"{len(arns)} managed policies; IAM attaches at most {MAX_MANAGED_POLICIES} to a role"
        )
    for arn in arns:
        match = POLICY_ARN.match(arn)
        if match is None:
            raise OnboardingError(f"--managed-policy {arn!r} is not a managed policy ARN")
        own = match.group(1) == inventory.account_id
        if own and "iam" in inventory.coverage and arn not in inventory.policies:
            raise OnboardingError(f"--managed-policy {arn} is not in the account")
    return arns


def with_managed_services(
    services: list[str], managed: list[str], inventory: Inventory
) -> list[str]:
    """Add the services the managed policies allow, so the session policy lets them through."""
    out = set(services)
    for arn in managed:
        document = resolve_policy(arn, inventory.policies)
        if document is None:
            if not services:
                raise OnboardingError(
                    f"rafix cannot read managed policy {arn}: name the services it is for "
                    "with --service, so the session policy allows them"
                )
            continue
        for prefix in allowed_prefixes(document, arn):
            if prefix in REFUSED_SERVICES:
                raise OnboardingError(
                    f"managed policy {arn} grants {prefix}:*-level access "
                    f"({REFUSED_SERVICES[prefix]}); onboarding does not grant it"
                )
            out.add(prefix)
    return sorted(out)


def allowed_prefixes(document: dict[str, Any], where: str) -> set[str]:
    prefixes: set[str] = set()
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            raise OnboardingError(
                f"{where} allows by NotAction: rafix cannot tell which services it grants"
            )
        for action in as_list(statement.get("Action")):
            prefix = str(action).split(":", 1)[0].lower()
            if "*" in prefix or "?" in prefix or ":" not in str(action):
                raise OnboardingError(
                    f"{where} allows {action!r}: every service; onboarding grants named "
                    "services only"
                )
            prefixes.add(prefix)
    return prefixes

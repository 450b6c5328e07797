"""Onboarding: a new workload's role and profile, planned like any fix.

:func:`plan_onboarding` turns a typed :class:`OnboardRequest` (workload, environment, team,
trust anchor, services...) and the account's :class:`~remediations.model.Inventory` into an
ordinary :class:`~remediations.plan.Plan`: a role created with a hardened trust policy and a
permissions policy scoped to the workload's services, and the team's profile for that
environment created or extended (other roles kept) with the guardrail session policy. The plan
then takes the same preview, confirmation, snapshot, apply, verify and rollback path as a fix.

Everything is checked before anything is planned, with one clear line per problem
(:class:`OnboardingError`): names against the naming convention (``Settings``), the STS tag
charset and lengths, the trust anchor, the services, a name already taken. The plan is then
proved not to cause a finding: the scanner runs on the account as the plan leaves it, and any
finding on the role or profile that was not there before refuses the plan.

Pure: no I/O, no AWS calls (the CLI and the app read the certificate file and the account).
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from remediations.errors import InputError, PolicyError
from remediations.findings import Finding
from remediations.iam.permissions import resolve_policy
from remediations.iam.policy import as_list
from remediations.iam.service_prefixes import SERVICE_PREFIXES
from remediations.iam.x509 import WorkloadCertificate, issuing_ca_cns, parse_certificate_bundle
from remediations.model import GLOBAL_REGION, Inventory, Profile, Role, TrustAnchor
from remediations.plan import Plan, build_plan
from remediations.proposals.render import check_document, render, render_document
from remediations.proposals.results import ProposalSet, ProposedChange
from remediations.settings import MAX_SOURCE_IDENTITY_CN, STS_TAG_CHARSET, Settings
from remediations.state import (
    DEFAULT_DURATION_SECONDS,
    NEUTRAL_SESSION_POLICY,
    detailed_role_state,
    equivalent,
    pending_profile_arn,
    pending_profile_name,
    profile_state,
)

#: The tag onboarding puts on the roles it creates: ``<workload>/<env>/<team>``. A role with
#: this name but without the tag belongs to something else and is never touched.
ONBOARDING_TAG = "rafix:onboarding"
PERMISSIONS_POLICY_NAME = "rafix-onboarding"
TRUST_SID = "RolesAnywhereOnboardedWorkload"
#: Sids of rafix's guardrail session policy (session_policy_guardrails.json.j2).
_GUARDRAIL_ALLOW_SID = "AllowWorkloadServices"
_GUARDRAIL_DENY_SIDS = frozenset({"DenyIdentityAndControlPlane", "DenyDestructiveData"})
#: Services a workload is never granted through onboarding: the guardrails deny them, and
#: ``sts:AssumeRole`` on anything would let the workload leave its role.
REFUSED_SERVICES = {
    "iam": "identity administration",
    "sts": "assuming other roles",
    "rolesanywhere": "Roles Anywhere administration",
    "organizations": "organisation administration",
    "account": "account administration",
}
#: IAM's default quota of managed policies attached to one role.
MAX_MANAGED_POLICIES = 10
#: Certificates issued for onboarded workloads; the session lasts this long.
DURATION_SECONDS = DEFAULT_DURATION_SECONDS

_NAME_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,30}[A-Za-z0-9])?$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_PROFILE_NAME = re.compile(r"^[ a-zA-Z0-9_-]{1,255}$")
#: Characters an RDN value must not carry: they need escaping in a DN, in ``openssl -subj``
#: and in Roles Anywhere's attribute mapping.
_DN_SPECIAL = frozenset('/,+=;<>#"\\')
_SPIFFE = re.compile(r"^spiffe://[a-z0-9.-]+(?:/[A-Za-z0-9._~-]+)+$")
_ANCHOR_ARN = re.compile(
    r"^arn:(aws[a-z-]*):rolesanywhere:([a-z0-9-]+):(\d{12}):trust-anchor/[0-9a-f-]{36}$"
)
_RESOURCE_ARN = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(?:\d{12}|aws)?:\S+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,512}$")


class OnboardingError(InputError):
    """A request that cannot be onboarded: one line saying what and how to fix it."""


@dataclass(frozen=True, slots=True)
class OnboardRequest:
    """What a user asks to onboard (typed values; the CLI and the wizard fill it).

    Attributes:
        workload, env, team: name parts (letters, digits, ``-``, ``_``).
        trust_anchor_arn: the anchor the workload's certificates chain to.
        issuer_cn: the issuing CA's CN; None: read from the anchor's bundle.
        services: IAM service prefixes the workload needs (``s3``, ``dynamodb``...).
        resource_arns: ARNs to scope those services to (each adds its own service).
        managed_policy_arns: managed policies to attach (instead of, or besides, services).
        spiffe_uri: pin this SPIFFE ID (URI SAN) instead of the certificate subject.
        certificate: the workload's certificate or CSR, already read: its subject, issuer
            and SANs are used instead of the naming convention's and checked.
        region: the region the user asked for, if any (the anchor must be in it).
    """

    workload: str
    env: str
    team: str
    trust_anchor_arn: str
    issuer_cn: str | None = None
    services: tuple[str, ...] = ()
    resource_arns: tuple[str, ...] = ()
    managed_policy_arns: tuple[str, ...] = ()
    spiffe_uri: str | None = None
    certificate: WorkloadCertificate | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class OnboardNames:
    """The names, ARNs and certificate values an onboarding uses."""

    role_name: str
    role_arn: str
    profile_name: str
    #: The profile's ARN; ``profile/new:NAME`` until the plan that creates it is applied.
    profile_arn: str
    profile_exists: bool
    cn: str
    ou: str | None
    issuer_cn: str
    spiffe_uri: str | None
    region: str
    trust_anchor_arn: str
    services: tuple[str, ...]
    managed_policy_arns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """What the workload's operator needs once the plan is applied."""

    subject: str
    openssl_command: str
    aws_config: str
    certificate_path: str
    private_key_path: str
    csr_path: str
    role_arn: str
    profile_arn: str
    trust_anchor_arn: str
    region: str
    spiffe_uri: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "openssl_command": self.openssl_command,
            "aws_config": self.aws_config,
            "certificate_path": self.certificate_path,
            "private_key_path": self.private_key_path,
            "csr_path": self.csr_path,
            "role_arn": self.role_arn,
            "profile_arn": self.profile_arn,
            "trust_anchor_arn": self.trust_anchor_arn,
            "region": self.region,
            "spiffe_uri": self.spiffe_uri,
        }


@dataclass(slots=True)
class Onboarding:
    """A planned onboarding: the plan, and the names it uses."""

    request: OnboardRequest
    names: OnboardNames
    plan: Plan
    #: Findings the scanner already reports on the team's existing profile (not caused here).
    existing_findings: list[Finding] = field(default_factory=list)

    @property
    def already_onboarded(self) -> bool:
        """The account already holds exactly this onboarding: the plan changes nothing."""
        return not self.plan.changes

    def client_config(
        self, *, profile_arn: str | None = None, key_dir: str = "/etc/rolesanywhere"
    ) -> ClientConfig:
        """The certificate request and signing-helper configuration.

        Args:
            profile_arn: the profile's real ARN once it exists (a created profile has none in
                the plan); default: the plan's.
            key_dir: where the key, CSR and certificate live on the workload's host.

        Raises:
            OnboardingError: the profile is still only planned and no ARN was given.
        """
        names = self.names
        arn = profile_arn or names.profile_arn
        if pending_profile_name(arn) is not None:
            raise OnboardingError(
                f"profile {names.profile_name} does not exist yet: apply the plan first"
            )
        return client_config(names, arn, key_dir)


def client_config(names: OnboardNames, profile_arn: str, key_dir: str) -> ClientConfig:
    base = f"{key_dir.rstrip('/') or '/'}/{names.cn}".replace("//", "/")
    key, csr, cert = f"{base}.key", f"{base}.csr", f"{base}.pem"
    parts = [f"CN={names.cn}"] + ([f"OU={names.ou}"] if names.ou else [])
    subj = "/" + "/".join(parts)
    openssl = [
        "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", csr, "-subj", subj,
    ]  # fmt: skip
    if names.spiffe_uri:
        openssl += ["-addext", f"subjectAltName=URI:{names.spiffe_uri}"]
    helper = [
        "aws_signing_helper", "credential-process",
        "--certificate", cert, "--private-key", key,
        "--trust-anchor-arn", names.trust_anchor_arn,
        "--profile-arn", profile_arn,
        "--role-arn", names.role_arn,
    ]  # fmt: skip
    aws_config = (
        f"[profile {names.role_name}]\n"
        f"credential_process = {shlex.join(helper)}\n"
        f"region = {names.region}\n"
    )
    return ClientConfig(
        subject=", ".join(parts),
        openssl_command=shlex.join(openssl),
        aws_config=aws_config,
        certificate_path=cert,
        private_key_path=key,
        csr_path=csr,
        role_arn=names.role_arn,
        profile_arn=profile_arn,
        trust_anchor_arn=names.trust_anchor_arn,
        region=names.region,
        spiffe_uri=names.spiffe_uri,
    )


# --- the plan ----------------------------------------------------------------------------------


def plan_onboarding(
    request: OnboardRequest, inventory: Inventory, settings: Settings | None = None
) -> Onboarding:
    """Check the request against the account and the naming convention, then plan it.

    Raises:
        OnboardingError: the request cannot be onboarded (one clear line; nothing planned).
        PolicyError: a rendered document would not be valid or would not fit.
    """
    settings = settings or Settings()
    checked = check_request(request, settings)
    role_name, profile_name = checked.role_name, checked.profile_name
    cn, ou, spiffe = checked.cn, checked.ou, checked.spiffe_uri
    anchor = _anchor(request, inventory)
    partition, region, account = _anchor_arn_parts(anchor.arn)
    if inventory.account_id and inventory.account_id != account:
        raise OnboardingError(
            f"trust anchor {anchor.arn} is in account {account}, not {inventory.account_id}"
        )
    issuer_cn = _issuer_cn(request, anchor)
    services, scoped = list(checked.services), checked.scoped
    managed = _managed_policies(request, inventory)
    services = _with_managed_services(services, managed, inventory)
    if not services:
        raise OnboardingError(
            "name at least one AWS service the workload needs (--service s3), a resource "
            "(--resource ARN) or a managed policy whose services rafix can read"
        )
    role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
    existing_role = _existing_role(inventory, role_name, request)
    role_after = _role_state(
        request, anchor.arn, cn, ou, issuer_cn, spiffe, services, scoped, managed
    )
    profile = _team_profile(inventory, region, profile_name)
    profile_arn = (
        profile.arn if profile else pending_profile_arn(partition, region, account, profile_name)
    )
    names = OnboardNames(
        role_name=role_name,
        role_arn=existing_role.arn if existing_role else role_arn,
        profile_name=profile_name,
        profile_arn=profile_arn,
        profile_exists=profile is not None,
        cn=cn,
        ou=ou,
        issuer_cn=issuer_cn,
        spiffe_uri=spiffe,
        region=region,
        trust_anchor_arn=anchor.arn,
        services=tuple(services),
        managed_policy_arns=tuple(managed),
    )
    profile_before = profile_state(profile) if profile else None
    profile_after = _profile_state(
        inventory, profile, names.role_arn, services, role_after, profile_before
    )
    who = f"{request.workload} ({request.env}, team {request.team})"
    changes = []
    role_before = detailed_role_state(existing_role) if existing_role else None
    if not equivalent("role", role_before, role_after):
        changes.append(
            ProposedChange(
                names.role_arn,
                "role",
                GLOBAL_REGION,
                [],
                _role_summary(names, existing_role is not None),
                f"Onboarding of {who}: a dedicated role whose trust admits only the workload's "
                f"certificates from {anchor.name}.",
                role_before,
                role_after,
            )
        )
    if not equivalent("profile", profile_before, profile_after):
        changes.append(
            ProposedChange(
                profile_arn,
                "profile",
                region,
                [],
                _profile_summary(names, profile_before, profile_after),
                f"Onboarding of {who}: team {request.team}'s profile for {request.env} lists "
                "the role, with the guardrail session policy and one-hour sessions.",
                profile_before,
                profile_after,
            )
        )
    plan = build_plan(inventory, ProposalSet(changes=changes))
    onboarding = Onboarding(request, names, plan)
    if changes:
        onboarding.existing_findings = _prove_no_new_findings(
            inventory, settings, names, role_after, profile_after
        )
    return onboarding


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
        _check_name_part(label, value)
    _check_anchor_arn(request)
    fields = {"workload": request.workload, "env": request.env, "team": request.team}
    role_name = _fill(settings, "role_name_template", fields)
    if not _ROLE_NAME.match(role_name):
        raise OnboardingError(
            f"role name {role_name!r} is not a valid IAM role name (at most 64 of letters, "
            "digits and +=,.@_-); shorten the names or change role_name_template"
        )
    profile_name = _fill(settings, "profile_name_template", fields)
    if not _PROFILE_NAME.match(profile_name):
        raise OnboardingError(
            f"profile name {profile_name!r} is not a valid Roles Anywhere profile name "
            "(letters, digits, spaces, - and _); change profile_name_template"
        )
    cn, ou, spiffe = _subject(request, settings, fields)
    services, scoped = _services(request)
    if not services and not any(a.strip() for a in request.managed_policy_arns):
        raise OnboardingError(
            "name at least one AWS service the workload needs (--service s3), a resource "
            "(--resource ARN) or a managed policy (--managed-policy ARN)"
        )
    return CheckedRequest(role_name, profile_name, cn, ou, spiffe, tuple(services), scoped)


def _check_name_part(label: str, value: str) -> None:
    if not _NAME_PART.match(value or ""):
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
    special = sorted(set(value) & _DN_SPECIAL)
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
        not _SPIFFE.match(spiffe) or len(spiffe) > 256 or not STS_TAG_CHARSET.match(spiffe)
    ):
        raise OnboardingError(
            f"SPIFFE ID {spiffe!r} is not spiffe://<trust domain>/<path> (lower-case "
            "trust domain, path of letters, digits and . _ ~ -, no wildcard, at most 256 "
            "characters)"
        )
    return cn, ou, spiffe


def _check_anchor_arn(request: OnboardRequest) -> None:
    arn = request.trust_anchor_arn.strip()
    if not _ANCHOR_ARN.match(arn):
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


def _anchor(request: OnboardRequest, inventory: Inventory) -> TrustAnchor:
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


def _anchor_arn_parts(arn: str) -> tuple[str, str, str]:
    match = _ANCHOR_ARN.match(arn)
    if match is None:  # checked in _anchor
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


def _issuer_cn(request: OnboardRequest, anchor: TrustAnchor) -> str:
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


def _services(request: OnboardRequest) -> tuple[list[str], dict[str, list[str]]]:
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
        match = _RESOURCE_ARN.match(arn.strip())
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


def _managed_policies(request: OnboardRequest, inventory: Inventory) -> list[str]:
    arns = sorted({a.strip() for a in request.managed_policy_arns if a.strip()})
    if len(arns) > MAX_MANAGED_POLICIES:
        raise OnboardingError(
            f"{len(arns)} managed policies; IAM attaches at most {MAX_MANAGED_POLICIES} to a role"
        )
    for arn in arns:
        match = _POLICY_ARN.match(arn)
        if match is None:
            raise OnboardingError(f"--managed-policy {arn!r} is not a managed policy ARN")
        own = match.group(1) == inventory.account_id
        if own and "iam" in inventory.coverage and arn not in inventory.policies:
            raise OnboardingError(f"--managed-policy {arn} is not in the account")
    return arns


def _with_managed_services(
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
        for prefix in _allowed_prefixes(document, arn):
            if prefix in REFUSED_SERVICES:
                raise OnboardingError(
                    f"managed policy {arn} grants {prefix}:*-level access "
                    f"({REFUSED_SERVICES[prefix]}); onboarding does not grant it"
                )
            out.add(prefix)
    return sorted(out)


def _allowed_prefixes(document: dict[str, Any], where: str) -> set[str]:
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


# --- states ------------------------------------------------------------------------------------


def _trust_policy(
    anchor_arn: str, cn: str, ou: str | None, issuer_cn: str, spiffe: str | None
) -> dict[str, Any]:
    if spiffe is not None:
        statement = render(
            "trust_statement_spiffe.json.j2",
            sid=TRUST_SID,
            trust_anchor_arns=[anchor_arn],
            uri=spiffe,
            cn=cn,
            ou=ou,
            issuer_cn=issuer_cn,
        )
    else:
        statement = render(
            "trust_statement_hardened.json.j2",
            sid=TRUST_SID,
            trust_anchor_arns=[anchor_arn],
            cn=cn,
            ou=ou,
            issuer_cn=issuer_cn,
        )
    return render_document("trust_policy_onboarding.json.j2", statement=statement)


def _sid(service: str) -> str:
    return "Allow" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service))


def _permissions_policy(services: list[str], scoped: dict[str, list[str]]) -> dict[str, Any]:
    statements = [(_sid(s), s, scoped.get(s) or "*") for s in services]
    return render_document("identity_policy_onboarding.json.j2", statements=statements)


def _role_state(
    request: OnboardRequest,
    anchor_arn: str,
    cn: str,
    ou: str | None,
    issuer_cn: str,
    spiffe: str | None,
    services: list[str],
    scoped: dict[str, list[str]],
    managed: list[str],
) -> dict[str, Any]:
    inline: dict[str, Any] = {}
    # The role's own permissions: the named services (and those of the resources), unless
    # managed policies alone were asked for.
    own = [s for s in services if s in scoped or s in _requested_services(request)]
    if own:
        inline[PERMISSIONS_POLICY_NAME] = _permissions_policy(own, scoped)
    return {
        "trustPolicy": _trust_policy(anchor_arn, cn, ou, issuer_cn, spiffe),
        "create": {
            "path": "/",
            "maxSessionDuration": DURATION_SECONDS,
            "permissionsBoundary": None,
            "managedPolicyArns": sorted(managed),
            "inlinePolicies": inline,
            "tags": {ONBOARDING_TAG: _tag_value(request)},
        },
    }


def _requested_services(request: OnboardRequest) -> set[str]:
    return {n.strip().lower() for raw in request.services for n in str(raw).split(",")}


def _tag_value(request: OnboardRequest) -> str:
    return f"{request.workload}/{request.env}/{request.team}"


def _existing_role(inventory: Inventory, role_name: str, request: OnboardRequest) -> Role | None:
    """The role of an earlier run of this onboarding; refuses a name taken by another role."""
    for role in inventory.roles.values():
        if role.name.lower() != role_name.lower():
            continue
        if role.tags.get(ONBOARDING_TAG) == _tag_value(request) and role.name == role_name:
            return role
        raise OnboardingError(
            f"role name {role.name} is already taken by {role.arn}, which this onboarding did "
            "not create; choose another --workload/--env or change role_name_template"
        )
    return None


def _team_profile(inventory: Inventory, region: str, name: str) -> Profile | None:
    found = [p for p in inventory.profiles.values() if p.region == region and p.name == name]
    if len(found) > 1:
        raise OnboardingError(
            f"{len(found)} profiles in {region} are named {name}; rafix cannot tell which is "
            "the team's (rename one, or change profile_name_template)"
        )
    if not found:
        return None
    profile = found[0]
    if not profile.enabled:
        raise OnboardingError(
            f"profile {name} ({profile.arn}) exists but is disabled: enable it, or change "
            "profile_name_template to onboard into another profile"
        )
    if profile.require_instance_properties:
        raise OnboardingError(
            f"profile {name} ({profile.arn}) requires instance properties, which the "
            "printed signing-helper configuration does not send; choose another profile name"
        )
    if profile.session_policy_error is not None:
        raise OnboardingError(
            f"profile {name}'s session policy cannot be read ({profile.session_policy_error})"
        )
    return profile


def _is_guardrail_policy(policy: dict[str, Any]) -> bool:
    sids = {str(s.get("Sid")) for s in as_list(policy.get("Statement")) if isinstance(s, dict)}
    return sids >= _GUARDRAIL_DENY_SIDS


def _guardrail_allow(policy: dict[str, Any]) -> list[str]:
    for statement in as_list(policy.get("Statement")):
        if isinstance(statement, dict) and statement.get("Sid") == _GUARDRAIL_ALLOW_SID:
            return [str(a) for a in as_list(statement.get("Action"))]
    return []


def _role_services(role: Role, inventory: Inventory) -> set[str]:
    """The services a role's permissions reach, to keep them in a shared session policy."""
    documents = [doc for _name, doc in role.inline_policies]
    documents += [resolve_policy(arn, inventory.policies) for arn in role.attached_policy_arns]
    out: set[str] = set()
    for document in documents:
        if document is None:
            raise OnboardingError(
                f"a permissions policy of {role.name} cannot be read, so rafix cannot tell "
                "which services the profile's session policy must keep allowing"
            )
        out |= _allowed_prefixes(document, f"{role.name}'s permissions")
    return out


def _profile_state(
    inventory: Inventory,
    profile: Profile | None,
    role_arn: str,
    services: list[str],
    role_after: dict[str, Any],
    before: dict[str, Any] | None,
) -> dict[str, Any]:
    allow = {f"{s}:*" for s in services}
    if before is None:
        return {
            "enabled": True,
            "roleArns": [role_arn],
            "managedPolicyArns": [],
            "sessionPolicy": _session_policy(sorted(allow)),
            "durationSeconds": DURATION_SECONDS,
            "acceptRoleSessionName": False,
            "attributeMappings": _mappings_for([role_after["trustPolicy"]], None),
        }
    assert profile is not None
    after = copy.deepcopy(before)
    current = before.get("sessionPolicy")
    if current is None or current == NEUTRAL_SESSION_POLICY:
        for arn in before["roleArns"]:
            role = _role_for_arn(inventory, arn)
            if role is None:
                raise OnboardingError(
                    f"profile {profile.name} lists {arn}, which rafix cannot read; it cannot "
                    "tell which services the new session policy must keep allowing"
                )
            allow |= {f"{s}:*" for s in _role_services(role, inventory)}
    elif _is_guardrail_policy(current):
        allow |= set(_guardrail_allow(current))
    else:
        raise OnboardingError(
            f"profile {profile.name} has a session policy rafix did not write; onboarding "
            "would replace it. Change profile_name_template to onboard into another profile, "
            "or adopt rafix's guardrail policy with `rafix plan` first"
        )
    after["sessionPolicy"] = _session_policy(sorted(allow))
    if role_arn not in after["roleArns"]:
        after["roleArns"] = [*after["roleArns"], role_arn]
    after["durationSeconds"] = min(int(before["durationSeconds"]), DURATION_SECONDS)
    after["acceptRoleSessionName"] = False
    after["attributeMappings"] = _mappings_for(
        [role_after["trustPolicy"]], before["attributeMappings"]
    )
    return after


def _role_for_arn(inventory: Inventory, arn: str) -> Role | None:
    role = inventory.roles.get(arn)
    if role is not None:
        return role
    name = arn.rsplit("/", 1)[-1]
    return next((r for r in inventory.roles.values() if r.name == name), None)


def _session_policy(allow_actions: list[str]) -> dict[str, Any]:
    policy = render("session_policy_guardrails.json.j2", allow_actions=allow_actions)
    if not isinstance(policy, dict):
        raise PolicyError("the guardrail session policy template did not render an object")
    check_document(policy, "session", what="the profile's session policy")
    return policy


#: certificate field of a condition key -> how its specifier is written in a mapping.
_FIELD_OF_KEY = {
    "x509subject": "x509Subject",
    "x509issuer": "x509Issuer",
    "x509san": "x509SAN",
}


def _mappings_for(
    trust_policies: list[dict[str, Any]], current: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Attribute mappings: for a new profile only what the trust conditions use; for an
    existing one its mappings, plus what the new role's conditions need that they drop."""
    needed: dict[str, list[str]] = {}
    for policy in trust_policies:
        for statement in as_list(policy.get("Statement")):
            for keys in (statement.get("Condition") or {}).values():
                for key in keys:
                    parts = str(key).split("/")
                    if len(parts) == 3 and parts[0].lower() == "aws:principaltag":
                        cert_field = _FIELD_OF_KEY.get(parts[1].lower())
                        if cert_field and parts[2] not in needed.setdefault(cert_field, []):
                            needed[cert_field].append(parts[2])
    from remediations.checks.profile import key_is_mapped, mapped_specifiers

    if current is None:
        out = {f: list(specs) for f, specs in needed.items()}
        # A new profile maps only these fields: the others' default mappings are removed.
        for cert_field in _FIELD_OF_KEY.values():
            out.setdefault(cert_field, [])
    else:
        out = {m["certificateField"]: [r["specifier"] for r in m["mappingRules"]] for m in current}
        mapped = mapped_specifiers(current)
        for cert_field, specs in needed.items():
            for spec in specs:
                key = f"aws:principaltag/{cert_field.lower()}/{spec.lower()}"
                if key_is_mapped(key, mapped) is False:
                    out.setdefault(cert_field, []).append(spec)
    mappings = [
        {"certificateField": f, "mappingRules": [{"specifier": s} for s in specs]}
        for f, specs in out.items()
        if specs
    ]
    return sorted(mappings, key=lambda m: str(m["certificateField"]))


def _role_summary(names: OnboardNames, exists: bool) -> str:
    pins = f"CN={names.cn}" + (f", OU={names.ou}" if names.ou else "")
    if names.spiffe_uri:
        pins += f" and SPIFFE ID {names.spiffe_uri}"
    grants = ", ".join(names.services)
    verb = "updates" if exists else "creates"
    return (
        f"{verb} role {names.role_name}: trusts only certificates with {pins} issued by "
        f"{names.issuer_cn} through the trust anchor; allows {grants}"
    )


def _profile_summary(
    names: OnboardNames, before: dict[str, Any] | None, after: dict[str, Any]
) -> str:
    if before is None:
        return (
            f"creates profile {names.profile_name} in {names.region} listing "
            f"{names.role_name}: guardrail session policy, {after['durationSeconds']} s "
            "sessions, no caller-chosen session names, attribute mappings limited to what the "
            "trust conditions use"
        )
    parts = []
    if names.role_arn not in before["roleArns"]:
        parts.append(f"adds {names.role_name} to roleArns (other roles kept)")
    if before["sessionPolicy"] != after["sessionPolicy"]:
        parts.append("guardrail session policy allowing the team's services")
    for key, label in (
        ("durationSeconds", "durationSeconds"),
        ("acceptRoleSessionName", "acceptRoleSessionName"),
    ):
        if before[key] != after[key]:
            parts.append(f"{label} {before[key]} -> {after[key]}")
    if before["attributeMappings"] != after["attributeMappings"]:
        parts.append("maps the certificate attributes the new role's trust uses")
    return f"updates profile {names.profile_name}: " + "; ".join(parts or ["no change"])


# --- the proof ---------------------------------------------------------------------------------


def simulate(
    inventory: Inventory, names: OnboardNames, role: dict[str, Any], profile: dict[str, Any]
) -> Inventory:
    """A copy of the inventory as the plan leaves it (for the scanner)."""
    after = copy.copy(inventory)
    after.roles = dict(inventory.roles)
    after.profiles = dict(inventory.profiles)
    spec = role["create"]
    after.roles[names.role_arn] = Role(
        arn=names.role_arn,
        name=names.role_name,
        path=spec["path"],
        trust_policy=role["trustPolicy"],
        max_session_duration=spec["maxSessionDuration"],
        inline_policies=list(spec["inlinePolicies"].items()),
        attached_policy_arns=list(spec["managedPolicyArns"]),
        permissions_boundary_arn=spec["permissionsBoundary"],
        tags=dict(spec["tags"]),
    )
    existing = inventory.profiles.get(names.profile_arn)
    base = existing or Profile(
        arn=names.profile_arn,
        profile_id=names.profile_arn.rsplit("/", 1)[-1],
        name=names.profile_name,
        region=names.region,
    )
    policy = profile["sessionPolicy"]
    after.profiles[names.profile_arn] = replace(
        base,
        enabled=profile["enabled"],
        role_arns=list(profile["roleArns"]),
        managed_policy_arns=list(profile["managedPolicyArns"]),
        session_policy=policy,
        session_policy_text=None if policy is None else json.dumps(policy),
        session_policy_error=None,
        duration_seconds=profile["durationSeconds"],
        accept_role_session_name=profile["acceptRoleSessionName"],
        attribute_mappings=copy.deepcopy(profile["attributeMappings"]),
    )
    return after


def _prove_no_new_findings(
    inventory: Inventory,
    settings: Settings,
    names: OnboardNames,
    role: dict[str, Any],
    profile: dict[str, Any],
) -> list[Finding]:
    """Refuse the plan if the scanner would report something new on the role or profile.

    Returns:
        The findings already reported on the team's existing profile (not caused here).
    """
    from remediations.checks.run import run_checks

    ours = {names.role_arn, names.profile_arn}
    before = [f for f in run_checks(inventory, settings) if f.resource_arn in ours]
    seen = {(f.id, f.resource_arn) for f in before}
    after = run_checks(simulate(inventory, names, role, profile), settings)
    new = [f for f in after if f.resource_arn in ours and (f.id, f.resource_arn) not in seen]
    if new:
        first = new[0]
        raise OnboardingError(
            f"refused: the plan would cause {first.id} on {first.resource_arn} "
            f"({first.detail}); nothing was planned"
        )
    return before


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
            _check_name_part(f"--{key}", value)
        elif key == "trust_anchor_arn":
            _check_anchor_arn(replace(probe, trust_anchor_arn=value))
        elif key == "issuer_cn":
            if value and (not STS_TAG_CHARSET.match(value) or len(value) > 256):
                return "the issuer CN has characters outside the STS session-tag charset"
        elif key == "services":
            _services(replace(probe, services=split_list(value)))
        elif key == "resource_arns":
            _services(replace(probe, resource_arns=split_list(value)))
        elif key == "managed_policy_arns":
            bad = [a for a in split_list(value) if not _POLICY_ARN.match(a)]
            if bad:
                return f"{bad[0]!r} is not a managed policy ARN"
        elif key == "spiffe_uri":
            if value and (not _SPIFFE.match(value) or len(value) > 256):
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

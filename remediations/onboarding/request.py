"""What onboarding takes and gives: the request, the names it gets, the client configuration."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from remediations.errors import InputError
from remediations.findings import Finding
from remediations.iam.x509 import WorkloadCertificate
from remediations.plan import Plan
from remediations.state import DEFAULT_DURATION_SECONDS, pending_profile_name

#: The tag onboarding puts on the roles it creates: ``<workload>/<env>/<team>``. A role with
#: this name but without the tag belongs to something else and is never touched.
ONBOARDING_TAG = "rafix:onboarding"
PERMISSIONS_POLICY_NAME = "rafix-onboarding"
TRUST_SID = "RolesAnywhereOnboardedWorkload"
#: Sids of rafix's guardrail session policy (session_policy_guardrails.json.j2).
GUARDRAIL_ALLOW_SID = "AllowWorkloadServices"
GUARDRAIL_DENY_SIDS = frozenset({"DenyIdentityAndControlPlane", "DenyDestructiveData"})
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

NAME_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,30}[A-Za-z0-9])?$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
PROFILE_NAME = re.compile(r"^[ a-zA-Z0-9_-]{1,255}$")
#: Characters an RDN value must not carry: they need escaping in a DN, in ``openssl -subj``
#: and in Roles Anywhere's attribute mapping.
DN_SPECIAL = frozenset('/,+=;<>#"\\')
SPIFFE = re.compile(r"^spiffe://[a-z0-9.-]+(?:/[A-Za-z0-9._~-]+)+$")
ANCHOR_ARN = re.compile(
    r"^arn:(aws[a-z-]*):rolesanywhere:([a-z0-9-]+):(\d{12}):trust-anchor/[0-9a-f-]{36}$"
)
RESOURCE_ARN = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(?:\d{12}|aws)?:\S+$")
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,512}$")


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

"""Scanning a sandbox from its state files: the account a read through boto3 would return,
without the wire.

A read through boto3 (``read_inventory``) seeds moto and the Roles Anywhere emulator from
``DIR/state``, then asks them for the account: moto serialises every role to XML and botocore
parses it back (about 12 s of CPU for 10,000 roles). That round trip only ever returns the
state files as the seeder put them into the account, so this module computes the same answer
from the files, in the order and shapes the API would give it: what ``seed.py`` does (IDs and
dates filled in, policies attached, records given the service's defaults, what cannot be
loaded skipped with the same warning), then what GetAccountAuthorizationDetails, ListRoles and
the four Roles Anywhere lists return for it (the members of each output shape, timestamps as
botocore parses them, policy documents decoded), then :func:`remediations.sources.aws.assemble`,
the live reader's own conversion.

When the state holds something whose answer depends on moto or botocore themselves (a name
that XML would change, a policy ARN that moto would rename, an AWS managed policy only moto's
bundled copy knows, a value of the wrong type), :func:`read_direct` returns None and the caller
reads through boto3. So does ``RAFIX_SANDBOX_READ=api``. tests/sources/test_sandbox_direct.py
checks, on generated accounts of many shapes, the corpus accounts and the same accounts after
an apply and a rollback, that both paths return the same inventory and the same findings.

Writes (apply, verify, rollback, onboard), tags, organisations and fault injection always go
through boto3.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remediations.locks import acquire
from remediations.model import JSON, Inventory, SourceWarning
from remediations.progress import Progress, Stage, StopCheck, Tracker, stop_if_asked
from remediations.sources.aws import Part, assemble
from remediations.sources.sandbox.direct_principals import principals
from remediations.sources.sandbox.faults import FaultInjector
from remediations.sources.sandbox.iam_values import (
    iso,
    moto_aws_policies,
    plain,
    returned_document,
    returned_trust,
)
from remediations.sources.sandbox.organization import FAULTS_ENV
from remediations.sources.sandbox.ra_lists import (
    RA_ACTIONS,
    SHAPES,
    Unanswerable,
    listed,
    stored,
)
from remediations.sources.sandbox.seed import (
    AWS_POLICY_PREFIX,
    HOME_REGION,
    LOCK_FILE,
    created_moment,
    load_state,
    parse_moment,
    policy_path,
    read_account_file,
    role_id_for,
    skip_warning,
)
from remediations.sources.sandbox.service import record_defaults

log = logging.getLogger("rafix.sandbox")

#: ``api``: read a sandbox through boto3 even where its state files could answer.
READ_ENV = "RAFIX_SANDBOX_READ"

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
#: The regions moto serves ACM PCA in (its acm-pca backends; checked by the tests): a CA
#: there is "not found" (silent); anywhere else the sandbox answers as an unknown endpoint.
PCA_REGIONS = frozenset(
    """
    af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1
    ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5
    ap-southeast-6 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 cn-northwest-1
    eu-central-1 eu-central-2 eu-isoe-west-1 eu-north-1 eu-south-1 eu-south-2 eu-west-1
    eu-west-2 eu-west-3 eusc-de-east-1 il-central-1 me-central-1 me-south-1 mx-central-1
    sa-east-1 us-east-1 us-east-2 us-gov-east-1 us-gov-west-1 us-iso-east-1 us-iso-west-1
    us-isof-east-1 us-isof-south-1 us-west-1 us-west-2
    """.split()  # noqa: SIM905 (one region per word)
)
#: moto's AWS managed policies are dated as AWS first published them (seed._seed_aws_managed).
_AWS_POLICY_DATE = datetime(2015, 2, 6, 18, 39, 46)


# --- entry point --------------------------------------------------------------------------


def read_direct(
    directory: str | Path,
    regions: list[str] | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> Inventory | None:
    """The inventory a read through boto3 of the sandbox in ``directory`` returns (as
    ``read_inventory(directory, regions)``), computed from its state files; None when only
    that read can tell (see the module docstring), or when ``RAFIX_SANDBOX_READ=api``.

    ``on_progress`` hears of the same lists as from ``read_account`` (each answered from the
    files); ``should_stop`` is polled between them.

    Raises:
        InputError: not a sandbox, or state files that cannot be read (as opening does).
        SourceError: another rafix process holds the sandbox to write for too long.
        Cancelled: ``should_stop`` returned True.
    """
    if os.environ.get(READ_ENV, "").strip().lower() == "api" or _faults_configured():
        return None
    stop_if_asked(should_stop)
    from remediations.source import SandboxSource, source_label

    folder = Path(directory).resolve()
    account_id = str(read_account_file(folder)["account_id"])
    # Shared, as a reader through boto3 takes it: an apply's save is never read half-written.
    lock = acquire(folder / LOCK_FILE, what=f"the sandbox {folder}", shared=True)
    try:
        state, _tags = load_state(folder)
        created = created_moment(folder)
    finally:
        lock.release()
    try:
        return account_view(
            state,
            account_id,
            created,
            source_label(SandboxSource(folder)),
            regions,
            on_progress=on_progress,
            should_stop=should_stop,
        )
    except Unanswerable as exc:
        log.debug("%s: read through boto3: %s", folder, exc)
        return None


def _faults_configured() -> bool:
    """Whether sandboxes opened in this process get injected faults or have their calls
    watched: ``$RAFIX_SANDBOX_FAULTS``, or the opening of a sandbox or its fault injector
    replaced by code of another module (as tests do to fail or count calls). Those calls must
    then really be made."""
    if os.environ.get(FAULTS_ENV):
        return True
    package = sys.modules.get("remediations.sources.sandbox")
    account = sys.modules.get("remediations.sources.sandbox.account")
    return (
        package is not None
        and getattr(package.open_sandbox, "__module__", None) != package.__name__
    ) or (account is not None and getattr(account, "FaultInjector", None) is not FaultInjector)


def account_view(
    state: Inventory,
    account_id: str,
    created: datetime,
    origin: str,
    regions: list[str] | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> Inventory:
    """What reading the account seeded from ``state`` through boto3 returns.

    Raises:
        Unanswerable: ``state`` holds something only that read can tell.
        Cancelled: ``should_stop`` returned True.
    """
    seed = _Seeding(account_id, created)
    seed.iam(state)
    seed.roles_anywhere(state)
    if regions:
        wanted = list(dict.fromkeys(regions))
        odd = [r for r in wanted if not _REGION.fullmatch(r)]
        if odd:
            raise Unanswerable(f"region {odd[0]!r}")
    else:
        wanted = sorted(r for r, kinds in seed.regions.items() if any(kinds.values()))
        wanted = wanted or [HOME_REGION]
    tracker = Tracker(Stage.LOAD, 2 + len(RA_ACTIONS) * len(wanted), on_progress, should_stop)
    parts = [seed.gaad_part(state)]
    tracker.step("iam:GetAccountAuthorizationDetails")
    parts.append(seed.list_roles_part())
    tracker.step("iam:ListRoles")
    for region in wanted:
        tracker.check()
        parts.append(seed.region_part(region))
        for action in RA_ACTIONS:
            tracker.step(f"rolesanywhere:{action} in {region}")
    inventory = assemble(_Account(origin, account_id), wanted, parts, [])
    _check_pca_regions(inventory)
    inventory.warnings[:0] = [*state.warnings, *seed.warnings]
    return inventory


@dataclass(frozen=True, slots=True)
class _Account:
    """What ``assemble`` asks of the session it read through."""

    origin: str
    account_id: str


def _check_pca_regions(inventory: Inventory) -> None:
    """The live reader describes each ACM PCA behind an anchor; the sandbox has none, so each
    answer is "not found" (silent), unless the ARN's region makes botocore fail first."""
    for anchor in inventory.trust_anchors.values():
        if anchor.source_type == "AWS_ACM_PCA" and anchor.acm_pca_arn:
            parts = anchor.acm_pca_arn.split(":")
            region = parts[3] if len(parts) > 3 and parts[3] else None
            if region is not None and region not in PCA_REGIONS:
                raise Unanswerable(f"ACM PCA region {region!r}")


# --- seeding, as seed.py does it, and the answers of the List APIs ---------------------------


@dataclass(slots=True)
class _Policy:
    """A managed policy as moto holds it."""

    name: str
    arn: str
    path: str
    description: str
    document: Any
    created: datetime
    updated: datetime
    version: str = "v1"
    attachments: int = 0

    def detail(self) -> JSON:
        """Its GetAccountAuthorizationDetails ``Policies`` entry, as boto3 returns it."""
        return {
            "Arn": self.arn,
            "Path": self.path,
            "DefaultVersionId": self.version,
            "AttachmentCount": self.attachments,
            "IsAttachable": True,
            "Description": self.description,
            "CreateDate": iso(self.created),
            "UpdateDate": iso(self.updated),
            "PolicyVersionList": [
                {
                    "Document": self.document,
                    "VersionId": self.version,
                    "IsDefaultVersion": True,
                    "CreateDate": iso(self.updated),
                }
            ],
        }


@dataclass(slots=True)
class _Seeding:
    account_id: str
    created: datetime
    warnings: list[SourceWarning] = field(default_factory=list)
    policies: dict[str, _Policy] = field(default_factory=dict)
    aws_policies: list[_Policy] = field(default_factory=list)
    roles: dict[str, JSON] = field(default_factory=dict)
    users: list[JSON] = field(default_factory=list)
    groups: list[JSON] = field(default_factory=list)
    durations: list[JSON] = field(default_factory=list)
    #: region -> kind -> id -> stored record
    regions: dict[str, dict[str, dict[str, JSON]]] = field(default_factory=dict)

    def iam(self, state: Inventory) -> None:
        for policy in state.policies.values():
            if policy.document is None:
                self.warnings.append(
                    skip_warning(policy.arn, "its document is missing or malformed")
                )
                continue
            document = returned_document(policy.document)
            if policy.arn.startswith(AWS_POLICY_PREFIX):
                path, _, name = policy.arn.removeprefix(AWS_POLICY_PREFIX).rpartition("/")
                path = f"/{path}/" if path else "/"
                made = _Policy(
                    name,
                    f"{AWS_POLICY_PREFIX[:-1]}{path}{name}",
                    path,
                    "",
                    document,
                    _AWS_POLICY_DATE,
                    _AWS_POLICY_DATE,
                )
                self.aws_policies.append(made)
            else:
                raw = policy.raw
                made = _Policy(
                    policy.name,
                    f"arn:aws:iam::{self.account_id}:policy{policy_path(policy.arn)}{policy.name}",
                    policy_path(policy.arn),
                    str(raw.get("Description") or ""),
                    document,
                    parse_moment(raw.get("CreateDate")) or self.created,
                    parse_moment(raw.get("UpdateDate"))
                    or parse_moment(raw.get("CreateDate"))
                    or self.created,
                )
                if made.arn != policy.arn:
                    raise Unanswerable(f"moto names the policy {policy.arn} {made.arn}")
                plain(made.name, made.path)
                if made.description:  # moto answers "" for none, which botocore reads as ""
                    plain(made.description)
            self.policies[made.arn] = made
        for role in state.roles.values():
            if role.account_id != self.account_id:
                self.warnings.append(
                    skip_warning(role.arn, f"it belongs to account {role.account_id}")
                )
                continue
            self._role(role)
        self.users, self.groups = principals(self, state)

    def _role(self, role: Any) -> None:
        raw = role.raw
        path = role.path or "/"
        arn = f"arn:aws:iam::{self.account_id}:role{path}{role.name}"
        if arn != role.arn:
            raise Unanswerable(f"moto names the role {role.arn} {arn}")
        role_id = role.role_id or role_id_for(self.account_id, role.arn)
        if role_id in self.roles:
            raise Unanswerable(f"two roles with the ID {role_id}")
        plain(role.name, path, role_id)
        document = (
            role.trust_policy
            if role.trust_policy is not None
            else raw.get("AssumeRolePolicyDocument", "{}")
        )
        inline: dict[str, Any] = {}
        for name, doc in role.inline_policies:
            plain(name)
            inline[name] = returned_document(doc if doc is not None else {})
        attached: dict[str, _Policy] = {}
        for policy_arn in role.attached_policy_arns:
            managed = self.policy(policy_arn)
            if managed is None:
                self.warnings.append(
                    SourceWarning(
                        f"attached policy {policy_arn} is unknown", "sandbox", resource_arn=role.arn
                    )
                )
                continue
            managed.attachments += 1
            attached[managed.arn] = managed
        for key, value in role.tags.items():
            plain(key, value)
        detail: JSON = {
            "Path": path,
            "RoleName": role.name,
            "RoleId": role_id,
            "Arn": arn,
            "CreateDate": iso(parse_moment(raw.get("CreateDate")) or self.created),
            "AssumeRolePolicyDocument": returned_trust(document),
            "InstanceProfileList": [],
            "RolePolicyList": [
                {"PolicyName": name, "PolicyDocument": doc} for name, doc in inline.items()
            ],
            "AttachedManagedPolicies": [
                {"PolicyName": p.name, "PolicyArn": p.arn} for p in attached.values()
            ],
        }
        if role.permissions_boundary_arn:
            plain(role.permissions_boundary_arn)
            detail["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": role.permissions_boundary_arn,
            }
        detail["Tags"] = [{"Key": k, "Value": v} for k, v in role.tags.items()]
        last_used: JSON = {}
        moment = parse_moment(role.last_used)
        if moment is not None:
            last_used["LastUsedDate"] = iso(moment)
            region = (raw.get("RoleLastUsed") or {}).get("Region")
            if isinstance(region, str) and region:
                plain(region)
                last_used["Region"] = region
        detail["RoleLastUsed"] = last_used
        self.roles[role_id] = detail
        duration = int(str(role.max_session_duration or 3600))
        self.durations.append({"Arn": arn, "MaxSessionDuration": duration})

    def policy(self, arn: str) -> _Policy | None:
        """The managed policy moto attaches for ``arn`` (None: unknown)."""
        return self.policies.get(arn) or self._bundled(arn)

    def _bundled(self, arn: str) -> _Policy | None:
        """An AWS managed policy the files do not hold, from moto's bundled copies, as
        ``seed._aws_managed`` creates it on demand."""
        if not arn.startswith(AWS_POLICY_PREFIX):
            return None
        name = arn.rsplit("/", 1)[-1]
        data = moto_aws_policies().get(name)
        if data is None:
            return None
        path = data.get("Path") or "/"
        made = _Policy(
            name,
            f"{AWS_POLICY_PREFIX[:-1]}{path}{name}",
            path,
            "",
            data.get("Document"),
            datetime.fromisoformat(data["CreateDate"]),
            datetime.fromisoformat(data["UpdateDate"]),
            version=str(data.get("DefaultVersionId") or "v1"),
        )
        plain(made.name, made.path)
        self.aws_policies.append(made)
        self.policies[made.arn] = made
        return made

    def gaad_part(self, state: Inventory) -> Part:
        wanted = {arn for arn in state.policies if arn.startswith(AWS_POLICY_PREFIX)}
        local = [p for p in self.policies.values() if not p.arn.startswith(AWS_POLICY_PREFIX)]
        aws = [p for p in self.aws_policies if p.arn in wanted]
        part = Part(coverage={"iam", "principals"})
        part.items["roles"] = list(self.roles.values())
        part.items["policies"] = [p.detail() for p in [*aws, *local]]
        part.items["users"] = self.users
        part.items["groups"] = self.groups
        return part

    def list_roles_part(self) -> Part:
        return Part(items={"list_roles": self.durations}, coverage={"max_session_duration"})

    def roles_anywhere(self, state: Inventory) -> None:
        stores: list[tuple[str, dict[str, Any]]] = [
            ("trust_anchors", state.trust_anchors),
            ("profiles", state.profiles),
            ("crls", state.crls),
            ("subjects", state.subjects),
        ]
        moment = self.created.replace(tzinfo=UTC)
        kind_defaults = {kind: record_defaults(kind, moment) for kind in SHAPES}
        for kind, store in stores:
            shape, id_key, arn_key = SHAPES[kind]
            for arn, obj in store.items():
                try:
                    record = stored(shape, obj.raw)
                    found = str(record.get(arn_key) or "")
                    parts = found.split(":")
                    if len(parts) < 6 or not parts[3]:
                        raise ValueError(f"{arn_key} {found!r} is not a regional ARN")
                except (ValueError, TypeError) as exc:
                    self.warnings.append(skip_warning(arn, str(exc)))
                    continue
                record.setdefault(id_key, found.rsplit("/", 1)[-1])
                region = self.regions.setdefault(parts[3], {k: {} for k in SHAPES})
                # Shared by the records: listed() copies what it answers.
                defaults = kind_defaults[kind]
                region[kind][record[id_key]] = {
                    **defaults,
                    **{k: v for k, v in record.items() if v is not None},
                }

    def region_part(self, region: str) -> Part:
        kinds = self.regions.get(region) or {k: {} for k in SHAPES}
        part = Part(coverage={"trust_anchors", "profiles", "crls", "subjects"})
        for kind, records in kinds.items():
            shape = SHAPES[kind][0]
            part.items[kind] = [listed(shape, record) for record in records.values()]
        return part


__all__ = ["READ_ENV", "Unanswerable", "account_view", "read_direct"]

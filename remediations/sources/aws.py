"""The live reader: an account's IAM and Roles Anywhere, read through an AccountSession.

This is the only core module that imports boto3/botocore, and it does so inside functions, so
an offline scan never pays for them. The sandbox (``remediations.sources.sandbox``) builds an
:class:`AccountSession` around a local account; everything here then works the same on it.

Reading costs the pagination floor and no more: IAM through one paginated
GetAccountAuthorizationDetails sweep (never one call per role), plus one ListRoles sweep for
MaxSessionDuration; Roles Anywhere through the four List paginators per region, regions in
parallel (RA allows about one request per second per region and call family, so fanning out
across regions is what keeps a scan fast).

The session, its clients and regions are in ``aws_session.py``; what a failed call means
(denied, throttled, unreachable) in ``aws_errors.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from remediations.errors import RafixError, SourceError
from remediations.model import JSON, Inventory, SourceWarning
from remediations.progress import Progress, Stage, StopCheck, Tracker, stop_if_asked
from remediations.sources.aws_errors import Denied, call_api, guard_call
from remediations.sources.aws_session import (
    AWS_POLICY_PREFIX,
    IAM_PAGE_SIZE,
    RA_PAGE_SIZE,
    AccountSession,
)

#: (model field, List operation, result key, IAM action, coverage name)
_RA_LISTS = (
    ("trust_anchors", "list_trust_anchors", "trustAnchors", "ListTrustAnchors", "trust_anchors"),
    ("profiles", "list_profiles", "profiles", "ListProfiles", "profiles"),
    ("crls", "list_crls", "crls", "ListCrls", "crls"),
    ("subjects", "list_subjects", "subjects", "ListSubjects", "subjects"),
)


# --- reading ---------------------------------------------------------------------------


@dataclass(slots=True)
class Part:
    """What one reader thread brought back."""

    items: dict[str, list[JSON]] = field(default_factory=dict)
    warnings: list[SourceWarning] = field(default_factory=list)
    coverage: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


def _paginate(
    client: Any, operation: str, key: str, action: str, tracker: Tracker, **kwargs: Any
) -> list[JSON]:
    from remediations.sources.convert import to_jsonable

    def run() -> list[JSON]:
        out: list[JSON] = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            out.extend(to_jsonable(page.get(key) or []))
            tracker.check()  # between pages: a large account stops within one page
        return out

    result: list[JSON] = call_api(run, action)
    return result


def _read_gaad(session: AccountSession, tracker: Tracker) -> Part:
    part = Part()
    tracker.check()
    action = "iam:GetAccountAuthorizationDetails"
    try:
        from remediations.sources.convert import to_jsonable

        def run() -> tuple[list[JSON], list[JSON], list[JSON], list[JSON]]:
            roles: list[JSON] = []
            policies: list[JSON] = []
            users: list[JSON] = []
            groups: list[JSON] = []
            paginator = session.client("iam").get_paginator("get_account_authorization_details")
            wanted = session.aws_managed_policy_arns
            # Users and groups: who can administer Roles Anywhere (RA-GOV-ADMIN-SURFACE).
            pages = paginator.paginate(
                Filter=[
                    "Role",
                    "LocalManagedPolicy",
                    "User",
                    "Group",
                    *(["AWSManagedPolicy"] if wanted else []),
                ],
                PaginationConfig={"PageSize": IAM_PAGE_SIZE},
            )
            for page in pages:
                roles.extend(to_jsonable(page.get("RoleDetailList") or []))
                policies.extend(
                    p
                    for p in to_jsonable(page.get("Policies") or [])
                    if not str(p.get("Arn", "")).startswith(AWS_POLICY_PREFIX)
                    or p.get("Arn") in wanted
                )
                users.extend(to_jsonable(page.get("UserDetailList") or []))
                groups.extend(to_jsonable(page.get("GroupDetailList") or []))
                tracker.check()
            return roles, policies, users, groups

        (
            part.items["roles"],
            part.items["policies"],
            part.items["users"],
            part.items["groups"],
        ) = call_api(run, action)
        part.coverage |= {"iam", "principals"}
    except Denied as exc:
        part.warnings.append(_denied_warning(exc, "roles and their policies were not read"))
    tracker.step(action)
    return part


def _read_list_roles(session: AccountSession, tracker: Tracker) -> Part:
    """MaxSessionDuration, which GAAD lacks. A second IAM sweep, but a cheap one (1,000 roles
    a call, run alongside the Roles Anywhere reads) and the only way to catch profiles whose
    duration exceeds the role's maximum (RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX)."""
    part = Part()
    tracker.check()
    try:
        part.items["list_roles"] = _paginate(
            session.client("iam"),
            "list_roles",
            "Roles",
            "iam:ListRoles",
            tracker,
            PaginationConfig={"PageSize": IAM_PAGE_SIZE},
        )
        part.coverage.add("max_session_duration")
    except Denied as exc:
        part.warnings.append(_denied_warning(exc, "role maximum session durations are unknown"))
    tracker.step("iam:ListRoles")
    return part


def _read_region(session: AccountSession, region: str, tracker: Tracker) -> Part:
    """The four Roles Anywhere lists of one region; a denied list is a warning."""
    part = Part()
    tracker.check()
    client = session.client("rolesanywhere", region)
    for name, operation, key, action, coverage in _RA_LISTS:
        where = f"rolesanywhere:{action} in {region}"
        tracker.check()
        try:
            part.items[name] = _paginate(
                client,
                operation,
                key,
                where,
                tracker,
                # RA paginators have no limit key: pageSize goes with every request.
                pageSize=RA_PAGE_SIZE,
            )
            part.coverage.add(coverage)
        except Denied as exc:
            part.missing.add(coverage)
            label = name.replace("_", " ")
            part.warnings.append(_denied_warning(exc, f"{label} in {region} were not read"))
        tracker.step(where)
    return part


def _denied_warning(exc: Denied, consequence: str, *, incomplete: bool = True) -> SourceWarning:
    """A denied read; ``incomplete``: part of the account was not read (a scan is partial)."""
    return SourceWarning(
        f"access denied ({exc.code}); {consequence}", where=exc.action, incomplete=incomplete
    )


def read_account(
    session: AccountSession,
    regions: list[str] | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
    iam: bool = True,
) -> Inventory:
    """The account behind ``session``: IAM roles and policies, and Roles Anywhere in every
    region to read (``regions``, else :meth:`AccountSession.regions`), regions in parallel.
    ``iam=False``: Roles Anywhere only (a sandbox saving after Roles Anywhere writes alone).

    ``on_progress`` is called (from reader threads) after each API list: the two IAM sweeps,
    then the four Roles Anywhere lists of each region. ``should_stop`` is polled before each
    list and between pages.

    Raises:
        SourceError: the account cannot be read at all (no credentials, unreachable
            endpoint, throttling that outlasted the retries).
        Cancelled: ``should_stop`` returned True.
    """
    from remediations.apply.executor import install_read_only_guard

    # Reading is read-only whatever the caller does next: a mutating call on this session
    # now fails unless it comes from a writable Executor (scan, plan and export never do).
    install_read_only_guard(session.events)
    warnings: list[SourceWarning] = []
    stop_if_asked(should_stop)
    if regions is None:
        regions = guard_call(lambda: session.regions(warnings), "region discovery")
    sweeps = (_read_gaad, _read_list_roles) if iam else ()
    total = len(sweeps) + len(_RA_LISTS) * len(regions)
    tracker = Tracker(Stage.LOAD, total, on_progress, should_stop)
    with ThreadPoolExecutor(max_workers=min(16, len(regions) + 2)) as pool:
        futures = [pool.submit(sweep, session, tracker) for sweep in sweeps]
        futures += [pool.submit(_read_region, session, r, tracker) for r in regions]
        done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            # One fatal error (or a cancellation) ends the read: lists not started yet are
            # never started; they would only meet the same unreachable endpoint again, one
            # timeout after another.
            pool.shutdown(wait=True, cancel_futures=True)
            for future in futures:
                if not future.cancelled() and future.exception() is not None:
                    future.result()  # raises it
        parts = [f.result() for f in futures]
    inventory = assemble(session, regions, parts, warnings)
    read_pca_keys(session, inventory)
    return inventory


def read_pca_keys(session: AccountSession, inventory: Inventory) -> None:
    """The key algorithm and status of each ACM PCA behind a trust anchor (the access map's
    post-quantum readiness, as Prowler's rolesanywhere_trust_anchor_pqc_pki reads it).

    Optional: a PCA that cannot be described (denied, deleted, another account's, an endpoint
    without ACM PCA) leaves the algorithm unknown, with one warning (none for a CA that is
    not found: the sandbox has none); the read goes on.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    by_pca: dict[str, list[Any]] = {}
    for anchor in inventory.trust_anchors.values():
        if anchor.source_type == "AWS_ACM_PCA" and anchor.acm_pca_arn:
            by_pca.setdefault(anchor.acm_pca_arn, []).append(anchor)
    for arn, anchors in sorted(by_pca.items()):
        parts = arn.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else None
        action = "acm-pca:DescribeCertificateAuthority"

        def describe(pca: str = arn, where: str | None = region) -> Any:
            client = session.client("acm-pca", where)
            return client.describe_certificate_authority(CertificateAuthorityArn=pca)

        try:
            answer = call_api(describe, action)
        except Denied as exc:
            inventory.warnings.append(
                # Only a detail of the access map: the scan itself is complete.
                _denied_warning(exc, f"the key algorithm of {arn} is unknown", incomplete=False)
            )
            continue
        except (RafixError, ClientError, BotoCoreError) as exc:
            if "ResourceNotFound" in str(exc) or "not found" in str(exc).lower():
                continue
            reason = str(exc).split("\n", 1)[0]
            inventory.warnings.append(
                SourceWarning(f"the key algorithm of {arn} is unknown ({reason})", where=action)
            )
            continue
        authority = answer.get("CertificateAuthority") or {}
        configuration = authority.get("CertificateAuthorityConfiguration") or {}
        for anchor in anchors:
            anchor.pca_key_algorithm = configuration.get("KeyAlgorithm")
            anchor.pca_status = authority.get("Status")


class ReadAccount(Protocol):
    """What :func:`assemble` asks of the account it read (an :class:`AccountSession`, or the
    sandbox's files in ``sandbox/direct.py``)."""

    @property
    def origin(self) -> str: ...

    @property
    def account_id(self) -> str: ...


def assemble(
    session: ReadAccount, regions: list[str], parts: list[Part], warnings: list[SourceWarning]
) -> Inventory:
    from remediations.sources import convert

    inventory = Inventory(origin=session.origin, regions=list(regions))
    inventory.warnings.extend(warnings)
    missing: set[str] = set()
    items: dict[str, list[JSON]] = {}
    for part in parts:
        inventory.warnings.extend(part.warnings)
        inventory.coverage |= part.coverage
        missing |= part.missing
        for name, values in part.items.items():
            items.setdefault(name, []).extend(values)
    # One region that could not be read makes the whole kind partial: checks that reason
    # about absence (orphans, no revocation) must not run on half a picture.
    inventory.coverage -= missing
    if {"trust_anchors", "profiles"} <= inventory.coverage:
        inventory.coverage.add("rolesanywhere")
    durations = {
        str(d.get("Arn")): d["MaxSessionDuration"]
        for d in items.get("list_roles", [])
        if isinstance(d.get("MaxSessionDuration"), int)
    }
    for d in items.get("roles", []):
        if str(d.get("Arn")) in durations:  # as offline.py merges list-roles into GAAD
            d = {**d, "MaxSessionDuration": durations[str(d.get("Arn"))]}
        role = convert.role_from_api(d, inventory.warnings)
        inventory.roles[role.arn] = role
    for d in items.get("policies", []):
        policy = convert.policy_from_api(d, inventory.warnings)
        inventory.policies[policy.arn] = policy
    for d in items.get("users", []):
        user = convert.user_from_api(d, inventory.warnings)
        inventory.users[user.arn] = user
    for d in items.get("groups", []):
        group = convert.group_from_api(d, inventory.warnings)
        inventory.groups[group.arn] = group
    from remediations.sources.offline import RA_LISTS

    # The same table the file reader uses; an item the service returned without the fields
    # rafix needs is skipped with a warning, as it is in a file, not the end of the scan.
    for attr, convert_item, _coverage in RA_LISTS.values():
        store: dict[str, Any] = getattr(inventory, attr)
        for d in items.get(attr, []):
            try:
                obj = convert_item(d, inventory.warnings)
            except convert.ShapeError as exc:
                inventory.warnings.append(SourceWarning(f"{exc}; skipped", where=attr))
                continue
            store[obj.arn] = obj
    inventory.account_id = _account_of(inventory) or _quiet_account_id(session)
    return inventory


def _account_of(inventory: Inventory) -> str | None:
    from remediations.sources.convert import account_from_arn

    for arns in (inventory.roles, inventory.trust_anchors, inventory.profiles):
        for arn in arns:
            account = account_from_arn(arn)
            if account:
                return account
    return None


def _quiet_account_id(session: ReadAccount) -> str | None:
    """The caller's account for an empty account; unknown when STS says no."""
    try:
        return session.account_id
    except Exception:
        return None


def read_live_inventory(
    profile: str | None = None,
    regions: Iterable[str] | None = None,
    endpoint_url: str | None = None,
    *,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> Inventory:
    """Read the live account (the default source of every command)."""
    with AccountSession(
        profile=profile,
        regions=regions,
        endpoint_url=endpoint_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    ) as session:
        return read_account(session, on_progress=on_progress, should_stop=should_stop)


def read_tags(session: AccountSession, inventory: Inventory, arns: Iterable[str]) -> None:
    """Fill in the tags of these Roles Anywhere resources of ``inventory`` (ListTagsForResource,
    one call each: the list APIs return no tags, so a scan does not pay for them; plans read
    them for the resources they change). A denied or failed read leaves the tags unknown and
    adds a warning; it never ends the plan."""
    from remediations.sources.convert import account_from_arn

    stores = (inventory.profiles, inventory.trust_anchors, inventory.crls)
    denied: set[str] = set()
    for arn in sorted(set(arns)):
        obj = next((store[arn] for store in stores if arn in store), None)
        region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        if obj is None or not region or region in denied or not account_from_arn(arn):
            continue
        where = f"rolesanywhere:ListTagsForResource in {region}"
        try:
            client = session.client("rolesanywhere", region)
            reply = call_api(partial(client.list_tags_for_resource, resourceArn=arn), where)
        except Denied as exc:
            denied.add(region)
            inventory.warnings.append(
                _denied_warning(
                    exc, "tags unknown: management as code not checked", incomplete=False
                )
            )
            continue
        except SourceError as exc:
            inventory.warnings.append(SourceWarning(f"{exc}; tags of {arn} unknown", where=where))
            continue
        obj.tags = {
            str(t["key"]): str(t.get("value", ""))
            for t in reply.get("tags") or []
            if isinstance(t, dict) and "key" in t
        }

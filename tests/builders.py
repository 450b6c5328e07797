"""Builders shared by test modules (the one place they live: no test module imports another).

- plans from states, the plan file of an account (``plan_json``), and the CLI's apply flow
  without a CLI;
- inventories from a few arguments (trust policies, roles, profiles, anchors) and ``run`` of
  one check over them;
- IAM policy documents (``doc``, ``allow``, ``deny``);
- a moto account for the write path (the ``account`` fixture is in ``tests/apply/conftest.py``).

``apply_now`` / ``rollback_now`` do what ``rafix apply`` / ``rafix rollback`` do through the
core's two steps (preview, ask, execute), printing the same lines to ``out``.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import boto3  # type: ignore[import-untyped]

from remediations.apply.execute import READ_ONLY_REFUSAL, execute
from remediations.apply.executor import Executor
from remediations.apply.preview import preview_apply
from remediations.apply.results import (
    ApplyPreview,
    ApplyReport,
    Outcome,
)
from remediations.apply.rollback import preview_rollback
from remediations.apply.snapshots import SnapshotStore
from remediations.checks.context import ScanContext
from remediations.checks.run import run_checks
from remediations.errors import ApplyError
from remediations.findings import Finding
from remediations.iam.permissions import GUARDRAIL_DENIES
from remediations.model import (
    REQUIRED_ACTIONS,
    Crl,
    Inventory,
    ManagedPolicy,
    Profile,
    Role,
    TrustAnchor,
)
from remediations.plan import Change, Plan, build_plan
from remediations.proposals import propose
from remediations.render_text import (
    confirm_question,
    event_lines,
    preview_lines,
    render_plan_json,
    report_lines,
)
from remediations.settings import Settings
from remediations.state import calls_to_reach, fingerprint
from remediations.workers import ENV_VAR, Background

Confirm = Callable[[str], bool]
Output = Callable[[str], None]


def yes(_question: str) -> bool:
    return True


def _quiet(_line: str) -> None:
    return None


def plan_change(
    change_id: str,
    resource_arn: str,
    resource_type: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    phase: int = 1,
    summary: str = "pin the trust policy",
) -> Change:
    """A plan change as ``plan.py`` writes it (fingerprint and calls computed)."""
    return Change(
        id=change_id,
        phase=phase,
        resource_arn=resource_arn,
        resource_type=resource_type,
        region="global",
        finding_ids=[],
        summary=summary,
        why="",
        fingerprint=fingerprint(before),
        before=before,
        after=after,
        calls=calls_to_reach(resource_type, resource_arn, before, after),
        semantic_diff=[],
        text_diff="",
    )


def plan_json(inventory: Inventory, values: dict[str, str], repair: bool = False) -> str:
    """The plan file's text for the account's findings, as ``rafix plan`` makes it (with a
    fixed ``created_at``, so that two plans compare byte for byte)."""
    findings = run_checks(inventory, Settings())
    proposals = propose(inventory, findings, Settings(), values, repair_broken=repair)
    plan = build_plan(inventory, proposals)
    plan.created_at = "fixed"
    return render_plan_json(plan)


def count_forks(monkeypatch: Any, module: Any, minimum: str) -> list[bool]:
    """Make ``module`` use a second process for any amount of work (its ``minimum`` constant at
    1, ``RAFIX_WORKERS`` unset) and return the list that says, for each background job it then
    starts, whether it forked (a test asserts both that it forked and what came back)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(module, minimum, 1)
    seen: list[bool] = []

    def counted(work: Callable[[], Any], what: str = "") -> Background[Any]:
        job = Background(work, what)
        seen.append(job.forked)
        return job

    monkeypatch.setattr(module, "in_background", counted)
    assert threading.active_count() == 1, "a thread of another test is still running"
    return seen


def make_plan(changes: list[Change], *, source: str, account_id: str | None) -> Plan:
    return Plan(source=source, account_id=account_id, changes=changes)


def run_preview(
    preview: ApplyPreview,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm = yes,
    out: Output = _quiet,
) -> ApplyReport:
    """What the CLI does with a preview: print it, ask, execute, print the end."""
    for line in preview_lines(preview):
        out(line)
    if preview.steps and preview.read_only:
        raise ApplyError(READ_ONLY_REFUSAL)
    if preview.refused:
        raise ApplyError(preview.refused)
    if preview.steps and not preview.already_applied and not confirm(confirm_question(preview)):
        raise ApplyError("apply cancelled; nothing was written")

    def on_event(event: Any) -> None:
        for line in event_lines(event):
            out(line)

    report = execute(preview, executor, store, on_event=on_event)
    if report.outcome is Outcome.REFUSED:
        raise ApplyError(report.error or "refused")
    for line in report_lines(report):
        out(line)
    return report


def apply_now(
    plan: Plan,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm = yes,
    *,
    phases: Iterable[int] = (1,),
    label: str = "",
    source: str | None = None,
    account_id: str | None = None,
    out: Output = _quiet,
) -> ApplyReport:
    """``rafix apply``: preview, confirm, execute."""
    preview = preview_apply(
        plan, executor, store, phases=phases, label=label, source=source, account_id=account_id
    )
    return run_preview(preview, executor, store, confirm, out)


def rollback_now(
    snapshot_id: str,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm = yes,
    *,
    force: bool = False,
    source: str | None = None,
    account_id: str | None = None,
    out: Output = _quiet,
) -> ApplyReport:
    """``rafix rollback``: preview the restore, confirm, execute."""
    preview = preview_rollback(
        snapshot_id, executor, store, force=force, source=source, account_id=account_id
    )
    return run_preview(preview, executor, store, confirm, out)


# --- inventories ------------------------------------------------------------------------------

ACCOUNT = "111122223333"
REGION = "eu-west-1"
TA = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/aaaaaaaa-0000-4000-8000-000000000001"
TA2 = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/aaaaaaaa-0000-4000-8000-000000000002"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
CN = "aws:PrincipalTag/x509Subject/CN"
FULL_COVERAGE = (
    "iam",
    "max_session_duration",
    "rolesanywhere",
    "trust_anchors",
    "profiles",
    "crls",
)

JSON = dict[str, Any]
CheckFn = Callable[[ScanContext], Iterable[Finding]]


def trust(
    *,
    cn: str | list[str] | None = None,
    anchors: Sequence[str] | None = (TA,),
    actions: Sequence[str] = REQUIRED_ACTIONS,
    conditions: JSON | None = None,
    principal: JSON | None = None,
) -> JSON:
    """A one-statement trust policy for Roles Anywhere, pinned as asked."""
    condition: JSON = {}
    if anchors:
        condition["ArnEquals"] = {"aws:SourceArn": list(anchors)}
    if cn is not None:
        condition["StringEquals"] = {CN: cn}
    for operator, entries in (conditions or {}).items():
        condition.setdefault(operator, {}).update(entries)
    stmt: JSON = {
        "Effect": "Allow",
        "Principal": principal or {"Service": "rolesanywhere.amazonaws.com"},
        "Action": list(actions),
    }
    if condition:
        stmt["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [stmt]}


def role(
    name: str,
    trust_policy: JSON | None = None,
    *,
    attached: Sequence[str] = (S3_READ,),
    inline: Sequence[JSON] = (),
    max_session: int | None = None,
    last_used: str | None = None,
    account: str = ACCOUNT,
) -> Role:
    return Role(
        arn=f"arn:aws:iam::{account}:role/{name}",
        name=name,
        trust_policy=trust_policy if trust_policy is not None else trust(cn=name),
        attached_policy_arns=list(attached),
        inline_policies=[(f"inline{i}", d) for i, d in enumerate(inline)],
        max_session_duration=max_session,
        last_used=last_used,
    )


def profile(
    name: str,
    roles: Sequence[Role | str],
    *,
    enabled: bool = True,
    session_policy: JSON | None = None,
    managed: Sequence[str] = (),
    duration: int | None = None,
    accept_role_session_name: bool = False,
    mappings: list[JSON] | None = None,
    region: str = REGION,
) -> Profile:
    return Profile(
        arn=f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:profile/{name}",
        profile_id=name,
        name=name,
        region=region,
        enabled=enabled,
        role_arns=[r.arn if isinstance(r, Role) else r for r in roles],
        managed_policy_arns=list(managed),
        session_policy_text=json.dumps(session_policy) if session_policy is not None else None,
        session_policy=session_policy,
        duration_seconds=duration,
        accept_role_session_name=accept_role_session_name,
        attribute_mappings=mappings,
    )


def anchor(
    arn: str = TA,
    *,
    source_type: str = "CERTIFICATE_BUNDLE",
    pem: str | None = None,
    enabled: bool = True,
    notifications: list[JSON] | None = None,
) -> TrustAnchor:
    region = arn.split(":")[3]
    anchor_id = arn.rsplit("/", 1)[-1]
    return TrustAnchor(
        arn=arn,
        anchor_id=anchor_id,
        name=anchor_id,
        region=region,
        enabled=enabled,
        source_type=source_type,
        certificate_pem=pem,
        notification_settings=notifications or [],
    )


def inventory(
    roles: Sequence[Role] = (),
    profiles: Sequence[Profile] = (),
    anchors: Sequence[TrustAnchor] = (),
    crls: Sequence[Crl] = (),
    policies: Sequence[ManagedPolicy] = (),
    coverage: Sequence[str] = FULL_COVERAGE,
    regions: Sequence[str] = (REGION,),
) -> Inventory:
    return Inventory(
        account_id=ACCOUNT,
        roles={r.arn: r for r in roles},
        profiles={p.arn: p for p in profiles},
        trust_anchors={a.arn: a for a in anchors},
        crls={c.arn: c for c in crls},
        policies={p.arn: p for p in policies},
        regions=list(regions),
        coverage=set(coverage),
    )


def run(fn: CheckFn, inv: Inventory, settings: Settings | None = None) -> list[Finding]:
    return list(fn(ScanContext(inv, settings)))


# --- policy documents ---------------------------------------------------------------------------


def doc(*stmts: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


GUARDRAIL_TEMPLATE = doc(
    allow(["s3:GetObject", "s3:PutObject"]),
    deny(["iam:*", "rolesanywhere:*", "organizations:*", "account:*"]),
    deny([a for a in GUARDRAIL_DENIES if a != "iam:*"]),
)


# --- a moto account (the write path) ------------------------------------------------------------

MOTO_ACCOUNT = "123456789012"  # moto's default account
MOTO_SOURCE = "sandbox:/tmp/rafix-test-account"
RA_SERVICE = "rolesanywhere.amazonaws.com"
MOTO_ANCHOR = f"arn:aws:rolesanywhere:us-east-1:{MOTO_ACCOUNT}:trust-anchor/a1"


def trust_policy(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": RA_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def pinned(name: str) -> dict[str, Any]:
    return trust_policy(
        {
            "StringEquals": {"aws:PrincipalTag/x509Subject/CN": name},
            "ArnEquals": {"aws:SourceArn": MOTO_ANCHOR},
        }
    )


@functools.cache
def _shared_session() -> Any:
    """One boto3 session for every test: its loaded service models make new clients cheap, and
    hooks are registered on clients (each has its own copy of the event emitter), never here."""
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


class MotoAccount:
    """The slice of ``AccountSession`` the executor uses, over a moto-backed boto3 session."""

    def __init__(self) -> None:
        self.session = _shared_session()
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region or "us-east-1")
        return self._clients[key]


def someone_else(acct: MotoAccount) -> Any:
    """A client of another user of the account (no rafix guard on it)."""
    return acct.session.client("iam", region_name="us-east-1")


def t_plan(
    changes: list[Change], source: str = MOTO_SOURCE, account_id: str | None = MOTO_ACCOUNT
) -> Plan:
    """A plan for the moto account (made against the test sandbox's label)."""
    return make_plan(changes, source=source, account_id=account_id)


ROLES = ("ra-alpha", "ra-beta", "ra-gamma")


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{MOTO_ACCOUNT}:role/{name}"


def role_plan(names: tuple[str, ...] = ROLES) -> Plan:
    return t_plan(
        [
            plan_change(
                f"c{i}",
                role_arn(n),
                "role",
                {"trustPolicy": trust_policy()},
                {"trustPolicy": pinned(n)},
            )
            for i, n in enumerate(names, start=1)
        ]
    )


def writer(acct: MotoAccount) -> Executor:
    return Executor(acct, read_only=False, poll_timeout=0.0, sleep=lambda _s: None)


def states(acct: MotoAccount, names: tuple[str, ...] = ROLES) -> dict[str, str]:
    reader = Executor(acct)
    return {n: fingerprint(reader.read_state("role", role_arn(n)) or {}) for n in names}


def role_with_documents(
    name: str,
    docs: Sequence[Any],
    *,
    boundary: str | None = None,
    also_attached: Sequence[str] = (),
) -> tuple[Role, dict[str, ManagedPolicy]]:
    """A role whose first document is its inline policy (None when it is not an object) and
    each other one a customer managed policy of its own, attached with ``also_attached``; the
    policies by ARN."""
    policies: dict[str, ManagedPolicy] = {}
    attached: list[str] = []
    for i, document in enumerate(docs[1:]):
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}-{i}"
        policies[arn] = ManagedPolicy(arn=arn, name=f"{name}-{i}", document=document)
        attached.append(arn)
    role = Role(
        arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        name=name,
        inline_policies=[("inline", docs[0] if isinstance(docs[0], dict) else None)],
        attached_policy_arns=[*attached, *also_attached],
        permissions_boundary_arn=boundary,
    )
    return role, policies

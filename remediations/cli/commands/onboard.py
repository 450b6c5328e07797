"""``rafix onboard``: a new workload's dedicated role and its team's profile, in one plan.

The plan comes from :func:`remediations.onboarding.plan_onboarding` and goes through the same
show, confirm, snapshot, apply, verify and rollback path as ``rafix apply``. After the apply
it prints what the workload's operator needs: the certificate subject to request, an
``openssl req`` line, and a ``~/.aws/config`` profile for ``aws_signing_helper``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from remediations.apply.results import ApplyReport
from remediations.cli.common import (
    confirm_and_execute,
    explain_interrupt,
    one_account,
    session_from_args,
)
from remediations.cli.console import command_line, note, source_args
from remediations.errors import InputError
from remediations.files import write_output
from remediations.iam.x509 import WorkloadCertificate, parse_workload_certificate
from remediations.model import Inventory
from remediations.onboarding import (
    ClientConfig,
    Onboarding,
    OnboardRequest,
    check_request,
)
from remediations.session import Session
from remediations.textsafe import for_json, for_terminal, shown

SCHEMA = "rafix.onboarding/v1"

#: ``--format`` values that write the workload's resources as code instead of applying them.
CODE_FORMATS = {"terraform": "Terraform", "cloudformation": "CloudFormation"}


def read_certificate(path: str) -> WorkloadCertificate:
    """The workload's certificate or CSR from a file (PEM or DER); one clear line if not."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the certificate ({exc.strerror})") from None
    try:
        return parse_workload_certificate(data)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None


def request_from_args(args: argparse.Namespace) -> OnboardRequest:
    regions = list(getattr(args, "regions", None) or [])
    cert_file = getattr(args, "certificate", None)
    return OnboardRequest(
        workload=args.workload,
        env=args.env,
        team=args.team,
        trust_anchor_arn=args.trust_anchor,
        issuer_cn=getattr(args, "issuer_cn", None),
        services=tuple(getattr(args, "services", None) or ()),
        resource_arns=tuple(getattr(args, "resource_arns", None) or ()),
        managed_policy_arns=tuple(getattr(args, "managed_policy_arns", None) or ()),
        spiffe_uri=getattr(args, "spiffe_uri", None),
        certificate=read_certificate(cert_file) if cert_file else None,
        region=regions[0] if len(regions) == 1 else None,
    )


def real_profile_arn(inventory: Inventory, onboarding: Onboarding) -> str | None:
    """The team profile's ARN as the account shows it now (None: not there)."""
    names = onboarding.names
    found = [
        p.arn
        for p in inventory.profiles.values()
        if p.region == names.region and p.name == names.profile_name
    ]
    return found[0] if len(found) == 1 else None


def render_client_text(config: ClientConfig) -> str:
    return (
        f"\nCertificate subject to request from the CA: {config.subject}"
        + (f" (SAN URI {config.spiffe_uri})" if config.spiffe_uri else "")
        + "\n\nKey and CSR (on the workload's host):\n"
        + f"  {config.openssl_command}\n"
        + f"Save the certificate the CA issues as {config.certificate_path}.\n"
        + "\n~/.aws/config:\n"
        + "".join(f"  {line}\n" for line in config.aws_config.splitlines())
    )


def run(args: argparse.Namespace) -> int:
    session = one_account(session_from_args(args))
    settings = session.settings
    request = request_from_args(args)
    check_request(request, settings)  # a bad name or option: refused before reading the account
    onboarding = session.onboard(request)
    plan = onboarding.plan
    fmt = getattr(args, "format", "text") or "text"
    key_dir = getattr(args, "key_dir", None) or "/etc/rolesanywhere"
    out = getattr(args, "out", None)
    if fmt in CODE_FORMATS:
        return _write_code(session, onboarding, fmt, out)
    if onboarding.already_onboarded:
        config = onboarding.client_config(key_dir=key_dir)
        _say_result(fmt, "already-onboarded", onboarding, config, None)
        return 0
    if out:
        plan.save(out)
        if fmt == "json":
            _say_result(fmt, "planned", onboarding, None, None)
        else:
            from remediations.render_text import render_plan_text

            sys.stdout.write(for_terminal(render_plan_text(plan)))
        apply_it = command_line("rafix", "apply", out, *source_args(args))
        note(
            f"rafix: wrote the onboarding plan ({len(plan.changes)} change(s)) to {out}; "
            f"apply it with `{apply_it}`"
        )
        return 0
    if not plan.applicable:
        raise InputError(
            "onboarding writes to the account: use --sandbox DIR or the live account (offline "
            "files are read-only; --out PLAN.json saves the plan for review)"
        )
    report = _apply(args, session, onboarding, fmt)
    if report is None:  # a read-only preview: shown, nothing written
        return 0
    if not report.ok:
        _say_result(fmt, "failed", onboarding, None, report.snapshot_id)
        return 1
    after = session.load()
    profile_arn = real_profile_arn(after, onboarding)
    config = onboarding.client_config(profile_arn=profile_arn, key_dir=key_dir)
    _say_result(fmt, "applied", onboarding, config, report.snapshot_id)
    return 0


def _write_code(session: Session, onboarding: Onboarding, fmt: str, out: str | None) -> int:
    """``--format terraform|cloudformation``: the workload's resources as code to commit,
    on stdout or in ``out``; nothing is written to the account."""
    names = onboarding.names
    text = session.render_code(
        onboarding.plan, fmt, title=f"rafix onboarding of {names.cn} ({shown(names.role_name)})"
    )
    what = CODE_FORMATS[fmt]
    if onboarding.already_onboarded:
        note(
            f"rafix: {shown(names.role_name)} and {shown(names.profile_name)} are already as this onboarding "
            f"makes them; the {what} code below has nothing to add"
        )
    if out and out != "-":
        write_output(out, text, what=f"the {what} code")
        note(f"rafix: wrote the onboarding of {names.cn} as {what} to {out}")
    else:
        sys.stdout.write(text)
    return 0


def _apply(
    args: argparse.Namespace, session: Session, onboarding: Onboarding, fmt: str
) -> ApplyReport | None:
    names = onboarding.names
    label = f"onboarding of {names.cn} ({shown(names.role_name)})"
    # In JSON mode standard output carries the one JSON document; progress goes to stderr.
    stream = sys.stderr if fmt == "json" else sys.stdout
    retry = command_line("rafix", *sys.argv[1:]) if sys.argv[1:] else "rafix onboard"
    with explain_interrupt(session.store, retry, source_args(args)):
        preview = session.preview(onboarding.plan, label=label)
        return confirm_and_execute(args, session, preview, stream=stream)


def _say_result(
    fmt: str,
    status: str,
    onboarding: Onboarding,
    config: ClientConfig | None,
    snapshot_id: str | None,
) -> None:
    names = onboarding.names
    if fmt == "json":
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "status": status,
            "workload": onboarding.request.workload,
            "env": onboarding.request.env,
            "team": onboarding.request.team,
            "role_name": names.role_name,
            "role_arn": names.role_arn,
            "profile_name": names.profile_name,
            "profile_arn": config.profile_arn if config else names.profile_arn,
            "trust_anchor_arn": names.trust_anchor_arn,
            "issuer_cn": names.issuer_cn,
            "certificate": {"cn": names.cn, "ou": names.ou, "spiffe_uri": names.spiffe_uri},
            "services": list(names.services),
            "managed_policy_arns": list(names.managed_policy_arns),
            "snapshot_id": snapshot_id,
            "plan": onboarding.plan.to_json(),
            "client": config.to_json() if config else None,
        }
        sys.stdout.write(for_json(json.dumps(document, indent=2, ensure_ascii=False) + "\n"))
        return
    if status == "already-onboarded":
        print(
            f"Already onboarded: role {shown(names.role_name)} and profile {shown(names.profile_name)} are as "
            "this onboarding makes them; nothing was written."
        )
    elif status == "failed":
        print(f"Onboarding of {shown(names.cn)} did not complete; see above.", file=sys.stderr)
        return
    if config is not None:
        sys.stdout.write(for_terminal(render_client_text(config)))

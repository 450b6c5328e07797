"""``rafix access``: who can assume each Roles Anywhere role (table, JSON, dot, Mermaid); with
``--certificate`` or ``--subject``, the reverse question: which roles that certificate reaches."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from remediations.access import CertificateQuery, parse_dn, query_from_certificate
from remediations.cli import console as output
from remediations.cli.common import session_from_args
from remediations.errors import InputError
from remediations.files import STDOUT, write_output
from remediations.render_access import render_access
from remediations.textsafe import for_json, for_terminal, warning_lines

#: A PEM certificate is a few kilobytes; refuse anything absurd before reading it.
_MAX_CERTIFICATE_BYTES = 1_000_000


def query_from_args(args: argparse.Namespace) -> CertificateQuery | None:
    """The reverse question ``--certificate`` / ``--subject`` / ``--issuer`` /
    ``--trust-anchor`` ask, or None.

    Raises:
        InputError: both --certificate and --subject, --issuer without --subject, a file that
            is not a certificate, a DN that cannot be read.
    """
    certificate = getattr(args, "certificate", None)
    subject = getattr(args, "subject", None)
    issuer = getattr(args, "issuer", None)
    anchor = getattr(args, "trust_anchor", None)
    if certificate and (subject or issuer):
        raise InputError(
            "--certificate already gives the subject and issuer; drop --subject/--issuer"
        )
    if certificate:
        path = Path(certificate)
        try:
            if path.is_file() and path.stat().st_size > _MAX_CERTIFICATE_BYTES:
                raise InputError(f"{certificate}: too large for a certificate")
            data = path.read_bytes() if certificate != "-" else sys.stdin.buffer.read()
        except OSError as exc:
            raise InputError(f"{certificate}: cannot read it ({exc.strerror or exc})") from None
        try:
            return query_from_certificate(data, anchor)
        except ValueError as exc:
            raise InputError(f"{certificate}: {exc}") from None
    if issuer and not subject:
        raise InputError("--issuer needs --subject (or give the whole --certificate)")
    if anchor and not subject:
        raise InputError("--trust-anchor narrows --subject or --certificate; give one of them")
    if not subject:
        return None
    try:
        return CertificateQuery(
            subject=parse_dn(subject),
            issuer=parse_dn(issuer) if issuer else {},
            trust_anchor_arn=anchor,
        )
    except ValueError as exc:
        raise InputError(f"--subject/--issuer: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Print the access map (or the reverse answer) of the account the options name."""
    session = session_from_args(args)
    query = query_from_args(args)  # bad options: before reading the account
    with output.Progress("reading the account") as progress:
        progress.start("connecting")
        inventory = session.load(on_progress=progress.callback())
    access = session.access(
        inventory=inventory, roles=getattr(args, "roles", None) or (), query=query
    )
    wanted = getattr(args, "roles", None) or []
    missing = [r for r in wanted if not any(r in (a.role_arn, a.role_name) for a in access.roles)]
    for role in missing:
        output.warn(f"rafix: {role}: no such role trusts rolesanywhere.amazonaws.com")
    for line in warning_lines(inventory.warnings):
        output.note(line)
    destination: str = getattr(args, "output", None) or ""
    fmt = getattr(args, "format", "table")
    text = render_access(access, fmt, width=_width())
    if destination and destination != STDOUT:
        write_output(destination, text, what="the access map")
        output.note(f"rafix: wrote the {fmt} access map to {destination}")
    else:
        sys.stdout.write(for_json(text) if fmt == "json" else for_terminal(text))
        sys.stdout.flush()
    return 0


def _width() -> int:
    import os

    if not sys.stdout.isatty():
        return 100
    try:
        return max(60, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError):
        return 100

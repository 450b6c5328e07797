"""The witness proof: a patched trust policy admits no certificate the current one refuses,
and it still admits the intended workload."""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from remediations.evaluator import compile_policy
from remediations.iam.conditions import ContextValue
from remediations.model import REQUIRED_ACTIONS
from remediations.policy import as_list
from remediations.proposals.results import _Refuse
from remediations.trust import CertificateContext, analyze_trust

_FRESH = "rafix-witness"
_ROGUE_ANCHOR = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/x"
_MAX_WITNESSES = 3000


def prove_safe(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    *,
    anchors: Iterable[str] = (),
    repair: bool = False,
) -> None:
    """Check a patched trust policy on witness certificates; raise ``_Refuse`` when unsafe.

    Safe means: every witness the patched policy admits, the original admitted too (for a
    ``repair`` of missing actions: the original's sts:AssumeRole path admitted it), and some
    witness with the intended workload's values is admitted.
    """
    baseline_doc = assume_role_view(original) if repair else original
    before = analyze_trust(baseline_doc)
    after = analyze_trust(patched)
    workload_seen = False
    evaluated = (baseline_doc, patched)
    for cert in witnesses(original, patched, intended, anchors, evaluated=evaluated):
        if not after.admits(cert):
            continue
        if not before.admits(cert):
            raise _Refuse(
                "the patched trust policy would admit a certificate the current one refuses "
                f"({describe_certificate(cert)})"
            )
        workload_seen = workload_seen or _matches(cert, intended)
    if not workload_seen:
        wanted = ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(intended.items())) or "any"
        raise _Refuse(f"the patched trust policy would not admit the workload ({wanted})")


def assume_role_view(document: dict[str, Any]) -> dict[str, Any]:
    """The policy as if every statement that covers sts:AssumeRole covered all three actions,
    and no other statement existed: ``admits`` then answers "may it call sts:AssumeRole"."""
    doc = copy.deepcopy(document)
    compiled = {s.index: s for s in compile_policy(document).statements}
    kept = []
    for index, statement in enumerate(as_list(doc.get("Statement"))):
        if index in compiled and compiled[index].covers_action("sts:AssumeRole"):
            statement = dict(statement)
            statement.pop("NotAction", None)
            statement["Action"] = list(REQUIRED_ACTIONS)
            kept.append(statement)
    doc["Statement"] = kept
    return doc


def _matches(cert: CertificateContext, intended: dict[str, list[str]]) -> bool:
    for key, wanted in intended.items():
        if key == "source_arn":
            actual: str | None = cert.source_arn
        else:
            field_name, _, rdn = key.partition("/")
            source = {"x509subject": cert.subject, "x509issuer": cert.issuer, "x509san": cert.san}
            actual = source.get(field_name, {}).get(
                rdn.upper() if field_name != "x509san" else _san_name(rdn)
            )
        if actual not in wanted:
            return False
    return True


def describe_certificate(cert: CertificateContext) -> str:
    parts = [f"trust anchor {cert.source_arn}"]
    parts += [f"subject {k}={v}" for k, v in cert.subject.items()]
    parts += [f"issuer {k}={v}" for k, v in cert.issuer.items()]
    parts += [f"SAN {k}={v}" for k, v in cert.san.items()]
    if cert.role_session_name is not None:
        parts.append(f"session name {cert.role_session_name}")
    parts += [f"{k}={v}" for k, v in cert.extra.items() if v is not None]
    return ", ".join(parts)


def _dimensions(
    docs: Sequence[dict[str, Any]],
    intended: dict[str, list[str]],
    anchors: Iterable[str],
    evaluated: Sequence[dict[str, Any]] = (),
) -> dict[str, list[str | None]]:
    """Candidate values per request key: absent, a fresh value, and every value the policies
    name (a matching witness for each wildcard pattern)."""
    dims: dict[str, list[str | None]] = {"aws:sourcearn": []}
    for doc in docs:
        for use in analyze_trust(doc).conditions:
            key = use.key.lower()
            if use.category == "ip":
                # The caller is Roles Anywhere: the workload's address never reaches the trust,
                # so an IP key is modelled as one value outside every range (here: absent).
                dims[key] = [None]
                continue
            if key == "sts:sourceidentity":
                key = "aws:principaltag/x509subject/cn"
            candidates = dims.setdefault(key, [None, _FRESH])
            for value in use.values:
                if "${" in value:
                    if key == "sts:rolesessionname":
                        candidates.append("$cn")
                    continue
                value = (
                    value.removeprefix("CN=") if use.key.lower() == "sts:sourceidentity" else value
                )
                candidates.append(value.replace("*", "rafix").replace("?", "r"))
    for key, wanted in intended.items():
        full = "aws:sourcearn" if key == "source_arn" else f"aws:principaltag/{key}"
        dims.setdefault(full, [None, _FRESH]).extend(wanted)
    named: list[str | None] = [a for a in dims["aws:sourcearn"] if a not in (None, _FRESH)]
    named += list(anchors)
    # A trust anchor created later (by an attacker) in the same account and region.
    model = next((a for a in named if a and a.count(":") >= 5), _ROGUE_ANCHOR)
    named.append(model.rsplit("/", 1)[0] + "/rafix-rogue-anchor")
    dims["aws:sourcearn"] = _anchor_classes(
        list(dict.fromkeys(named)), (*docs, *evaluated), intended.get("source_arn", ())
    )
    return {k: list(dict.fromkeys(v)) for k, v in dims.items()}


def _anchor_classes(
    anchors: list[str | None], docs: Iterable[dict[str, Any]], intended: Sequence[str]
) -> list[str | None]:
    """The first anchor of each class of anchors that every evaluated policy treats alike.

    A witness's trust anchor reaches a policy only as ``aws:SourceArn`` and the
    ``aws:SourceAccount`` it spells, so two anchors for which every clause on those keys (and
    the intended workload's anchors) answers the same are interchangeable in every witness:
    keeping one of each class keeps every verdict, and the first witness that fails is still
    the same one (the first of its class fails too, and comes first). Without this, every
    anchor of the account multiplies the witnesses of every proof, and planning an account
    grew with the square of its size.
    """
    clauses = [c for doc in docs for s in compile_policy(doc).statements for c in s.clauses]
    if any(
        not c.key or (c.uses_variables and "${aws:source" in repr(c.values).lower())
        for c in clauses
    ):
        return anchors  # malformed, or a variable that copies the anchor: keep every one
    relevant = [c for c in clauses if c.key in _ANCHOR_KEYS]
    seen: set[tuple[bool, ...]] = set()
    kept: list[str | None] = []
    for anchor in anchors:
        context: dict[str, ContextValue] = {}
        if anchor:
            context["aws:sourcearn"] = anchor
            parts = anchor.split(":")
            if len(parts) > 4 and parts[4]:
                context["aws:sourceaccount"] = parts[4]
        signature = (anchor in intended, *(c.matches(context) for c in relevant))
        if signature not in seen:
            seen.add(signature)
            kept.append(anchor)
    return kept


_ANCHOR_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})


def witness_space(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    anchors: Iterable[str] = (),
) -> int | None:
    """How many witnesses :func:`witnesses` tries when it tries them all; None when it would
    only sample them (so "none of them" proves nothing)."""
    dims = _dimensions((original, patched), intended, anchors)
    total = 1
    for values in dims.values():
        total *= len(values)
    return total if total <= _MAX_WITNESSES else None


def witnesses(
    original: dict[str, Any],
    patched: dict[str, Any],
    intended: dict[str, list[str]],
    anchors: Iterable[str] = (),
    *,
    evaluated: Sequence[dict[str, Any]] = (),
) -> Iterator[CertificateContext]:
    """Witness certificates over the values both policies name (bounded, deterministic).

    ``evaluated``: other policies the caller judges the witnesses by (their treatment of
    trust anchors is respected when equivalent anchors are merged).
    """
    dims = _dimensions((original, patched), intended, anchors, evaluated)
    keys = sorted(dims)
    total = 1
    for key in keys:
        total *= len(dims[key])
    if total <= _MAX_WITNESSES:
        combos: Iterable[tuple[str | None, ...]] = itertools.product(*(dims[k] for k in keys))
    else:
        rng = random.Random(0)
        intended_combo = tuple(_intended_value(k, dims[k], intended) for k in keys)
        combos = itertools.chain(
            [intended_combo],
            (tuple(rng.choice(dims[k]) for k in keys) for _ in range(_MAX_WITNESSES)),
        )
    for combo in combos:
        yield _certificate(dict(zip(keys, combo, strict=True)))


def _intended_value(
    key: str, options: list[str | None], intended: dict[str, list[str]]
) -> str | None:
    short = "source_arn" if key == "aws:sourcearn" else key.removeprefix("aws:principaltag/")
    if short in intended:
        return intended[short][0]
    return next((o for o in options if o not in (None, _FRESH)), options[0])


def _certificate(values: dict[str, str | None]) -> CertificateContext:
    subject: dict[str, str] = {}
    issuer: dict[str, str] = {}
    san: dict[str, str] = {}
    extra: dict[str, Any] = {}
    session: str | None = None
    source_arn = values.get("aws:sourcearn") or ""
    for key, value in values.items():
        if key == "aws:sourcearn":
            continue
        if key == "sts:rolesessionname":
            session = value
            continue
        tail = key.removeprefix("aws:principaltag/")
        field_name, _, rdn = tail.partition("/")
        target = {"x509subject": subject, "x509issuer": issuer, "x509san": san}.get(field_name)
        if target is not None and key.startswith("aws:principaltag/"):
            if value is not None:
                target[rdn.upper() if field_name != "x509san" else _san_name(rdn)] = value
        else:
            extra[key] = value
    if session == "$cn":
        session = subject.get("CN")
    return CertificateContext(
        source_arn=source_arn,
        subject=subject,
        issuer=issuer,
        san=san,
        role_session_name=session,
        extra=extra,
    )


def _san_name(rdn: str) -> str:
    if rdn.lower().startswith("name/"):
        return "Name/" + rdn[5:].upper()
    return rdn.upper()

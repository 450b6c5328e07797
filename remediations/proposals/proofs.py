"""Witness proofs, judged one witness per class of interchangeable values.

A proof (:func:`prove`) walks the witness certificates of :func:`remediations.trust.witness.
witnesses` and asks a verdict of each: a reason to refuse, or whether it counts towards "some
witness is admitted". The plain walk judges every witness, or a random sample of 3,000 when
there are more. Most of them differ only in values no judged policy tells apart: a CN that
every clause on the CN answers alike, the absent key and a fresh value under ``StringEquals``.

The shortcut (:func:`_by_classes`) splits the request keys into blocks that no clause spans
(a ``${...}`` variable, or the CN copied into a session name, joins keys into one block), keeps
for each block the first combination of values of each class that every clause of the judged
policies on the block's keys (and the intended workload) answers alike, and judges the
product of those. It is an abstraction over the literal: two values are merged only when each
clause answers them the same. It gives the plain walk's outcome exactly, or declines (and the
plain walk runs):

- when every witness is tried (the product is at most ``MAX_WITNESSES``), the first witness to
  fail is a class's first combination in every block (a witness and its representatives fail
  alike, and the representatives come no later), so the reduced product finds the same one
  first, and "some witness counts" holds for a class exactly when for its members;
- when the plain walk samples, the shortcut decides only when the whole reduced product has no
  failure (so no sample has one) and either nothing counts (nor does any sample) or the first
  sample, the intended workload's witness, counts; otherwise it declines.

It declines too when a block or the reduced product is too large, or a key is not plain to
map to the request keys it sets. Proofs of one kind whose shape is the same (which clause
answers what on each class, what each statement requires of the clauses) have the same
outcome whatever their literals: an outcome that holds, or finds no witness, is shared with
them (a refusal is found again: its reason names the witness). A block's classes depend only
on its keys, their candidate values, its clauses and the intended values of its keys: proofs
whose blocks agree on those (a trust anchor or an issuer many roles pin) share them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from remediations.iam.conditions import Clause
from remediations.iam.evaluator import CompiledPolicy, ContextValue, variable_keys
from remediations.iam.statements import Statement
from remediations.model import REQUIRED_ACTIONS
from remediations.proposals.results import FixRefused
from remediations.shortcuts import shortcuts_on
from remediations.trust import TrustAnalysis, certificate_request_context
from remediations.trust.facts import RA_PRINCIPAL, CertificateContext
from remediations.trust.witness import (
    MAX_WITNESSES,
    certificate_builder,
    intended_value,
    witness_dimensions,
    witnesses,
)

#: A witness's verdict: the reason to refuse (None: fine), and whether it counts.
Verdict = Callable[[CertificateContext, Mapping[str, ContextValue]], tuple[str | None, bool]]
_Combo = tuple[str | None, ...]
#: Outcomes of the shortcut besides a reason (str) or None (the proof holds).
_UNDECIDED = object()
_MISSING = object()
#: The most value combinations of one block that are judged to find its classes.
_MAX_BLOCK = 4096
_CN = "aws:principaltag/x509subject/cn"
#: Outcomes by proof shape (True: holds, False: no witness counts), for every plan of the
#: process; emptied when it reaches _MAX_SHARED shapes.
_SHARED: dict[tuple[Any, ...], bool] = {}
_MAX_SHARED = 20_000


def prove(
    original: TrustAnalysis,
    patched: TrustAnalysis,
    intended: dict[str, list[str]],
    anchors: Iterable[str],
    *,
    evaluated: Sequence[dict[str, Any]],
    judged: Sequence[CompiledPolicy],
    verdict: Verdict,
    missing: str,
    kind: str,
    analysed: Sequence[TrustAnalysis] = (),
) -> None:
    """Raise ``FixRefused`` with the first witness's reason to refuse, or with ``missing`` when
    no witness counts; return when the proof holds.

    ``judged``: every policy whose decision ``verdict`` reads; ``verdict`` may read only those
    decisions and whether the certificate is the intended workload's
    (:func:`remediations.trust.witness.is_intended`). ``kind`` names the verdict: proofs of
    one kind share outcomes by shape. ``analysed``: the caller's analyses of some ``evaluated``
    documents (not compiled again).
    """
    anchors = list(anchors)
    if shortcuts_on():
        outcome = _by_classes(
            original, patched, intended, anchors, evaluated, judged, verdict, kind, analysed
        )
        if outcome is _MISSING:
            raise FixRefused(missing)
        if isinstance(outcome, str):
            raise FixRefused(outcome)
        if outcome is None:
            return
    seen = False
    for cert in witnesses(original, patched, intended, anchors, evaluated=evaluated):
        failure, counts = verdict(cert, certificate_request_context(cert))
        if failure is not None:
            raise FixRefused(failure)
        seen = seen or counts
    if not seen:
        raise FixRefused(missing)


def _by_classes(
    original: TrustAnalysis,
    patched: TrustAnalysis,
    intended: dict[str, list[str]],
    anchors: list[str],
    evaluated: Sequence[dict[str, Any]],
    judged: Sequence[CompiledPolicy],
    verdict: Verdict,
    kind: str,
    analysed: Sequence[TrustAnalysis] = (),
) -> object:
    """The plain walk's outcome (a reason to refuse, ``_MISSING``, or None: it holds), or
    ``_UNDECIDED``.

    Proofs of one ``kind`` with the same shape (:func:`_blocks`: the clauses' answers on each
    class, and what each statement requires of them) have the same outcome whatever their
    literals: an outcome that holds (or finds no witness) is shared with them. A refusal is
    not (its reason names the witness), it is found again.
    """
    dims = witness_dimensions(
        original, patched, intended, anchors, evaluated=evaluated, known=analysed
    )
    keys = list(dims)
    found = _blocks(keys, dims, judged, intended)
    if found is None:
        return _UNDECIDED
    blocks, shape = found
    if _product(len(b.kept) for b in blocks) > MAX_WITNESSES:
        return _UNDECIDED
    sampled = _product(len(dims[k]) for k in keys) > MAX_WITNESSES
    first: _Combo | None = None
    if sampled:  # the plain walk's first sample is the intended workload's witness
        first = _representative(keys, dims, blocks, intended)
        if first is None:
            return _UNDECIDED
    # Which keys the intended workload names is part of the shape (is_intended reads them).
    key = (
        kind,
        tuple(keys),
        tuple(sorted(intended)),
        shape,
        first and _class_numbers(blocks, first),
    )
    known = _SHARED.get(key)
    if known is not None:
        return None if known else _MISSING
    outcome = _walk(keys, dims, blocks, verdict, first)
    if outcome is None or outcome is _MISSING:
        if len(_SHARED) >= _MAX_SHARED:
            _SHARED.clear()
        _SHARED[key] = outcome is None
    return outcome


def _walk(
    keys: list[str],
    dims: dict[str, list[str | None]],
    blocks: list[_Block],
    verdict: Verdict,
    first: _Combo | None,
) -> object:
    """Judge the classes' witnesses; ``first``: the plain walk samples, beginning with it."""
    build = certificate_builder(keys)
    counted: set[_Combo] = set()
    failure: str | None = None
    for combo in _reduced(keys, dims, blocks):
        cert = build(combo)
        failure, counts = verdict(cert, certificate_request_context(cert))
        if failure is not None:
            break
        if counts:
            counted.add(combo)
    if first is None:  # every witness is tried
        return failure if failure is not None else (None if counted else _MISSING)
    # The plain walk samples: decide only where every sample must agree.
    if failure is not None:
        return _UNDECIDED
    if not counted:
        return _MISSING
    return None if first in counted else _UNDECIDED


def _representative(
    keys: list[str],
    dims: dict[str, list[str | None]],
    blocks: list[_Block],
    intended: dict[str, list[str]],
) -> _Combo | None:
    """The intended workload's witness, each block's values replaced by its class's first."""
    values = [intended_value(k, dims[k], intended) for k in keys]
    out = list(values)
    for block in blocks:
        rep = block.rep.get(tuple(values[p] for p in block.positions))
        if rep is None:
            return None
        for position, value in zip(block.positions, rep, strict=True):
            out[position] = value
    return tuple(out)


def _class_numbers(blocks: list[_Block], combo: _Combo) -> tuple[int, ...]:
    return tuple(b.kept.index(tuple(combo[p] for p in b.positions)) for b in blocks)


@dataclass(slots=True)
class _Block:
    """Keys whose values are judged together (one feeds a request key another's clause reads),
    and the first combination of their values of each class."""

    positions: list[int]
    rep: dict[_Combo, _Combo] = field(default_factory=dict)
    kept: list[_Combo] = field(default_factory=list)
    #: The answers (intended or not, then each clause on the block's keys) of each kept class.
    signatures: list[tuple[bool, ...]] = field(default_factory=list)


def _blocks(
    keys: list[str],
    dims: dict[str, list[str | None]],
    judged: Sequence[CompiledPolicy],
    intended: dict[str, list[str]],
) -> tuple[list[_Block], tuple[Any, ...]] | None:
    """The keys in blocks that no clause spans, each with its classes of value combinations,
    and the proof's shape without its literals (:func:`_shape`); None when the values cannot
    be judged block by block."""
    clauses = list(
        dict.fromkeys(c for policy in judged for s in policy.statements for c in s.clauses)
    )
    if any(not c.key for c in clauses):
        return None
    reads = [
        frozenset({c.key, *(k for v in c.values for k in variable_keys(v))})
        if c.uses_variables
        else frozenset({c.key})
        for c in clauses
    ]
    owner: dict[str, int] = {}  # request key -> the first key position that feeds it
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    def join(positions: Iterable[int]) -> None:
        roots = sorted({root(i) for i in positions})
        for other in roots[1:]:
            parent[other] = roots[0]

    fed: list[frozenset[str]] = []
    for position, key in enumerate(keys):
        feeds = _fed_keys(key, dims)
        if feeds is None:
            return None
        fed.append(feeds)
        for request_key in feeds:
            join([position, owner.setdefault(request_key, position)])
    for read in reads:
        join(owner[k] for k in read if k in owner)
    groups: dict[int, list[int]] = {}
    for position in range(len(keys)):
        groups.setdefault(root(position), []).append(position)
    wanted = {
        ("aws:sourcearn" if k == "source_arn" else f"aws:principaltag/{k}"): set(v)
        for k, v in intended.items()
    }
    build = certificate_builder(keys)
    base = [dims[k][0] for k in keys]
    blocks = []
    shapes: list[tuple[Any, ...]] = []
    unfed = set(range(len(clauses)))
    for positions in groups.values():
        block = _Block(positions)
        fed_here = frozenset().union(*(fed[p] for p in positions))
        ids = [i for i, read in enumerate(reads) if read & fed_here]
        unfed -= set(ids)
        mine = tuple(clauses[i] for i in ids)
        if _product(len(dims[keys[p]]) for p in positions) > _MAX_BLOCK:
            return None
        block_keys = tuple(keys[p] for p in positions)
        memo_key = (
            block_keys,
            tuple(tuple(dims[k]) for k in block_keys),
            mine,
            tuple(frozenset(wanted[k]) if k in wanted else None for k in block_keys),
        )
        known = _BLOCK_CLASSES.get(memo_key)
        if known is None:
            known = _classes(memo_key)
            if len(_BLOCK_CLASSES) >= _MAX_SHARED:
                _BLOCK_CLASSES.clear()
            _BLOCK_CLASSES[memo_key] = known
        block.rep, block.kept, block.signatures = known
        blocks.append(block)
        shapes.append((tuple(keys[p] for p in positions), tuple(ids), tuple(block.signatures)))
    # Clauses on keys no witness sets answer alike for every witness (but not for every policy).
    context = certificate_request_context(build(tuple(base)))
    constants = tuple((i, clauses[i].matches(context)) for i in sorted(unfed))
    return blocks, (tuple(shapes), constants, _statements(judged, clauses))


def _classes(
    memo_key: tuple[Any, ...],
) -> tuple[dict[_Combo, _Combo], list[_Combo], list[tuple[bool, ...]]]:
    """One block's classes: each combination of its keys' values mapped to the first one
    with the same answers (intended or not, then each clause of the block), the firsts, and
    their answers. A function of the block's keys, their candidate values, its clauses and
    the intended values of its keys only (the memo key), so blocks equal in those (the
    clauses on a trust anchor or an issuer shared by many roles) share it; never mutated."""
    block_keys, candidates, mine, intended = memo_key
    rep: dict[_Combo, _Combo] = {}
    kept: list[_Combo] = []
    signatures: list[tuple[bool, ...]] = []
    first: dict[tuple[bool, ...], _Combo] = {}
    build_block = certificate_builder(list(block_keys))
    for values in itertools.product(*candidates):
        # Only this block's keys: the clauses asked read no request key another sets.
        context = certificate_request_context(build_block(values))
        signature = (
            *(
                wanted is not None and v in wanted
                for wanted, v in zip(intended, values, strict=True)
            ),
            *(c.matches(context) for c in mine),
        )
        chosen = rep[values] = first.setdefault(signature, values)
        if chosen is values:
            kept.append(values)
            signatures.append(signature)
    return rep, kept, signatures


#: Blocks' classes by what decides them (:func:`_classes`), for every proof of the process;
#: emptied when it reaches _MAX_SHARED entries.
_BLOCK_CLASSES: dict[
    tuple[Any, ...], tuple[dict[_Combo, _Combo], list[_Combo], list[tuple[bool, ...]]]
] = {}


def _statements(judged: Sequence[CompiledPolicy], clauses: list[Clause]) -> tuple[Any, ...]:
    """What decides each judged policy for Roles Anywhere, its clauses as numbers: the effect,
    the principal and actions each statement covers, and the clauses each requires."""
    number = {clause: i for i, clause in enumerate(clauses)}
    return tuple(
        tuple((*_covers(s), tuple(number[c] for c in s.clauses)) for s in policy.statements)
        for policy in judged
    )


def _covers(statement: Statement) -> tuple[Any, ...]:
    """The statement's effect, whether it covers the Roles Anywhere principal and each
    required action: a function of its effect, principals and actions only, so statements
    equal in those (nearly every trust statement of an account) share it."""
    key = (statement.effect, statement.principals, statement.not_principals, statement.actions)
    known = _COVERS.get(key)
    if known is None:
        known = (
            statement.effect,
            statement.covers_principal(RA_PRINCIPAL),
            *(statement.covers_action(a) for a in REQUIRED_ACTIONS),
        )
        if len(_COVERS) >= _MAX_SHARED:
            _COVERS.clear()
        _COVERS[key] = known
    return known


#: What statements cover (:func:`_covers`), by what decides it; emptied when full.
_COVERS: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _reduced(
    keys: list[str], dims: dict[str, list[str | None]], blocks: list[_Block]
) -> list[_Combo]:
    """Every combination of the blocks' kept classes, in the order the plain walk tries them
    (the product of the keys' values in key order)."""
    rank = {k: {v: i for i, v in enumerate(dims[k])} for k in keys}
    out = []
    for parts in itertools.product(*(b.kept for b in blocks)):
        combo: list[str | None] = [None] * len(keys)
        for block, values in zip(blocks, parts, strict=True):
            for position, value in zip(block.positions, values, strict=True):
                combo[position] = value
        out.append(tuple(combo))
    out.sort(key=lambda c: tuple(rank[k][v] for k, v in zip(keys, c, strict=True)))
    return out


def _fed_keys(key: str, dims: dict[str, list[str | None]]) -> frozenset[str] | None:
    """The request keys a witness's value of ``key`` sets (as ``certificate_request_context``
    builds them); None when they are not plain to tell."""
    if key != key.lower():
        return None
    if key == "aws:sourcearn":
        return frozenset({key, "aws:sourceaccount"})
    if key == _CN:
        # The CN is also the source identity, and the session name of a "$cn" witness.
        copied = "$cn" in dims.get("sts:rolesessionname", ())
        return frozenset({key, "sts:sourceidentity", *(["sts:rolesessionname"] if copied else [])})
    field_name, _, rdn = key.removeprefix("aws:principaltag/").partition("/")
    certificate_field = field_name in ("x509subject", "x509issuer", "x509san")
    if key.startswith("aws:principaltag/") and certificate_field and not _plain_rdn(rdn):
        return None  # spelled back another way (Name/CN): judged by the plain walk
    return frozenset({key})


def _plain_rdn(rdn: str) -> bool:
    return bool(rdn) and not rdn.startswith("name/")


def _product(sizes: Iterable[int]) -> int:
    total = 1
    for size in sizes:
        total *= size
    return total

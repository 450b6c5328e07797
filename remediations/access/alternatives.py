"""The alternatives of one path (one Allow per action minus each Deny), their witness search,
and the constraints people read."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from remediations.access.certificates import attribute_name, is_cert_key
from remediations.access.model import (
    ALWAYS_PRESENT,
    FIXED_KEYS,
    FRESH,
    IP_KEYS,
    MAX_ALTERNATIVES,
    MAX_WITNESSES,
    TAG,
    Constraint,
    Requirement,
)
from remediations.iam.evaluator import (
    Clause,
    CompiledPolicy,
    CompiledStatement,
    ContextValue,
    has_variables,
    has_wildcard,
    variable_keys,
)
from remediations.model import REQUIRED_ACTIONS
from remediations.trust import RA_PRINCIPAL

# --- the alternatives of one path ---------------------------------------------------------------


@dataclass(slots=True)
class _Alternative:
    statements: tuple[int, ...]
    requirements: list[Requirement]


def _covers_required(statement: CompiledStatement) -> bool:
    return any(statement.covers_action(a) for a in REQUIRED_ACTIONS)


def ra_statements(
    policy: CompiledPolicy,
) -> tuple[list[list[CompiledStatement]], list[CompiledStatement]]:
    """Per required action the Allow statements for Roles Anywhere; and the Denies that
    block any required action (one denied action blocks the whole assumption)."""
    ra = [s for s in policy.statements if s.effect and s.covers_principal(RA_PRINCIPAL)]
    per_action = [
        [s for s in ra if s.effect == "Allow" and s.covers_action(a)] for a in REQUIRED_ACTIONS
    ]
    denies = [s for s in ra if s.effect == "Deny" and _covers_required(s)]
    return per_action, denies


def _fixed_verdict(
    clause: Clause, fixed: Mapping[str, ContextValue], dropped: frozenset[str]
) -> bool | None:
    """A clause's verdict when the path alone decides it (anchor keys, dropped attributes,
    network keys the service never carries); None when the certificate decides it."""
    if clause.uses_variables:
        return None
    if clause.key in FIXED_KEYS:
        return clause.matches(fixed)
    if clause.key in dropped or clause.key in IP_KEYS:
        return clause.matches({})
    return None


def path_alternatives(
    per_action: list[list[CompiledStatement]],
    denies: list[CompiledStatement],
    fixed: Mapping[str, ContextValue],
    dropped: frozenset[str],
) -> tuple[list[_Alternative], list[str]]:
    """The ways in on one path, and why each way that is closed is closed."""
    reasons: list[str] = []
    if not all(per_action):
        missing = [a for a, found in zip(REQUIRED_ACTIONS, per_action, strict=True) if not found]
        return [], [f"the trust policy does not allow {', '.join(missing)} for Roles Anywhere"]
    out: list[_Alternative] = []
    seen: set[frozenset[int]] = set()
    for combo in itertools.islice(itertools.product(*per_action), MAX_ALTERNATIVES):
        chosen = {s.index: s for s in combo}
        if frozenset(chosen) in seen:
            continue
        seen.add(frozenset(chosen))
        requirements: list[Requirement] = []
        closed = None
        for statement in chosen.values():
            for clause in statement.clauses:
                verdict = _fixed_verdict(clause, fixed, dropped)
                if verdict is False:
                    closed = _closed_reason(statement, clause, dropped)
                    break
                if verdict is None:
                    requirements.append(Requirement(clause, False, statement.index))
            if closed:
                break
        if closed:
            reasons.append(closed)
            continue
        branches: list[list[Requirement]] = [requirements]
        for deny in denies:
            live: list[Clause] = []
            inert = False
            for clause in deny.clauses:
                verdict = _fixed_verdict(clause, fixed, dropped)
                if verdict is False:
                    inert = True
                    break
                if verdict is None:
                    live.append(clause)
            if inert:
                continue
            if not live:
                branches = []
                reasons.append(f"statement {deny.index + 1} denies every certificate on this path")
                break
            branches = [
                [*branch, Requirement(clause, True, deny.index)]
                for branch in branches
                for clause in live
            ][:MAX_ALTERNATIVES]
        out.extend(_Alternative(tuple(sorted(chosen)), b) for b in branches)
        if len(out) >= MAX_ALTERNATIVES:
            break
    return out[:MAX_ALTERNATIVES], reasons


def _closed_reason(statement: CompiledStatement, clause: Clause, dropped: frozenset[str]) -> str:
    where = f"statement {statement.index + 1}"
    if clause.key in dropped:
        return (
            f"{where} requires {attribute_name(clause.key, clause.key_as_written)}, which the "
            "profile's attribute mapping drops"
        )
    if clause.key in IP_KEYS:
        return (
            f"{where} conditions on {clause.key_as_written}, which never matches: the caller is "
            "the Roles Anywhere service, not the workload"
        )
    return (
        f"{where}: {clause.operator.name} {clause.key_as_written} does not admit this trust anchor"
    )


# --- witnesses ----------------------------------------------------------------------------------


def _witness(pattern: str) -> str:
    return pattern.replace("*", "rafix").replace("?", "r")


def _literal_candidates(clause: Clause) -> Iterator[str]:
    if not clause.operator.known or clause.operator.base == "Null":
        return
    for value in clause.values:
        if clause.uses_variables and has_variables(value):
            continue
        if has_wildcard(value) and "Like" in clause.operator.base:
            yield _witness(value)
        yield value
        if "IgnoreCase" in clause.operator.base:
            yield value.swapcase()


#: Candidate "whatever the ${...} binding on this key resolves to" (IAM refuses control
#: characters in policies, so no literal can equal it).
_BOUND = "\x00bound\x00"

#: The candidate key that stands for the certificate's CN in witnesses (sts:SourceIdentity is
#: derived from it, so the two are searched together).
_CN = TAG + "x509subject/cn"


def witness_domains(
    requirements: Sequence[Requirement], dropped: frozenset[str]
) -> dict[str, list[str | None]]:
    """Candidate values per request key for a witness search."""
    literals: dict[str, list[str]] = {}
    bound = {r.key for r in requirements if r.clause.uses_variables and not r.negated}
    for req in requirements:
        keys = [req.key, *(k for v in req.clause.values for k in variable_keys(v))]
        for key in keys:
            literals.setdefault(key, [])
        bucket = literals.setdefault(req.key, [])
        for value in _literal_candidates(req.clause):
            if value not in bucket:
                bucket.append(value)
    if "sts:sourceidentity" in literals:
        cn = literals.setdefault(_CN, [])
        for value in literals.pop("sts:sourceidentity"):
            if value.startswith("CN=") and value[3:] not in cn:
                cn.append(value[3:])
        cn.append("x" * 62)  # a CN too long for CN=<cn>: the source identity is empty
    domains: dict[str, list[str | None]] = {}
    for key, values in literals.items():
        if key in FIXED_KEYS:
            continue
        if key in dropped or (key.startswith(TAG) and not is_cert_key(key)):
            # Dropped by the mapping, or a tag Roles Anywhere never sets: always absent.
            domains[key] = [None]
            continue
        domain: list[str | None] = [_BOUND] if key in bound else []
        domain += [FRESH, *values]
        if key not in ALWAYS_PRESENT:
            domain.append(None)
        domains[key] = domain
    return domains


def _context(
    choice: Mapping[str, str | None],
    fixed: Mapping[str, ContextValue],
    requirements: Sequence[Requirement] = (),
) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = dict(fixed)
    for key, value in choice.items():
        if value is not None and value != _BOUND:
            context[key] = value
    if "sts:sourceidentity" not in context:
        cn = choice.get(_CN)
        context["sts:sourceidentity"] = (
            "ID=00" if cn is None or cn == _BOUND else (f"CN={cn}" if len(cn) <= 61 else "")
        )
    for key, value in choice.items():
        if value == _BOUND:
            context[key] = _bound_value(key, context, requirements)
    return context


def _bound_value(
    key: str, context: Mapping[str, ContextValue], requirements: Sequence[Requirement]
) -> str:
    """A value the positive ``${...}`` clauses on ``key`` accept in this context."""
    from remediations.iam.evaluator import substitute

    for req in requirements:
        if req.key != key or req.negated or not req.clause.uses_variables:
            continue
        for value in req.clause.values:
            segments = substitute(value, context)
            if segments is not None:
                return "".join(t if literal else _witness(t) for t, literal in segments)
    return FRESH


def search_witness(
    requirements: Sequence[Requirement],
    domains: Mapping[str, list[str | None]],
    fixed: Mapping[str, ContextValue],
) -> dict[str, ContextValue] | None:
    """A request context meeting every requirement, or None. Per-key requirements filter each
    key's candidates first; then whole contexts are tried (bounded)."""
    by_key: dict[str, list[Requirement]] = {}
    cross: list[Requirement] = []
    for req in requirements:
        if req.clause.uses_variables or req.key == "sts:sourceidentity":
            cross.append(req)
        else:
            by_key.setdefault(req.key, []).append(req)
    filtered: dict[str, list[str | None]] = {}
    for key, domain in domains.items():
        reqs = by_key.get(key, [])
        kept = [
            v
            for v in domain
            if v == _BOUND or all(r.holds({} if v is None else {key: v}) for r in reqs)
        ]
        if not kept:
            return None
        filtered[key] = kept
    for key in by_key:
        # A key no candidate was built for (cannot happen; be safe).
        if key not in filtered and not all(r.holds({}) for r in by_key[key]):
            return None
    keys = list(filtered)
    base = {k: v[0] for k, v in filtered.items()}
    for choice in itertools.islice(
        itertools.chain(
            [base],
            ({**base, k: v} for k in keys for v in filtered[k][1:]),
            (
                dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(filtered[k] for k in keys))
            ),
        ),
        MAX_WITNESSES,
    ):
        context = _context(choice, fixed, requirements)
        if all(r.holds(context) for r in cross):
            return context
    return None


# --- constraints (the summary people read) ------------------------------------------------------


def summarise_constraints(
    requirements: Sequence[Requirement], domains: Mapping[str, list[str | None]]
) -> tuple[Constraint, ...]:
    by_key: dict[str, list[Requirement]] = {}
    for req in requirements:
        by_key.setdefault(req.key, []).append(req)
    out: list[Constraint] = []
    for key, reqs in by_key.items():
        name = attribute_name(key, reqs[0].clause.key_as_written)
        if any(r.clause.uses_variables for r in reqs):
            values = tuple(dict.fromkeys(v for r in reqs for v in r.clause.values))
            out.append(Constraint(name, values, (), False, binding=True))
            continue

        def holds(value: str | None, rs: list[Requirement] = reqs, k: str = key) -> bool:
            return all(r.holds({} if value is None else {k: value}) for r in rs)

        absent = key not in ALWAYS_PRESENT and holds(None)
        fresh = holds(FRESH)
        raw_values = list(
            dict.fromkeys(
                v for r in reqs if r.clause.operator.base != "Null" for v in r.clause.values
            )
        )

        def passes(value: str, h: Any = holds) -> bool:
            return bool(h(_witness(value) if has_wildcard(value) else value))

        if fresh:
            not_in = tuple(v for v in raw_values if not passes(v))
            if not not_in and absent:
                continue  # nothing this attribute could hold is refused
            out.append(Constraint(name, None if not_in or absent else ("*",), not_in, absent))
            continue
        one_of = tuple(v for v in raw_values if passes(v))
        not_in = tuple(v for v in raw_values if not passes(v) and _under(v, one_of))
        out.append(Constraint(name, one_of, not_in, absent))
    return tuple(sorted(out, key=lambda c: _ATTRIBUTE_ORDER.get(c.attribute, 99)))


def _under(value: str, patterns: Sequence[str]) -> bool:
    from remediations.iam.evaluator import wildcard_match

    return any(has_wildcard(p) and wildcard_match(p, value) for p in patterns)


_ATTRIBUTE_ORDER = {
    "x509Subject/CN": 0,
    "x509Subject/OU": 1,
    "x509Subject/O": 2,
    "x509SAN/URI": 3,
    "x509SAN/DNS": 4,
    "sts:SourceIdentity": 5,
    "x509Issuer/CN": 6,
}

#: Keys that identify the workload: a path with no requirement on them admits any certificate
#: (issuer requirements narrow the CA, not the workload: see :func:`admits_any_certificate`).
_WORKLOAD_PREFIXES = (TAG + "x509subject/", TAG + "x509san/")


def admits_any_certificate(
    requirements: Sequence[Requirement],
    domains: Mapping[str, list[str | None]],
    fixed: Mapping[str, ContextValue],
    issuer_cns: Sequence[str],
) -> bool:
    """A certificate that the trust policy never names gets in: some request whose workload
    attributes (subject, SANs, source identity) are all fresh or absent meets every
    requirement, with the issuer CN one of the anchor's issuing CAs when rafix knows them."""
    restricted: dict[str, list[str | None]] = {}
    for key, domain in domains.items():
        if key.startswith(_WORKLOAD_PREFIXES):
            restricted[key] = [v for v in domain if v is None or v in (FRESH, _BOUND)]
        elif key == TAG + "x509issuer/cn" and issuer_cns and domain != [None]:
            restricted[key] = list(issuer_cns)
        else:
            restricted[key] = domain
    return search_witness(requirements, restricted, fixed) is not None

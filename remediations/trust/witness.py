"""THE witness generator: requests and certificates that tell trust policies apart.

Every "admits"/"open" fact of a trust analysis, and every proof that a patch only narrows a
trust policy, is the evaluator's answer on a witness. For each condition key a policy mentions,
the candidates follow one set of rules: absent (when Roles Anywhere can leave the key out), a
fresh value the policy never names, every literal it names, a witness string for each wildcard
pattern (:func:`witness_string`), and nothing usable for IP keys (the caller is the service).

- :class:`Search` finds one request context a policy allows (the analysis' questions), trying
  a bounded number of candidate combinations, one dimension at a time.
- :func:`witnesses` enumerates certificates over the values two policies (and the intended
  workload) name, for the proofs that compare them (``proposals/safety.py``, role splits).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from remediations.iam.evaluator import (
    Clause,
    CompiledPolicy,
    CompiledStatement,
    ContextValue,
    Decision,
    compile_policy,
    has_variables,
    has_wildcard,
    substitute,
    variable_keys,
)
from remediations.trust.facts import RA_PRINCIPAL, CertificateContext, TrustAnalysis
from remediations.trust.keys import (
    ALWAYS_PRESENT,
    IP_KEYS,
    certificate_dimension,
    request_may_carry,
)

#: A value no policy names (the fresh candidate of a key).
FRESH = "rafix-unnamed-value"
DEFAULT_ANCHOR_PARTS = ("arn", "aws", "rolesanywhere", "us-east-1", "111122223333")

# --- witness contexts --------------------------------------------------------------------------


class _Bound:
    """Candidate value "whatever the ${...} binding of this key resolves to"."""

    def __repr__(self) -> str:
        return "BOUND"


BOUND = _Bound()
Candidate = str | None | _Bound


def witness_string(pattern: str) -> str:
    """A string a wildcard pattern matches but that the policy does not name."""
    return pattern.replace("*", "rafix").replace("?", "r")


def _clause_candidates(clause: Clause) -> Iterator[str]:
    base = clause.operator.base
    if base == "Null" or not clause.operator.known:
        return
    for value in clause.values:
        if clause.uses_variables and has_variables(value):
            continue
        if base == "IpAddress" or base == "NotIpAddress":
            yield value.split("/")[0]
        elif has_wildcard(value) and ("Like" in base or base.startswith("Arn")):
            yield witness_string(value)
            if base.startswith("String"):
                yield value
        else:
            yield value


class Search:
    """Witness-context search over the Roles Anywhere statements of one compiled policy."""

    #: Bounds that keep one analysis cheap on pathological documents.
    MAX_STATEMENT_COMBOS = 64
    MAX_CONTEXTS = 48

    def __init__(
        self,
        policy: CompiledPolicy,
        ra_allows: list[CompiledStatement],
        ra_denies: list[CompiledStatement],
    ) -> None:
        self.policy = policy
        self.allows = ra_allows
        self.has_denies = bool(ra_denies)
        relevant = [*ra_allows, *ra_denies]
        self.keys: dict[str, list[Candidate]] = {}
        self._by_key: dict[tuple[int, str], list[Clause]] = {}
        self._var_keys: set[str] = set()
        literals: dict[str, list[str]] = {}
        for statement in relevant:
            for clause in statement.clauses:
                self._by_key.setdefault((statement.index, clause.key), []).append(clause)
                bucket = literals.setdefault(clause.key, [])
                bucket.extend(v for v in _clause_candidates(clause) if v not in bucket)
                if clause.uses_variables:
                    self._var_keys.add(clause.key)
                    for ref in (k for v in clause.values for k in variable_keys(v)):
                        literals.setdefault(ref, [])
        self.fresh_anchor = _fresh_anchor(literals.get("aws:sourcearn", []))
        for key, values in literals.items():
            self.keys[key] = self._domain(key, values)
        self._accepted_cache: dict[tuple[int, str], list[Candidate]] = {}

    def _domain(self, key: str, values: list[str]) -> list[Candidate]:
        if key in IP_KEYS:
            # The caller is the Roles Anywhere service, never the workload: no usable IP.
            return [None]
        if not request_may_carry(key):
            return [None]
        # Fresh first: a witness that names nothing also answers the "open" questions.
        domain: list[Candidate] = [BOUND] if key in self._var_keys else []
        domain.append(self.fresh(key))
        domain.extend(values)
        if key not in ALWAYS_PRESENT:
            domain.append(None)
        return domain

    def fresh(self, key: str) -> str:
        if key == "aws:sourcearn":
            return self.fresh_anchor
        if key == "sts:sourceidentity":
            return "CN=" + FRESH
        return FRESH

    def restricted(self, dimension: str) -> dict[str, list[Candidate]]:
        """Candidates that name nothing the policy names, for one certificate dimension."""
        out: dict[str, list[Candidate]] = {}
        for key in self.keys:
            if dimension == "anchor" and key == "aws:sourcearn":
                out[key] = [self.fresh_anchor]
            elif dimension != "anchor" and certificate_dimension(key) == dimension:
                out[key] = [self.fresh(key)] + ([] if key in ALWAYS_PRESENT else [None])
        return out

    def find(
        self, actions: Sequence[str], restrict: Mapping[str, list[Candidate]] | None = None
    ) -> dict[str, ContextValue] | None:
        """A request context allowed every action in ``actions``, or None."""
        restrict = restrict or {}
        per_action = [[s for s in self.allows if s.covers_action(a)] for a in actions]
        if not all(per_action):
            return None
        seen: set[frozenset[int]] = set()
        for combo in itertools.islice(itertools.product(*per_action), self.MAX_STATEMENT_COMBOS):
            needed = {s.index: s for s in combo}
            if frozenset(needed) in seen:
                continue
            seen.add(frozenset(needed))
            candidates = self._candidates(list(needed.values()), restrict)
            if candidates is None:
                continue
            found = self._first_allowed(candidates, actions, list(needed.values()))
            if found is not None:
                return found
        return None

    def _candidates(
        self, statements: list[CompiledStatement], restrict: Mapping[str, list[Candidate]]
    ) -> dict[str, list[Candidate]] | None:
        out: dict[str, list[Candidate]] = {}
        for key in self.keys:
            kept = self._accepted(statements[0], key)
            for statement in statements[1:]:
                others = self._accepted(statement, key)
                kept = [v for v in kept if v in others]
            if key in restrict:
                kept = [v for v in kept if v in restrict[key]]
            if not kept:
                return None
            out[key] = kept
        return out

    def _accepted(self, statement: CompiledStatement, key: str) -> list[Candidate]:
        """The candidates of a key that a statement's clauses on it accept (cached).

        Clauses with ``${...}`` bindings are left to the whole-request evaluation.
        """
        cache_key = (statement.index, key)
        cached = self._accepted_cache.get(cache_key)
        if cached is not None:
            return cached
        clauses = [c for c in self._by_key.get(cache_key, ()) if not c.uses_variables]
        domain = self.keys[key]
        if clauses:
            domain = [
                v
                for v in domain
                if isinstance(v, _Bound)
                or all(c.matches({} if v is None else {key: v}) for c in clauses)
            ]
        self._accepted_cache[cache_key] = domain
        return domain

    def _first_allowed(
        self,
        candidates: dict[str, list[Candidate]],
        actions: Sequence[str],
        statements: list[CompiledStatement],
    ) -> dict[str, ContextValue] | None:
        keys_interact = self.has_denies or any(
            c.uses_variables for s in statements for c in s.clauses
        )
        for choice in itertools.islice(_one_at_a_time(candidates), self.MAX_CONTEXTS):
            context = self._materialize(choice)
            if not keys_interact:
                return context  # every clause is per-key and the filter passed them all
            if all(
                self.policy.evaluate(action=a, principal=RA_PRINCIPAL, context=context)
                is Decision.ALLOW
                for a in actions
            ):
                return context
        return None

    def _materialize(self, choice: Mapping[str, Candidate]) -> dict[str, ContextValue]:
        context: dict[str, ContextValue] = {k: v for k, v in choice.items() if isinstance(v, str)}
        for key, value in choice.items():
            if isinstance(value, _Bound):
                context[key] = self._bound_value(key, context)
        return context

    def _bound_value(self, key: str, context: Mapping[str, ContextValue]) -> str:
        for (_, clause_key), clauses in self._by_key.items():
            if clause_key != key:
                continue
            for clause in clauses:
                if clause.uses_variables and clause.operator.positive:
                    for value in clause.values:
                        segments = substitute(value, context)
                        if segments is not None:
                            return "".join(
                                t if literal else witness_string(t) for t, literal in segments
                            )
        return FRESH


def _one_at_a_time(candidates: Mapping[str, list[Candidate]]) -> Iterator[dict[str, Candidate]]:
    """The first candidate of every key, then each alternative of one key at a time, then
    every combination (the caller bounds how many it takes)."""
    base = {k: v[0] for k, v in candidates.items()}
    yield base
    for key, values in candidates.items():
        for value in values[1:]:
            yield {**base, key: value}
    keys = list(candidates)
    for combination in itertools.product(*(candidates[k] for k in keys)):
        yield dict(zip(keys, combination, strict=True))


def _fresh_anchor(named: Iterable[str]) -> str:
    """A trust-anchor ARN in the partition/region/account the policy names, with a new ID."""
    parts = list(DEFAULT_ANCHOR_PARTS)
    for value in named:
        pieces = value.split(":")
        if len(pieces) >= 6 and pieces[2] == "rolesanywhere":
            for i in (1, 3, 4):
                if pieces[i] and not has_wildcard(pieces[i]) and not has_variables(pieces[i]):
                    parts[i] = pieces[i]
            break
    return ":".join(parts) + ":trust-anchor/00000000-0000-4000-8000-rafixunnamed"


# --- witness certificates (proofs that compare policies) -----------------------------------------

#: The fresh value of a certificate witness, and the anchor an attacker could create later.
CERTIFICATE_FRESH = "rafix-witness"
ROGUE_ANCHOR = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/x"
MAX_WITNESSES = 3000


def _dimensions(
    analyses: Sequence[TrustAnalysis],
    intended: dict[str, list[str]],
    anchors: Iterable[str],
    evaluated: Sequence[dict[str, Any]] = (),
    known: Sequence[TrustAnalysis] = (),
) -> dict[str, list[str | None]]:
    """Candidate values per request key: absent, a fresh value, and every value the policies
    name (a matching witness for each wildcard pattern)."""
    dims: dict[str, list[str | None]] = {"aws:sourcearn": []}
    for analysis in analyses:
        for use in analysis.conditions:
            key = use.key.lower()
            if use.category == "ip":
                # The caller is Roles Anywhere: the workload's address never reaches the trust,
                # so an IP key is modelled as one value outside every range (here: absent).
                dims[key] = [None]
                continue
            if key == "sts:sourceidentity":
                key = "aws:principaltag/x509subject/cn"
            candidates = dims.setdefault(key, [None, CERTIFICATE_FRESH])
            for value in use.values:
                if "${" in value:
                    if key == "sts:rolesessionname":
                        candidates.append("$cn")
                    continue
                value = (
                    value.removeprefix("CN=") if use.key.lower() == "sts:sourceidentity" else value
                )
                candidates.append(witness_string(value))
    for key, wanted in intended.items():
        full = "aws:sourcearn" if key == "source_arn" else f"aws:principaltag/{key}"
        dims.setdefault(full, [None, CERTIFICATE_FRESH]).extend(wanted)
    named: list[str | None] = [
        a for a in dims["aws:sourcearn"] if a not in (None, CERTIFICATE_FRESH)
    ]
    named += list(anchors)
    # A trust anchor created later (by an attacker) in the same account and region.
    model = next((a for a in named if a and a.count(":") >= 5), ROGUE_ANCHOR)
    named.append(model.rsplit("/", 1)[0] + "/rafix-rogue-anchor")
    # An evaluated document that is an analysis' own (or a ``known`` one's) is compiled once.
    own = {id(a.document): a for a in (*analyses, *known)}
    dims["aws:sourcearn"] = _anchor_classes(
        list(dict.fromkeys(named)),
        (
            *(a.policy() for a in analyses),
            *(own[id(d)].policy() if id(d) in own else compile_policy(d) for d in evaluated),
        ),
        intended.get("source_arn", ()),
    )
    return {k: list(dict.fromkeys(v)) for k, v in dims.items()}


def _anchor_classes(
    anchors: list[str | None], policies: Iterable[CompiledPolicy], intended: Sequence[str]
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
    clauses = [c for policy in policies for s in policy.statements for c in s.clauses]
    if any(
        not c.key or (c.uses_variables and "${aws:source" in repr(c.values).lower())
        for c in clauses
    ):
        return anchors  # malformed, or a variable that copies the anchor: keep every one
    # Equal clauses answer alike: each is asked once per anchor, and once per plan for the
    # same anchors (the proofs of one role's fixes share their anchor clauses).
    relevant = tuple(dict.fromkeys(c for c in clauses if c.key in _ANCHOR_KEYS))
    memo_key = (tuple(anchors), relevant, tuple(intended))
    known = _CLASSES.get(memo_key)
    if known is not None:
        return list(known)
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
    if len(_CLASSES) >= 4096:
        _CLASSES.clear()
    _CLASSES[memo_key] = tuple(kept)
    return kept


_ANCHOR_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})
#: The classes of the same anchors under the same clauses (bounded; cleared when full).
_CLASSES: dict[tuple[Any, ...], tuple[str | None, ...]] = {}


def witness_space(
    original: TrustAnalysis,
    patched: TrustAnalysis,
    intended: dict[str, list[str]],
    anchors: Iterable[str] = (),
) -> int | None:
    """How many witnesses :func:`witnesses` tries when it tries them all; None when it would
    only sample them (so "none of them" proves nothing)."""
    dims = _dimensions((original, patched), intended, anchors)
    total = 1
    for values in dims.values():
        total *= len(values)
    return total if total <= MAX_WITNESSES else None


def witness_dimensions(
    original: TrustAnalysis,
    patched: TrustAnalysis,
    intended: dict[str, list[str]],
    anchors: Iterable[str] = (),
    *,
    evaluated: Sequence[dict[str, Any]] = (),
    known: Sequence[TrustAnalysis] = (),
) -> dict[str, list[str | None]]:
    """The candidate values per request key that :func:`witnesses` combines, keys in the
    order it combines them (its witnesses are their product, or a sample of it)."""
    dims = _dimensions((original, patched), intended, anchors, evaluated, known)
    return {key: dims[key] for key in sorted(dims)}


def witnesses(
    original: TrustAnalysis,
    patched: TrustAnalysis,
    intended: dict[str, list[str]],
    anchors: Iterable[str] = (),
    *,
    evaluated: Sequence[dict[str, Any]] = (),
) -> Iterator[CertificateContext]:
    """Witness certificates over the values both policies name (bounded, deterministic);
    ``original`` and ``patched`` are their analyses (:func:`remediations.trust.analyze_trust`).

    ``evaluated``: other policies the caller judges the witnesses by (their treatment of
    trust anchors is respected when equivalent anchors are merged).
    """
    dims = _dimensions((original, patched), intended, anchors, evaluated)
    keys = sorted(dims)
    total = 1
    for key in keys:
        total *= len(dims[key])
    if total <= MAX_WITNESSES:
        combos: Iterable[tuple[str | None, ...]] = itertools.product(*(dims[k] for k in keys))
    else:
        rng = random.Random(0)
        intended_combo = tuple(intended_value(k, dims[k], intended) for k in keys)
        combos = itertools.chain(
            [intended_combo],
            (tuple(rng.choice(dims[k]) for k in keys) for _ in range(MAX_WITNESSES)),
        )
    build = certificate_builder(keys)
    seen: set[tuple[str | None, ...]] = set()
    for combo in combos:
        if combo in seen:
            continue  # a sampled repeat: its verdicts are those already checked
        seen.add(combo)
        yield build(combo)


def is_intended(cert: CertificateContext, intended: dict[str, list[str]]) -> bool:
    """Whether the certificate carries the intended workload's values."""
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


def intended_value(
    key: str, options: list[str | None], intended: dict[str, list[str]]
) -> str | None:
    short = "source_arn" if key == "aws:sourcearn" else key.removeprefix("aws:principaltag/")
    if short in intended:
        return intended[short][0]
    return next((o for o in options if o not in (None, CERTIFICATE_FRESH)), options[0])


def certificate_builder(
    keys: Sequence[str],
) -> Callable[[tuple[str | None, ...]], CertificateContext]:
    """:func:`_certificate` for combos of values of ``keys``, with where each key goes worked
    out once (a proof builds thousands of witnesses over the same keys)."""
    slots: list[tuple[str, str]] = []
    for key in keys:
        if key in ("aws:sourcearn", "sts:rolesessionname"):
            slots.append((key, ""))
            continue
        tail = key.removeprefix("aws:principaltag/")
        field_name, _, rdn = tail.partition("/")
        if field_name in ("x509subject", "x509issuer", "x509san") and key.startswith(
            "aws:principaltag/"
        ):
            slots.append((field_name, rdn.upper() if field_name != "x509san" else _san_name(rdn)))
        else:
            slots.append(("extra", key))

    def build(combo: tuple[str | None, ...]) -> CertificateContext:
        fields: dict[str, dict[str, Any]] = {
            "x509subject": {},
            "x509issuer": {},
            "x509san": {},
            "extra": {},
        }
        source_arn = ""
        session: str | None = None
        for (where, name), value in zip(slots, combo, strict=True):
            if where == "aws:sourcearn":
                source_arn = value or ""
            elif where == "sts:rolesessionname":
                session = value
            elif where == "extra":
                fields["extra"][name] = value
            elif value is not None:
                fields[where][name] = value
        if session == "$cn":
            session = fields["x509subject"].get("CN")
        return CertificateContext(
            source_arn=source_arn,
            subject=fields["x509subject"],
            issuer=fields["x509issuer"],
            san=fields["x509san"],
            role_session_name=session,
            extra=fields["extra"],
        )

    return build


def _certificate(values: dict[str, str | None]) -> CertificateContext:
    """The witness certificate with these request values (lower-case keys)."""
    return certificate_builder(list(values))(tuple(values.values()))


def _san_name(rdn: str) -> str:
    if rdn.lower().startswith("name/"):
        return "Name/" + rdn[5:].upper()
    return rdn.upper()

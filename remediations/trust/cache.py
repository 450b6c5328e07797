"""The process-wide cache of trust analyses, by document and by document shape.

Accounts repeat trust policies: every Lambda role, every role of one Terraform module with only
the pinned CN changing. :func:`analyze_trust` looks a document up verbatim, then by its shape
(certificate-attribute literals, and the literal text of CN patterns, replaced by
placeholders), and rebinds a shared analysis to the document's own values, so a scan of
thousands of roles stays close to parse time.
:func:`clear_cache` empties it (tests, long-lived processes).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from remediations.iam.evaluator import (
    has_variables,
    has_wildcard,
    variable_keys,
    wildcard_match,
)
from remediations.shortcuts import shortcuts_on
from remediations.trust.analysis import analyze_uncached
from remediations.trust.facts import ConditionUse, TrustAnalysis
from remediations.trust.witness import FRESH

#: Analyses by document shape. Accounts repeat trust policies: every Lambda role, and every
#: role of one Terraform module with only the pinned CN changing. The key is the document with
#: certificate-attribute literals replaced by placeholders (see :func:`_abstract`), so roles
#: that differ only in which CN/OU/issuer they pin share one search; the scan must stay close
#: to parse time on accounts of thousands of roles.
_CACHE: dict[str, TrustAnalysis] = {}
#: Final analyses by the ``repr`` of the document (JSON values only: equal reprs are equal
#: documents, key order included). Most roles of an account share their trust policy verbatim
#: (every Lambda role, every copy of one module), and a hit skips even the renaming.
_EXACT: dict[str, TrustAnalysis] = {}
_CACHE_LIMIT = 4096
#: Placeholders cannot occur in real policies (IAM refuses control characters).
_TOKEN = "\x00rafix{}\x00"
#: Operators under which a literal only ever meets other values through exact equality, so
#: renaming it consistently cannot change any verdict.
_ABSTRACTABLE_OPERATORS = frozenset(
    {
        "stringequals",
        "stringnotequals",
        "stringlike",
        "stringnotlike",
        # IfExists changes only what an absent key does, not how present values compare.
        "stringequalsifexists",
        "stringnotequalsifexists",
        "stringlikeifexists",
        "stringnotlikeifexists",
    }
)
#: Operators under which aws:SourceArn literals may be renamed (see _source_arns_renamable).
_SOURCE_ARN_OPERATORS = frozenset({"arnequals", "arnlike", "stringequals", "stringlike"})
_ABSTRACTABLE_PREFIXES = (
    "aws:principaltag/x509subject/",
    "aws:principaltag/x509issuer/",
    "aws:principaltag/x509san/",
)


def analyze_trust(document: dict[str, Any]) -> TrustAnalysis:
    """Analyse a parsed trust policy. Never raises on odd shapes: unknown parts are ignored.

    Documents that differ only in the certificate values they pin share one analysis; the
    caller gets it back with its own values and its own ``document``.
    """
    if not isinstance(document, dict):
        document = {}
    if plainly_not_ra(document):
        return _not_ra(document)  # cheaper than the exact-repeat lookup below
    try:
        exact = repr(document)
    except RecursionError:
        return analyze_uncached(document)
    same = _EXACT.get(exact)
    if same is not None:
        return _rebind(same, document, {})
    analysis = _analyze_shape(document)
    if len(_EXACT) >= _CACHE_LIMIT:
        _EXACT.clear()
    _EXACT[exact] = analysis
    return analysis


def _analyze_shape(document: dict[str, Any]) -> TrustAnalysis:
    """The analysis of a document not seen before (and not :func:`plainly_not_ra`), shared
    with documents of its shape."""
    abstract, names = _abstract(document)
    abstract, had_sids = _without_sids(abstract)
    try:
        text = json.dumps(abstract, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return analyze_uncached(document)
    cached = _CACHE.get(text)
    if cached is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[text] = analyze_uncached(abstract)
    rebound = _rebind(cached, document, names)
    if had_sids:
        # Sids name statements and change no verdict: each document gets its own back, and
        # its own compiled policy (the shared one was compiled without them).
        rebound.__dict__["statement_sids"] = _statement_sids(document)
        rebound.__dict__["compiled"] = None
    return rebound


def _without_sids(document: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The document without its statements' Sids (and whether it had any)."""
    statement_value = document.get("Statement")
    items = statement_value if isinstance(statement_value, list) else [statement_value]
    if not any(isinstance(st, dict) and "Sid" in st for st in items):
        return document, False

    def strip(st: Any) -> Any:
        if isinstance(st, dict) and "Sid" in st:
            return {k: v for k, v in st.items() if k != "Sid"}
        return st

    stripped = [strip(st) for st in items]
    return {
        **document,
        "Statement": stripped if isinstance(statement_value, list) else stripped[0],
    }, True


def _statement_sids(document: dict[str, Any]) -> dict[int, str | None]:
    """Statement Sids by index, as :func:`remediations.iam.evaluator.compile_policy` reads them."""
    statement_value = document.get("Statement")
    if statement_value is None:
        return {}
    items = statement_value if isinstance(statement_value, list) else [statement_value]
    return {
        index: sid if isinstance(sid := st.get("Sid"), str) else None
        for index, st in enumerate(items)
        if isinstance(st, dict)
    }


def plainly_not_ra(document: dict[str, Any]) -> bool:
    """True when no statement can concern Roles Anywhere: no RA or wildcard principal, no
    NotPrincipal, and no x509 condition (which would make it part of a certificate chain)."""
    statement_value = document.get("Statement")
    statement_list = statement_value if isinstance(statement_value, list) else [statement_value]
    for statement in statement_list:
        if not isinstance(statement, dict) or "NotPrincipal" in statement:
            return False
        principal = statement.get("Principal")
        if not isinstance(principal, dict):
            return False  # "*" or an odd shape: let the evaluator decide
        for value in principal.values():
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str) or item == "*" or "rolesanywhere" in item.lower():
                    return False
        condition = statement.get("Condition")
        if condition is not None:
            if not isinstance(condition, dict):
                return False
            for block in condition.values():
                if not isinstance(block, dict):
                    return False
                if _mentions_x509(block):
                    return False
    return True


def _mentions_x509(value: Any) -> bool:
    """Some key or string in the value names x509 (in any case)."""
    if isinstance(value, str):
        return "x509" in value.lower()
    if isinstance(value, dict):
        return any(_mentions_x509(k) or _mentions_x509(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions_x509(v) for v in value)
    return False


def _not_ra(document: dict[str, Any]) -> TrustAnalysis:
    """The analysis of a document :func:`plainly_not_ra` cleared, without a search: only
    the other principals and Sids vary (no x509 condition binds any of them)."""
    statement_value = document.get("Statement")
    statement_list = statement_value if isinstance(statement_value, list) else [statement_value]
    labels: dict[str, None] = {}
    sids: dict[int, str | None] = {}
    for index, statement in enumerate(statement_list):
        sid = statement.get("Sid")
        sids[index] = sid if isinstance(sid, str) else None
        if statement.get("Effect") != "Allow":
            continue
        for kind, value in statement["Principal"].items():
            for item in value if isinstance(value, list) else [value]:
                labels[f"{kind}:{item}"] = None
    analysis = object.__new__(TrustAnalysis)
    analysis.__dict__.update(_NOT_RA_TEMPLATE.__dict__)
    analysis.__dict__.update(document=document, other_principals=tuple(labels), statement_sids=sids)
    return analysis


def _abstract(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The document with certificate-attribute literals renamed to placeholders.

    Renaming is consistent (one placeholder per distinct literal text) and applies to values
    under exact-match string operators on x509 keys (and plain trust-anchor ARNs): plain
    literals, and the literal text of a key's one wildcard pattern (``app-7-*.corp`` becomes
    ``<0>*<1>``, so every role's own CN pattern shares one analysis); never to the keys that
    ``${...}`` variables hold or read. Returns the abstract document and placeholder ->
    value; the document itself when nothing can be renamed.
    """
    statement_value = document.get("Statement")
    if not isinstance(statement_value, (list, dict)):
        return document, {}
    facts = _condition_facts(statement_value)
    if facts is None:
        return document, {}
    source_arns, patterns, literals, fixed = facts
    names: dict[str, str] = {}
    tokens: dict[str, str] = {}

    def token(value: str) -> str:
        found = tokens.get(value)
        if found is None:
            found = tokens[value] = _TOKEN.format(len(tokens))
            names[found] = value
        return found

    def renamable(operator: str, key: str) -> bool:
        if key == "aws:sourcearn":
            return source_arns and operator in _SOURCE_ARN_OPERATORS
        return operator in _ABSTRACTABLE_OPERATORS and key.startswith(_ABSTRACTABLE_PREFIXES)

    def literal_renamable(key: str, value: Any) -> bool:
        return (
            isinstance(value, str)
            and not has_wildcard(value)
            and _RESERVED not in value
            and not any(wildcard_match(p, value) or _may_match_token(p) for p in patterns[key])
        )

    abstract_patterns: dict[tuple[str, str], str | None] = {}

    def abstract_pattern(key: str, pattern: str) -> str | None:
        """The pattern with its literal text renamed (see :func:`_pattern_renamable`)."""
        found = abstract_patterns.get((key, pattern), "")
        if found == "":
            found = None
            if _pattern_renamable(pattern, patterns[key], literals[key]):
                found = "".join(
                    piece if piece in ("", "*", "?") else token(piece)
                    for piece in _WILDCARDS.split(pattern)
                )
                names[found] = pattern
            abstract_patterns[(key, pattern)] = found
        return found

    def rename_one(key: str, value: Any) -> Any:
        if literal_renamable(key, value):
            return token(value)
        if isinstance(value, str) and has_wildcard(value):
            abstract = abstract_pattern(key, value)
            if abstract is not None:
                return abstract
        return value

    def rename(key: str, value: Any) -> Any:
        if key in fixed:
            return value
        if isinstance(value, list):
            return [rename_one(key, v) for v in value]
        return rename_one(key, value)

    def statement(stmt: Any) -> Any:
        if not isinstance(stmt, dict) or not isinstance(stmt.get("Condition"), dict):
            return stmt
        condition = {}
        for operator, block in stmt["Condition"].items():
            if isinstance(block, dict):
                op = str(operator).lower()
                block = {
                    key: rename(str(key).lower(), value)
                    if renamable(op, str(key).lower())
                    else value
                    for key, value in block.items()
                }
            condition[operator] = block
        return {**stmt, "Condition": condition}

    if isinstance(statement_value, list):
        abstract_statements: Any = [statement(s) for s in statement_value]
    else:
        abstract_statements = statement(statement_value)
    if not names:
        return document, {}
    return {**document, "Statement": abstract_statements}, names


#: Text the witness search builds its own values from: a literal holding it is never renamed.
_RESERVED = "rafix"
#: The characters of a placeholder (``_TOKEN``).
_TOKEN_CHARACTERS = frozenset("\x00rafix0123456789")


def _condition_facts(
    statement_value: Any,
) -> tuple[bool, dict[str, list[str]], dict[str, list[str]], set[str]] | None:
    """What :func:`_abstract` needs to know of the conditions, in one pass over them: None when
    renaming is unsafe (:func:`_renaming_unsafe`), else whether aws:SourceArn literals may be
    renamed (:func:`_source_arns_renamable`) and the key relations (:func:`_key_relations`)
    under the renaming rules of :func:`_abstract`. The three functions say what each part
    means; they stay the plain path (``plain_paths()``)."""
    if not shortcuts_on():
        if _renaming_unsafe(statement_value):
            return None
        source_arns = _source_arns_renamable(statement_value)

        def renamable(operator: str, key: str) -> bool:
            if key == "aws:sourcearn":
                return source_arns and operator in _SOURCE_ARN_OPERATORS
            return operator in _ABSTRACTABLE_OPERATORS and key.startswith(_ABSTRACTABLE_PREFIXES)

        return source_arns, *_key_relations(statement_value, renamable)
    patterns: dict[str, list[str]] = defaultdict(list)
    literals: dict[str, list[str]] = defaultdict(list)
    fixed: set[str] = set()
    source_arns = True
    source_arn_seen = False
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for operator, block in condition.items():
            if not isinstance(block, dict):
                return None  # odd shape: do not rename anything
            op = str(operator).lower()
            for key, value in block.items():
                lowered = str(key).lower()
                if lowered == "sts:sourceidentity":
                    return None
                items = value if isinstance(value, list) else [value]
                if lowered == "aws:sourcearn":
                    source_arn_seen = True
                    if op not in _SOURCE_ARN_OPERATORS:
                        source_arns = False
                elif not (
                    op in _ABSTRACTABLE_OPERATORS and lowered.startswith(_ABSTRACTABLE_PREFIXES)
                ):
                    fixed.add(lowered)
                for item in items:
                    if not isinstance(item, str):
                        return None
                    if has_variables(item):
                        fixed.add(lowered)
                        fixed.update(variable_keys(item))
                    if has_wildcard(item):
                        patterns[lowered].append(item)
                        if lowered == "aws:sourcearn":
                            source_arns = False
                    else:
                        literals[lowered].append(item)
    if source_arn_seen and not source_arns:
        fixed.add("aws:sourcearn")
    return source_arns, patterns, literals, fixed


def _key_relations(
    statement_value: Any, renamable: Callable[[str, str], bool]
) -> tuple[dict[str, list[str]], dict[str, list[str]], set[str]]:
    """Per condition key (lower-case): its wildcard patterns and its other values, and the keys
    whose values must keep their text: one of their clauses is not renamed (another operator
    compares them otherwise, e.g. ignoring case), or a ``${...}`` variable holds or reads them
    (the search builds one key's value from another's).

    A literal renamed to a placeholder must stand in the same relation to every pattern of its
    key as before (``StringEquals CN=prod-x`` beside ``StringLike CN=prod-*`` in a Deny): so
    a literal that one of them matches, or beside a pattern that could match a placeholder,
    keeps its text.
    """
    patterns: dict[str, list[str]] = defaultdict(list)
    literals: dict[str, list[str]] = defaultdict(list)
    fixed: set[str] = set()
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for operator, block in condition.items():
            for key, value in block.items() if isinstance(block, dict) else ():
                lowered = str(key).lower()
                if not renamable(str(operator).lower(), lowered):
                    fixed.add(lowered)
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str):
                        continue
                    if has_variables(item):
                        fixed.add(lowered)
                        fixed.update(variable_keys(item))
                    (patterns if has_wildcard(item) else literals)[lowered].append(item)
    return patterns, literals, fixed


#: Splits a pattern into its literal text and its wildcards (kept).
_WILDCARDS = re.compile(r"([*?])")


def _pattern_renamable(pattern: str, patterns: list[str], literals: list[str]) -> bool:
    """Whether a wildcard pattern may have its literal text renamed to placeholders (a CN
    pattern that names its own workload, ``app-7-*.team-3.corp``).

    Only the key's one pattern (two patterns may overlap), with some literal text, no reserved
    text, and matching neither the search's fresh value nor any other value of the key: then
    it matches exactly the values it matched before (its witness, itself) and none of the
    others (a placeholder in the pattern never occurs in them), whatever its text said.
    """
    return (
        all(p == pattern for p in patterns)
        and any(c not in "*?" for c in pattern)
        and _RESERVED not in pattern
        and not wildcard_match(pattern, FRESH)
        and not any(wildcard_match(pattern, v) for v in literals)
    )


def _may_match_token(pattern: str) -> bool:
    """Whether a wildcard pattern could match some placeholder (all its literal characters
    are ones a placeholder is made of)."""
    return set(pattern.replace("*", "").replace("?", "")) <= _TOKEN_CHARACTERS


def _source_arns_renamable(statement_value: Any) -> bool:
    """Whether the document's aws:SourceArn literals can be renamed like certificate values.

    Only when every aws:SourceArn value is a plain literal under an exact positive operator:
    the search then compares them with its candidates by equality alone. A pattern anywhere
    makes the fresh anchor (built from the partition, region and account the named ARNs
    spell) matter, and a negated or case-insensitive operator compares them otherwise.
    """
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for operator, block in condition.items():
            for key, value in block.items() if isinstance(block, dict) else ():
                if str(key).lower() != "aws:sourcearn":
                    continue
                if str(operator).lower() not in _SOURCE_ARN_OPERATORS:
                    return False
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str) or has_wildcard(item):
                        return False
    return True


def _renaming_unsafe(statement_value: Any) -> bool:
    """Whether literals may be related across keys in ways renaming could break:
    ``sts:SourceIdentity`` (``CN=x`` names the same workload as CN x). (The keys ``${...}``
    variables hold or read keep their values: see :func:`_key_relations`.)"""
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for block in condition.values():
            if not isinstance(block, dict):
                return True  # odd shape: do not rename anything
            for key, value in block.items():
                if str(key).lower() == "sts:sourceidentity":
                    return True
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str):
                        return True
    return False


def _rebind(
    analysis: TrustAnalysis, document: dict[str, Any], names: dict[str, str]
) -> TrustAnalysis:
    """A copy of a (shared) analysis for one caller: its document, its literals."""
    if not names:  # the common case (a verbatim repeat): one dict copy
        copy = object.__new__(TrustAnalysis)
        copy.__dict__.update(analysis.__dict__)
        copy.__dict__["document"] = document
        return copy
    values: dict[str, Any] = dict(analysis.__dict__)
    values["document"] = document

    def real(value: str) -> str:
        return names.get(value, value)

    def uses(items: tuple[ConditionUse, ...]) -> tuple[ConditionUse, ...]:
        return tuple(
            ConditionUse(
                u.statement_index,
                u.effect,
                u.operator,
                u.key,
                tuple(real(v) for v in u.values),
                u.category,
            )
            if any(v in names for v in u.values)
            else u
            for u in items
        )

    values["pinned_subjects"] = {
        k: frozenset(real(v) for v in vs) for k, vs in analysis.pinned_subjects.items()
    }
    values["pinned_source_arns"] = frozenset(real(v) for v in analysis.pinned_source_arns)
    for name in ("subject_wildcards", "issuer_wildcards"):
        values[name] = tuple((k, real(v)) for k, v in values[name])
    values["source_arn_wildcards"] = tuple(real(v) for v in analysis.source_arn_wildcards)
    for name in (
        "conditions",
        "fail_open_conditions",
        "for_any_value_conditions",
        "ip_conditions",
    ):
        values[name] = uses(values[name])
    values["compiled"] = None  # compiled from the abstract document: recompile on demand
    rebound = object.__new__(TrustAnalysis)
    rebound.__dict__.update(values)
    return rebound


_NOT_RA_TEMPLATE = analyze_uncached({"Version": "2012-10-17", "Statement": []})


def clear_cache() -> None:
    """Forget every cached analysis (both the verbatim and the by-shape tables)."""
    _CACHE.clear()
    _EXACT.clear()


def shapes_cached() -> int:
    """How many document shapes have an analysis in the cache."""
    return len(_CACHE)

"""Who can assume each role from the internet: the access map (CA -> trust anchor -> profile ->
role), and the reverse question (which roles does this certificate reach?).

Everything here is derived from the IAM evaluator's own compiled statements and clauses
(:mod:`remediations.iam.evaluator`), never from a second reading of policy text:

- A *path* is one enabled profile listing the role and one enabled trust anchor of the same
  account and region. On it ``aws:SourceArn`` and ``aws:SourceAccount`` are fixed, and the
  certificate attributes that the profile's attribute mapping drops are absent.
- IAM needs ``sts:AssumeRole``, ``sts:TagSession`` and ``sts:SetSourceIdentity`` each allowed
  by some Allow statement, and no Deny on any of them (FINDINGS 3.4 rule 1). So each way in is
  one Allow statement per action (their conditions ANDed) minus every applicable Deny; a Deny
  whose conditions still depend on the certificate contributes the negation of one of its
  clauses (NOT (a AND b) = NOT a OR NOT b), which splits the way in into *alternatives*
  (:mod:`.alternatives`).
- Each alternative keeps its exact :class:`Requirement` list (clause, negated?): the map
  answers "does this certificate get in?" by evaluating those clauses, and tests check that
  answer against :func:`remediations.iam.evaluator.evaluate` for all three actions. The
  ``constraints`` shown to people (and in ``rafix access --format json``) summarise the
  requirements per attribute: the values or IAM patterns it must equal one of, or
  ``{"not": [...]}``.
- Whether an alternative can be met at all, and whether it admits any certificate, is decided
  on witness values (every literal the clauses name, a string for each pattern, a fresh value,
  and absence), the same method as :mod:`remediations.trust`.

The parts: :mod:`.model` (typed data), :mod:`.certificates` (distinguished names, certificates,
attribute mappings), :mod:`.alternatives` (the ways in of one path, their witnesses and
constraints), :mod:`.build` (roles, the map, the reverse question, role chaining). Pure
functions over an :class:`~remediations.model.Inventory`; nothing here talks to AWS.
"""

from __future__ import annotations

from remediations.access.build import (
    anchor_info,
    build_access_map,
    granted_services,
    narrow,
    reverse,
    role_paths,
)
from remediations.access.certificates import (
    dropped_by_mapping,
    parse_dn,
    query_from_certificate,
)
from remediations.access.model import (
    MAX_ALTERNATIVES,
    MAX_WITNESSES,
    PQC_KEY_ALGORITHMS,
    SCHEMA,
    AccessMap,
    AccessMatch,
    AccessPath,
    AnchorInfo,
    CertificateQuery,
    ChainLink,
    Constraint,
    Requirement,
    RoleAccess,
    SessionScope,
    path_context,
)

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_WITNESSES",
    "PQC_KEY_ALGORITHMS",
    "SCHEMA",
    "AccessMap",
    "AccessMatch",
    "AccessPath",
    "AnchorInfo",
    "CertificateQuery",
    "ChainLink",
    "Constraint",
    "Requirement",
    "RoleAccess",
    "SessionScope",
    "anchor_info",
    "build_access_map",
    "dropped_by_mapping",
    "granted_services",
    "narrow",
    "parse_dn",
    "path_context",
    "query_from_certificate",
    "reverse",
    "role_paths",
]

"""Minimal trust-policy patches for a role's findings, each proved safe before it is proposed
(see :mod:`remediations.proposals.safety`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from remediations.errors import PolicyError
from remediations.iam.evaluator import compile_policy, has_wildcard, wildcard_match
from remediations.iam.policy import as_list
from remediations.iam.x509 import issuing_ca_cns, parse_certificate_bundle
from remediations.model import REQUIRED_ACTIONS, Role
from remediations.proposals.job import _Job
from remediations.proposals.render import check_document, render
from remediations.proposals.results import FixRefused, InputNeeded
from remediations.proposals.safety import prove_safe
from remediations.proposals.trees import copy_tree
from remediations.proposals.trust_edit import POSITIVE_OPERATORS, TrustEdit
from remediations.proposals.values import tag_value_problem
from remediations.trust import (
    CERTIFICATE_CATEGORIES,
    SUBJECT_CATEGORIES,
    TrustAnalysis,
    analyze_trust,
    key_category,
)

VARIABLES_VERSION = "2012-10-17"

# Findings grouped by the fix that answers them.
_ANCHOR_IDS = frozenset(
    {"RA-TRUST-NO-SOURCEARN", "RA-TRUST-SOURCEARN-WILDCARD", "RA-TRUST-SOURCEARN-STALE"}
)
#: canonical subject key (lower case, without aws:principaltag/) -> the --set key for its value.
_PIN_VALUE_KEYS = {
    "x509subject/cn": "cn",
    "x509subject/ou": "ou",
    "x509san/uri": "uri",
    "x509san/dns": "dns",
    "sts:sourceidentity": "cn",
}
_NEGATED_TO_POSITIVE = {
    "stringnotequals": "StringEquals",
    "stringnotequalsignorecase": "StringEqualsIgnoreCase",
    "stringnotlike": "StringLike",
    "arnnotequals": "ArnEquals",
    "arnnotlike": "ArnLike",
}


@dataclass(slots=True)
class _RoleOutcome:
    patcher: TrustPatcher
    fixed: set[str] = field(default_factory=set)
    needs: list[tuple[InputNeeded, set[str]]] = field(default_factory=list)
    refusals: list[tuple[str, set[str]]] = field(default_factory=list)


def patch_role(
    job: _Job, role: Role, *, prove_each: bool, analysis: TrustAnalysis | None = None
) -> _RoleOutcome:
    """Apply every fix the role's findings ask for; a fix that needs input or is refused leaves
    no trace in the document. With ``prove_each``, each fix must keep the patch safe.
    ``analysis``: the caller's ``analyze_trust(role.trust_policy)``, when it has it."""
    patcher = TrustPatcher(job, role, analysis)
    outcome = _RoleOutcome(patcher)
    job_ids = job.ids
    for step, ids in patcher.steps():
        wanted = ids & job_ids
        if not wanted:
            continue
        saved = patcher.checkpoint()
        try:
            step()
            if prove_each and patcher.summary:
                patcher.prove(outcome.fixed | wanted)
            outcome.fixed |= wanted
        except InputNeeded as exc:
            patcher.restore(saved)
            # Kept without its traceback: its frames would hold the outcome in a cycle.
            outcome.needs.append((exc.with_traceback(None), wanted))
        except (FixRefused, PolicyError) as exc:
            patcher.restore(saved)
            outcome.refusals.append((f"Refused: {exc}.", wanted))
    return outcome


class TrustPatcher(TrustEdit):
    """A copy of a trust policy and the edits the findings ask for."""

    def __init__(self, job: _Job, role: Role, analysis: TrustAnalysis | None = None) -> None:
        super().__init__(role.trust_policy or {})
        self.job = job
        self.role = role
        self.values = job.values(role.name)
        # The caller's analysis is of this very document (role.trust_policy), when given.
        self.analysis: TrustAnalysis = (
            analysis
            if analysis is not None and role.trust_policy is not None
            else analyze_trust(self.original)
        )
        #: The workload the patch is for: values it pins (source_arn, subject/<RDN>, issuer/CN).
        self.intended: dict[str, list[str]] = {}
        self._anchors: list[str] | None = None
        #: Repairing a broken role (``--repair-broken``): deleted anchors may be replaced.
        self.repairing = False

    def checkpoint(self) -> tuple[Any, ...]:
        # One copy keeps doc["Statement"] and self.statements the same objects.
        return (
            copy_tree([self.doc, self.statements]),
            list(self.summary),
            copy_tree(self.intended),
            dict(self.isolated),
            self._anchors,
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        [self.doc, self.statements], summary, intended, isolated, self._anchors = saved
        self.summary, self.intended, self.isolated = summary, intended, isolated

    def prove(self, fixed: set[str]) -> None:
        """Raise when the document so far is not valid, too large, or not provably safe."""
        after = copy_tree(self.document())
        check_document(after, "trust")
        prove_safe(
            self.original,
            after,
            self.intended,
            anchors=list(self.job.inventory.trust_anchors),
            repair="RA-TRUST-MISSING-REQUIRED-ACTION" in fixed,
            original_analysis=self.analysis,
        )

    def repair(self) -> None:
        """Only what makes a broken role usable: the Version, the missing actions, the IP
        conditions, live trust anchors for deleted ones."""
        if self.analysis.legacy_version_with_variables:
            self.fix_version()
        if self.analysis.ip_conditions:
            self.fix_source_ip()
        # What is missing once the Version and IP conditions no longer hide the actions.
        self.fix_missing_actions(analyze_trust(copy_tree(self.document())).allowed_actions)
        pinned = self.analysis.pinned_source_arns
        if pinned and not any(self._live(a) for a in pinned):
            self.fix_anchor()

    def steps(self) -> Iterator[tuple[Any, set[str]]]:
        yield self.fix_version, {"RA-TRUST-LEGACY-VERSION-WITH-VARIABLES"}
        yield self.fix_missing_actions, {"RA-TRUST-MISSING-REQUIRED-ACTION"}
        yield self.fix_source_ip, {"RA-TRUST-SOURCEIP-CONDITION"}
        yield self.fix_fail_open, {"RA-TRUST-FAIL-OPEN-OPERATOR"}
        yield self.fix_anchor, set(_ANCHOR_IDS)
        yield self.fix_subject_wildcard, {"RA-TRUST-SUBJECT-WILDCARD"}
        yield self.fix_subject, {"RA-TRUST-NO-SUBJECT-CONDITION"}
        yield self.fix_issuer, {"RA-TRUST-ISSUER-NOT-PINNED"}

    # statements ----------------------------------------------------------------------------

    def ra_allows(self) -> list[int]:
        """Indexes (after isolation) of the Allow statements that apply to Roles Anywhere."""
        return [self.isolate(i) for i in self.analysis.ra_statement_indexes]

    def fix_version(self) -> None:
        if self.doc.get("Version") == VARIABLES_VERSION:
            return
        old = self.doc.get("Version")
        rest = {k: v for k, v in self.doc.items() if k != "Version"}
        self.doc.clear()
        self.doc.update({"Version": VARIABLES_VERSION, **rest})
        self.summary.append(f"sets Version {old or '(none)'} -> {VARIABLES_VERSION}")

    def fix_missing_actions(self, allowed: frozenset[str] | None = None) -> None:
        allowed = self.analysis.allowed_actions if allowed is None else allowed
        missing = [a for a in REQUIRED_ACTIONS if a not in allowed]
        if not missing:
            return
        compiled = {s.index: s for s in compile_policy(self.original).statements}
        paths = [
            i
            for i in self.analysis.ra_statement_indexes
            if i in compiled and compiled[i].covers_action("sts:AssumeRole")
        ]
        if not paths:
            raise FixRefused(
                "no Roles Anywhere statement allows sts:AssumeRole to copy conditions from"
            )
        for original_index in paths:
            index = self.isolate(original_index)
            statement = self.statements[index]
            if "Action" not in statement:
                raise FixRefused(f"statement {index + 1} uses NotAction; add the actions by hand")
            actions = [str(a) for a in as_list(statement["Action"])]
            statement["Action"] = actions + [a for a in missing if a not in actions]
        self.summary.append(f"allows {', '.join(missing)} under the sts:AssumeRole conditions")

    def fix_source_ip(self) -> None:
        removed = 0
        for use in self.analysis.ip_conditions:
            if use.effect != "Allow":
                raise FixRefused(
                    f"a Deny statement ({use.operator} {use.key}) uses an IP condition; "
                    "removing it changes who is denied: edit it by hand"
                )
            index = self.isolate(use.statement_index)
            self.remove(index, use.operator, use.key)
            removed += 1
        if removed:
            self.summary.append(
                "removes IP conditions from the trust (the caller is Roles Anywhere, never the "
                "workload); restrict networks in the profile's session policy instead"
            )

    def fix_fail_open(self) -> None:
        uses = [
            u for u in self.analysis.fail_open_conditions if u.category in CERTIFICATE_CATEGORIES
        ]
        if not uses:
            raise FixRefused("the fail-open condition is not on a certificate key; fix it by hand")
        for number, use in enumerate(uses, start=1):
            index = self.isolate(use.statement_index)
            operator = use.operator.split(":")[-1]
            base = operator[: -len("IfExists")] if operator.endswith("IfExists") else operator
            if base == "Null":
                raise FixRefused(f"a Null condition on {use.key} in an Allow; fix it by hand")
            self.remove(index, use.operator, use.key)
            positive = _NEGATED_TO_POSITIVE.get(base.lower())
            if positive is None:
                self.add(index, {base: {use.key: list(use.values)}})
                self.summary.append(
                    f"rewrites {use.operator} on {use.key} as {base} (fails closed when absent)"
                )
                continue
            self.add(index, render("trust_conditions_presence.json.j2", key=use.key))
            actions = [a for a in REQUIRED_ACTIONS]
            deny = render(
                "trust_statement_deny_blocklist.json.j2",
                sid=f"RafixDenyBlocked{number}",
                operator=positive,
                key=use.key,
                blocked=list(use.values),
                actions=actions,
            )
            self.statements.append(deny)
            self.summary.append(
                f"moves the {use.operator} block list on {use.key} into a Deny statement and "
                f"requires {use.key} to be present"
            )

    def anchors(self) -> list[str]:
        """The trust anchors to pin: --set trust_anchor_arn, else the only candidate."""
        if self._anchors is not None:
            return self._anchors
        given = self.values.get_list("trust_anchor_arn")
        if given:
            self._anchors = given
            return given
        pinned = sorted(a for a in self.analysis.pinned_source_arns if self._live(a))
        if pinned:  # the anchors the role's other statements already trust
            self._anchors = pinned
            return pinned
        inventory = self.job.inventory
        regions = self.profile_regions()
        anchors = [
            a for a in inventory.trust_anchors.values() if not regions or a.region in regions
        ]
        enabled = [a.arn for a in anchors if a.enabled]
        if len(enabled) == 1:
            self._anchors = enabled
            return enabled
        where = f" in {', '.join(sorted(regions))}" if regions else ""
        raise InputNeeded(
            "trust_anchor_arn",
            f"Which trust anchor(s) does the workload of role {self.role.name} use? "
            f"(comma list; {len(enabled)} enabled trust anchors{where})",
            sorted(a.arn for a in anchors),
        )

    def profile_regions(self) -> set[str]:
        return {p.region for p in self.job.profiles.naming(self.role)}

    def _live(self, arn: str) -> bool:
        inventory = self.job.inventory
        return "rolesanywhere" not in inventory.coverage or arn in inventory.trust_anchors

    def fix_anchor(self) -> None:
        for index in self.ra_allows():
            current: list[tuple[str, str, list[str]]] = [
                (op, key, vals)
                for op, key, vals in self.clauses(index)
                if key.lower() == "aws:sourcearn"
                and op.split(":")[-1].removesuffix("IfExists") in POSITIVE_OPERATORS
            ]
            values = [v for _, _, vals in current for v in vals]
            wildcards = [v for v in values if has_wildcard(v)]
            live = [v for v in values if not has_wildcard(v) and self._live(v)]
            stale = [v for v in values if not has_wildcard(v) and not self._live(v)]
            if values and not wildcards and not stale:
                continue
            if stale and not live and not wildcards and not self.repairing:
                raise FixRefused(
                    "the role pins only trust anchors that no longer exist, so Roles Anywhere "
                    "cannot use it today; pinning a live anchor would open it. Check "
                    "RoleLastUsed and decide by hand"
                )
            pins = list(live)
            if not values or wildcards or not live:
                pins += [a for a in self.anchors() if a not in pins]
            for op, key, _ in current:
                self.remove(index, op, key)
            self.add(index, render("trust_conditions_source_arn.json.j2", trust_anchor_arns=pins))
            self.intended["source_arn"] = pins
            label = f"statement {index + 1}"
            if stale:
                self.summary.append(
                    f"removes stale trust anchor(s) {', '.join(stale)} from {label}"
                )
            if wildcards:
                self.summary.append(
                    f"replaces aws:SourceArn pattern {', '.join(wildcards)} in {label}"
                )
            self.summary.append(f"pins aws:SourceArn to {', '.join(pins)} in {label}")

    def subjects_seen(self, pattern: str | None = None) -> list[str]:
        """CNs of the subjects Roles Anywhere has seen in the regions of the role's profiles."""
        regions = self.profile_regions()
        seen = []
        for subject in self.job.inventory.subjects.values():
            if regions and subject.region not in regions:
                continue
            cn = _rdn(subject.x509_subject, "CN")
            if cn and (pattern is None or wildcard_match(pattern, cn)):
                seen.append(cn)
        return sorted(set(seen))

    def pin_value(self, value_key: str, pattern: str | None = None) -> str:
        value = self.values.get(value_key)
        if value is None and value_key == "cn":
            known = self.analysis.pinned_subjects.get("x509subject/cn", frozenset())
            if len(known) == 1:
                value = next(iter(known))
        if value is None:
            question = {
                "cn": f"Which certificate CN should role {self.role.name} accept?",
                "ou": f"Which certificate OU should role {self.role.name} accept?",
                "uri": f"Which URI SAN (e.g. SPIFFE ID) should role {self.role.name} accept?",
                "dns": f"Which DNS SAN should role {self.role.name} accept?",
            }[value_key]
            candidates = self.subjects_seen(pattern) if value_key == "cn" else []
            raise InputNeeded(value_key, question, candidates)
        problem = tag_value_problem(value)
        if problem:
            raise FixRefused(f"the {value_key} {value[:60]!r} {problem}")
        return value

    def fix_subject_wildcard(self) -> None:
        for index in self.ra_allows():
            for operator, key, values in list(self.clauses(index)):
                if key_category(key) not in SUBJECT_CATEGORIES or not any(
                    has_wildcard(v) for v in values
                ):
                    continue
                canonical = key.lower().removeprefix("aws:principaltag/")
                value_key = _PIN_VALUE_KEYS.get(canonical)
                if value_key is None:
                    raise FixRefused(f"no exact value is known for {key}; pin it by hand")
                pattern = next(v for v in values if has_wildcard(v))
                exact = self.pin_value(value_key, pattern)
                if canonical == "sts:sourceidentity":
                    exact = f"CN={exact}"
                self.remove(index, operator, key)
                pins = [(key, exact)]
                self.add(index, render("trust_conditions_subject.json.j2", pins=pins))
                self._remember_subject(canonical, exact)
                self.summary.append(
                    f"replaces {key} pattern {pattern!r} with {exact!r} in statement {index + 1}"
                )

    def _remember_subject(self, canonical: str, value: str) -> None:
        if canonical == "sts:sourceidentity":
            canonical, value = "x509subject/cn", value.removeprefix("CN=")
        self.intended[canonical] = [value]

    def fix_subject(self) -> None:
        targets = [i for i in self.ra_allows() if not self.statement_has(i, SUBJECT_CATEGORIES)]
        if not targets:
            return
        cn = self.pin_value("cn")
        pins = [("aws:PrincipalTag/x509Subject/CN", cn)]
        ou = self.values.get("ou")
        if ou is not None:
            problem = tag_value_problem(ou)
            if problem:
                raise FixRefused(f"the ou {ou[:60]!r} {problem}")
            pins.append(("aws:PrincipalTag/x509Subject/OU", ou))
        for index in targets:
            self.add(index, render("trust_conditions_subject.json.j2", pins=pins))
            self.summary.append(
                f"pins the subject CN {cn!r}{f' OU {ou!r}' if ou else ''} in statement {index + 1}"
            )
        self._remember_subject("x509subject/cn", cn)
        if ou is not None:
            self.intended["x509subject/ou"] = [ou]

    def issuer_cns(self) -> list[str]:
        given = self.values.get_list("issuer_cn")
        if given:
            return given
        inventory = self.job.inventory
        arns = self.intended.get("source_arn") or sorted(self.analysis.pinned_source_arns)
        anchors = [inventory.trust_anchors[a] for a in arns if a in inventory.trust_anchors]
        if not anchors:
            anchors = list(inventory.trust_anchors.values())
        names: list[str] = []
        for anchor in anchors:
            bundle = (
                parse_certificate_bundle(anchor.certificate_pem) if anchor.certificate_pem else None
            )
            cns = [c.rdn("CN") for c in bundle.certificates] if bundle else []
            if not cns or not all(cns) or anchor.certificate_pem is None:
                names = []
                break
            # Minimal: only the CAs that issue workload certificates (a root that issued an
            # intermediate of the same bundle is not one of them).
            issuing = issuing_ca_cns(anchor.certificate_pem) or [cn for cn in cns if cn]
            names += [cn for cn in issuing if cn not in names]
        if not names:
            raise InputNeeded(
                "issuer_cn",
                f"Which issuing CA CN should role {self.role.name} accept? (the trust anchor's "
                "CA certificate is not available)",
            )
        return names

    def fix_issuer(self) -> None:
        targets = [i for i in self.ra_allows() if not self.statement_has(i, frozenset({"issuer"}))]
        if not targets:
            return
        names = self.issuer_cns()
        for name in names:
            problem = tag_value_problem(name)
            if problem:
                raise FixRefused(f"the issuer CN {name[:60]!r} {problem}")
        value: str | list[str] = names[0] if len(names) == 1 else names
        for index in targets:
            # An issuer CN pattern gives way to the exact pin (the prover checks it narrows):
            # left beside it, the scan would still report the pattern.
            replaced = [
                (operator, key, values)
                for operator, key, values in list(self.clauses(index))
                if key.lower() == "aws:principaltag/x509issuer/cn"
                and all(has_wildcard(v) for v in values)
                and operator.split(":")[-1] in POSITIVE_OPERATORS
            ]
            for operator, key, _ in replaced:
                self.remove(index, operator, key)
            self.add(index, render("trust_conditions_issuer.json.j2", issuer_cn=value))
            patterns = ", ".join(v for _, _, values in replaced for v in values)
            self.summary.append(
                f"pins the issuer CN {', '.join(names)} in statement {index + 1}"
                + (f" (instead of the pattern {patterns})" if patterns else "")
            )
        self.intended["x509issuer/cn"] = names


def _rdn(text: str, name: str) -> str | None:
    """One RDN of an ``CN=a,OU=b`` subject string (no escaping support beyond ``\\,``)."""
    for part in re.split(r"(?<!\\),", text):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip().upper() == name:
            return value.strip().replace("\\,", ",")
    return None

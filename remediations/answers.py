"""Questions a plan asks and the typed answers a front end gives (the CLI's ``--set``).

A fix sometimes needs a value only the user knows (the CN a role should be pinned to, the
services a session policy should allow). The plan lists each as a :class:`Question`, with the
candidates the account shows; a front end answers with :class:`Answer` values. The CLI maps
``--set KEY=VALUE`` and ``--set RESOURCE.KEY=VALUE`` onto answers (:func:`answers_from_set`).

This module is plain data: front ends import it without loading the proposal engine.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from remediations.errors import InputError
from remediations.model import Inventory
from remediations.textsafe import is_safe, shown

#: The keys a fix can ask for (``--set`` keys).
KNOWN_KEYS = ("cn", "ou", "uri", "dns", "issuer_cn", "trust_anchor_arn", "services")
#: Keys whose value a certificate carries into a session tag (the STS charset limits them).
TAG_KEYS = frozenset({"cn", "ou", "uri", "dns", "issuer_cn"})
#: Keys whose value is a comma-separated list.
LIST_KEYS = frozenset({"trust_anchor_arn", "services"})
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
_SERVICE_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: A trust anchor ARN: partition, region, account, and an ID (a UUID at AWS) of letters,
#: digits and dashes; nothing else (no quotes, no JSON, no spaces, no escapes).
ANCHOR_ARN = re.compile(
    r"^arn:(aws[a-z-]*):rolesanywhere:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):"
    r"trust-anchor/[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
)


def tag_value_problem(value: str) -> str | None:
    """Why Roles Anywhere could not map a value into a session tag (STS charset), or None."""
    if len(value) > 256:
        return f"is {len(value):,} characters (session tag values are limited to 256)"
    for ch in value:
        if ch in _TAG_PUNCTUATION or ch == " " or unicodedata.category(ch)[0] in "LN":
            continue
        if unicodedata.category(ch) == "Zs":
            continue
        return (
            f"contains '{shown(ch)}', outside the STS session-tag charset (letters, digits, "
            "spaces and _.:/=+-@), so it can never match"
        )
    return None


def value_problem(key: str, value: str) -> str | None:
    """Why ``value`` cannot answer ``key`` (one line), or None when it can."""
    if key not in KNOWN_KEYS:
        return f"unknown key {key!r} (one of: {', '.join(KNOWN_KEYS)})"
    if not value.strip():
        return "the value is empty"
    unsafe = next((ch for ch in value if not is_safe(ch)), None)
    if unsafe is not None:
        return (
            f"the value contains the control character '{shown(unsafe)}' (outside every "
            "charset AWS accepts for it)"
        )
    if key in TAG_KEYS:
        problem = tag_value_problem(value.strip())
        return f"the value {problem}" if problem else None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        return "the list is empty"
    if key == "services":
        if items == ["*"]:
            return None
        bad = next((v for v in items if not _known_service(v)), None)
        if bad is not None:
            return (
                f"'{shown(bad, limit=80)}' is not an IAM service prefix (such as s3, sqs, "
                "dynamodb; '*' alone allows every service)"
            )
    if key == "trust_anchor_arn":
        bad = next((v for v in items if not ANCHOR_ARN.match(v)), None)
        if bad is not None:
            return (
                f"'{shown(bad, limit=120)}' is not a trust anchor ARN "
                "(arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)"
            )
    return None


def _known_service(prefix: str) -> bool:
    from remediations.iam.service_prefixes import SERVICE_PREFIXES

    return bool(_SERVICE_PREFIX.match(prefix)) and prefix in SERVICE_PREFIXES


def anchor_problem(
    arn: str,
    *,
    account_id: str | None,
    regions: Iterable[str] = (),
    known: Iterable[str] | None = None,
) -> str | None:
    """Why ``arn`` is not a trust anchor of this account and these regions, or None.

    ``known``: the anchors the account holds, when its Roles Anywhere resources were read.
    """
    match = ANCHOR_ARN.match(arn)
    if match is None:
        return value_problem("trust_anchor_arn", arn)
    _partition, region, account = match.groups()
    if account_id and account != account_id:
        return f"{arn} is in account {account}, not in this account ({account_id})"
    wanted = set(regions)
    if wanted and region not in wanted:
        return f"{arn} is in {region}, not in a region read ({', '.join(sorted(wanted))})"
    if known is not None and arn not in set(known):
        return f"{arn} is not a trust anchor of this account"
    return None


def scope_name(arn: str) -> str:
    """The short name a resource is scoped by in ``--set NAME.KEY=VALUE`` (after the last /)."""
    return arn.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Question:
    """A value a fix needs and the account cannot tell."""

    finding_id: str
    resource_arn: str
    key: str
    question: str
    #: Values the account suggests (e.g. the CNs its certificates show); may be empty.
    candidates: tuple[str, ...] = ()

    def validate(self, value: str) -> str | None:
        """None when ``value`` can answer this question, else the one-line reason."""
        return value_problem(self.key, value)

    def answer(self, value: str) -> Answer:
        """The answer for this question's resource."""
        return Answer(self.resource_arn, self.key, value)


@dataclass(frozen=True, slots=True)
class Answer:
    """A value for a question: for one resource, or (``resource_arn`` None) for every resource.

    ``resource_arn`` may also be a resource's name or ID, as ``--set NAME.KEY=VALUE`` allows.
    """

    resource_arn: str | None
    key: str
    value: str

    @property
    def name(self) -> str:
        """The ``--set`` name: ``KEY`` or ``RESOURCE.KEY``."""
        return self.key if self.resource_arn is None else f"{self.resource_arn}.{self.key}"


def parse_values(items: Iterable[str]) -> dict[str, str]:
    """``--set`` options -> ``{name: value}`` (name ``KEY`` or ``RESOURCE.KEY``).

    Raises:
        InputError: an item without ``=``, an unknown key or an empty value.
    """
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set {item!r}: expected KEY=VALUE or RESOURCE.KEY=VALUE")
        key = name.rsplit(".", 1)[-1].strip()
        if key not in KNOWN_KEYS:
            raise InputError(
                f"--set {shown(name, limit=80)}: unknown key '{shown(key, limit=40)}' "
                f"(one of: {', '.join(KNOWN_KEYS)})"
            )
        problem = value_problem(key, value)
        if problem:
            raise InputError(f"--set {shown(name, limit=80)}: {problem}")
        values[name.strip()] = value.strip()
    return values


def answers_from_set(items: Iterable[str]) -> list[Answer]:
    """``--set`` options as answers (same checks and messages as :func:`parse_values`)."""
    out = []
    for name, value in parse_values(items).items():
        scope, dot, key = name.rpartition(".")
        out.append(Answer(scope if dot else None, key.strip(), value))
    return out


def values_from_answers(answers: Sequence[Answer]) -> dict[str, str]:
    """Answers -> the ``{name: value}`` mapping the proposals read (later answers win).

    Raises:
        InputError: an answer with an unknown key or an empty value.
    """
    values: dict[str, str] = {}
    for answer in answers:
        problem = value_problem(answer.key, answer.value)
        if problem:
            raise InputError(f"answer {shown(answer.name, limit=80)}: {problem}")
        values[answer.name] = answer.value.strip()
    return values


def check_anchor_answers(values: dict[str, str], inventory: Inventory) -> None:
    """Every trust anchor ARN given is one of this account and of a region read (and, when
    the account's Roles Anywhere resources were read, one that exists).

    Raises:
        InputError: naming the answer and why its ARN does not belong here.
    """
    read = "rolesanywhere" in inventory.coverage
    for name, value in values.items():
        if name.rsplit(".", 1)[-1] != "trust_anchor_arn":
            continue
        for arn in (v.strip() for v in value.split(",") if v.strip()):
            problem = anchor_problem(
                arn,
                account_id=inventory.account_id,
                regions=inventory.regions if read else (),
                known=inventory.trust_anchors if read else None,
            )
            if problem:
                raise InputError(f"--set {shown(name, limit=80)}: {shown(problem)}")

"""The emulated Roles Anywhere service's state per region, its defaults and its errors."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

JSON = dict[str, Any]
Response = tuple[int, dict[str, str], bytes]

#: Service-filled defaults (FINDINGS §2.3, RA-UG p.43-44 and p.102-103).
DEFAULT_DURATION_SECONDS = 3600
DEFAULT_MAPPINGS: list[JSON] = [
    {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
    {
        "certificateField": "x509SAN",
        "mappingRules": [{"specifier": "DNS"}, {"specifier": "URI"}, {"specifier": "Name/*"}],
    },
    {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}]},
]
NOTIFICATION_EVENTS = ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
DEFAULT_THRESHOLD_DAYS = 45
SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
DEFAULT_PAGE_SIZE = 50
#: The service does not document a maximum; larger requests are served in pages of this size.
MAX_PAGE_SIZE = 1000
MAX_TAGS = 200
TOKEN_PREFIX = "rafix-emu:"


def default_notification_settings() -> list[JSON]:
    return [
        {
            "enabled": True,
            "event": event,
            "threshold": DEFAULT_THRESHOLD_DAYS,
            "channel": "ALL",
            "configuredBy": SERVICE_PRINCIPAL,
        }
        for event in NOTIFICATION_EVENTS
    ]


def record_defaults(kind: str, created: datetime | None = None) -> JSON:
    """What the real service always returns, for records written by hand (``created``: their
    date, default now)."""
    moment = created or now()
    base: JSON = {"enabled": True, "createdAt": moment, "updatedAt": moment}
    if kind == "trust_anchors":
        base["notificationSettings"] = default_notification_settings()
    elif kind == "profiles":
        base.update(
            requireInstanceProperties=False,
            roleArns=[],
            managedPolicyArns=[],
            durationSeconds=DEFAULT_DURATION_SECONDS,
            acceptRoleSessionName=False,
            attributeMappings=copy.deepcopy(DEFAULT_MAPPINGS),
        )
    return base


class ServiceError(Exception):
    """A modeled Roles Anywhere error; the HTTP status comes from the service model."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(what: str, ident: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{what} {ident} not found")


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def now() -> datetime:
    """Timestamps at millisecond precision, like the service."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(slots=True)
class RegionState:
    """One region's resources, keyed by id, in creation order."""

    anchors: dict[str, JSON] = field(default_factory=dict)
    profiles: dict[str, JSON] = field(default_factory=dict)
    crls: dict[str, JSON] = field(default_factory=dict)
    subjects: dict[str, JSON] = field(default_factory=dict)
    #: resource ARN -> {key: value}
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.anchors or self.profiles or self.crls or self.subjects)

    def by_arn(self, arn: str) -> JSON | None:
        for store, key in (
            (self.anchors, "trustAnchorArn"),
            (self.profiles, "profileArn"),
            (self.crls, "crlArn"),
        ):
            ident = arn.rsplit("/", 1)[-1]
            item = store.get(ident)
            if item is not None and item[key] == arn:
                return item
        return None


class AccountService(Protocol):
    """What an operation handler needs from the emulator: the account it answers for."""

    @property
    def account_id(self) -> str: ...

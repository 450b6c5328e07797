"""What the Roles Anywhere List APIs of a sandbox answer for its records, without asking.

The emulator stores an export record as ``emulator.from_jsonable`` reads it (the output
shape's members, timestamps parsed, blobs decoded) over ``service.record_defaults``; a List
answer is that record serialised to the shape (``wire.serialize``: None left out, timestamps
at millisecond precision) as botocore parses it and ``convert.to_jsonable`` writes it back.
:func:`stored` and :func:`listed` do both without botocore (importing it costs 0.2 s);
``SHAPES`` spells out the four List member shapes, and the tests check it against botocore's
model of the service.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from remediations.model import JSON


class Unanswerable(Exception):
    """The state holds something only a read through boto3 can tell (the reason)."""


# --- the Roles Anywhere output shapes (checked against botocore's model by the tests) -------

#: The List operations of one region, in the order the live reader reports them.
RA_ACTIONS = ("ListTrustAnchors", "ListProfiles", "ListCrls", "ListSubjects")
_STR, _BOOL, _INT, _TIME, _BLOB = "string", "boolean", "integer", "timestamp", "blob"
_NOTIFICATION = {
    "enabled": _BOOL,
    "event": _STR,
    "threshold": _INT,
    "channel": _STR,
    "configuredBy": _STR,
}
_MAPPING = {"certificateField": _STR, "mappingRules": [{"specifier": _STR}]}
#: inventory kind -> (List output member shape, id key, ARN key)
SHAPES: dict[str, tuple[dict[str, Any], str, str]] = {
    "trust_anchors": (
        {
            "trustAnchorId": _STR,
            "trustAnchorArn": _STR,
            "name": _STR,
            "source": {
                "sourceType": _STR,
                "sourceData": {"x509CertificateData": _STR, "acmPcaArn": _STR},
            },
            "enabled": _BOOL,
            "createdAt": _TIME,
            "updatedAt": _TIME,
            "notificationSettings": [_NOTIFICATION],
        },
        "trustAnchorId",
        "trustAnchorArn",
    ),
    "profiles": (
        {
            "profileId": _STR,
            "profileArn": _STR,
            "name": _STR,
            "requireInstanceProperties": _BOOL,
            "enabled": _BOOL,
            "createdBy": _STR,
            "sessionPolicy": _STR,
            "roleArns": [_STR],
            "managedPolicyArns": [_STR],
            "createdAt": _TIME,
            "updatedAt": _TIME,
            "durationSeconds": _INT,
            "acceptRoleSessionName": _BOOL,
            "attributeMappings": [_MAPPING],
        },
        "profileId",
        "profileArn",
    ),
    "crls": (
        {
            "crlId": _STR,
            "crlArn": _STR,
            "name": _STR,
            "enabled": _BOOL,
            "crlData": _BLOB,
            "trustAnchorArn": _STR,
            "createdAt": _TIME,
            "updatedAt": _TIME,
        },
        "crlId",
        "crlArn",
    ),
    "subjects": (
        {
            "subjectArn": _STR,
            "subjectId": _STR,
            "enabled": _BOOL,
            "x509Subject": _STR,
            "lastSeenAt": _TIME,
            "createdAt": _TIME,
            "updatedAt": _TIME,
        },
        "subjectId",
        "subjectArn",
    ),
}


def stored(shape: dict[str, Any], value: Any) -> JSON:
    """An export record as the emulator stores it (``emulator.from_jsonable``): the shape's
    members, timestamps parsed, blobs decoded.

    Raises:
        ValueError: a malformed timestamp or blob (the seeder skips the record).
        Unanswerable: a value of another type than the shape's.
    """
    if not isinstance(value, dict):
        raise Unanswerable("a record that is not an object")
    return {name: _member(spec, value[name]) for name, spec in shape.items() if name in value}


def _member(spec: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(spec, dict):
        return stored(spec, value)
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise Unanswerable("a list that is not a list")
        return [_member(spec[0], v) for v in value]
    if spec == _TIME:
        if not isinstance(value, str):
            raise Unanswerable("a timestamp that is not text")
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if spec == _BLOB:
        if not isinstance(value, str):
            raise Unanswerable("a blob that is not text")
        if value.lstrip().startswith("-----BEGIN"):
            return value.encode()
        return base64.b64decode(value)
    expected = {_STR: str, _BOOL: bool, _INT: int}[spec]
    if type(value) is not expected:
        raise Unanswerable(f"a {spec} that is a {type(value).__name__}")
    return value


def listed(shape: dict[str, Any], record: Any) -> Any:
    """A stored record as a List answer reaches the caller: the shape's members (None left
    out), timestamps at the wire's millisecond precision, blobs as base64 text."""
    if isinstance(shape, dict):
        return {
            name: listed(spec, record[name])
            for name, spec in shape.items()
            if record.get(name) is not None
        }
    if isinstance(shape, list):
        return [listed(shape[0], v) for v in record]
    if shape == _TIME:
        moment = record.astimezone(UTC)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return moment.isoformat().replace("+00:00", "Z")
    if shape == _BLOB:
        return base64.b64encode(record).decode("ascii")
    return record


__all__ = ["RA_ACTIONS", "SHAPES", "Unanswerable", "listed", "stored"]

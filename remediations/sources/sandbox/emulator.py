"""An in-memory IAM Roles Anywhere service that botocore talks to as if it were AWS.

moto has no Roles Anywhere backend, so the sandbox answers Roles Anywhere requests here. The
request arrives exactly as botocore's rest-json serializer produced it (method, path, query
string, JSON body) after botocore's own parameter validation; the answer is the HTTP status,
headers and JSON body that botocore's real parser turns into the operation's output.

Routing and (de)serialization are driven by the service model (each operation's
``http.method`` + ``requestUri`` template, each member's ``location``), never by hand-written
URL lists, so the emulator follows the model botocore is pinned to.

Resources are stored in their *parsed* output form (``datetime`` timestamps, ``bytes`` blobs),
the same values boto3 hands to callers, so ``to_jsonable`` of the store is the export format.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

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
_TOKEN_PREFIX = "rafix-emu:"


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


@dataclass(frozen=True, slots=True)
class Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]


def compile_routes(model: ServiceModel) -> list[Route]:
    """One route per operation, from its ``http.method`` and ``requestUri`` template."""
    routes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        path = op.http["requestUri"].split("?", 1)[0]
        regex = ""
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                label = piece[1:-1]
                greedy = label.endswith("+")
                group = label.rstrip("+")
                regex += f"(?P<{group}>{'.+' if greedy else '[^/]+'})"
            else:
                regex += re.escape(piece)
        routes.append(Route(op, op.http["method"].upper(), re.compile(f"^{regex}/?$")))
    return routes


class RolesAnywhereEmulator:
    """The service for one account, all regions."""

    def __init__(self, account_id: str, model: ServiceModel) -> None:
        self.account_id = account_id
        self.model = model
        self.regions: dict[str, RegionState] = {}
        self.routes = compile_routes(model)
        #: Set by every successful mutating call; the sandbox saves state only when it is set.
        self.dirty = False

    def region(self, name: str) -> RegionState:
        return self.regions.setdefault(name, RegionState())

    # --- HTTP --------------------------------------------------------------------------

    def handle(self, region: str, method: str, path: str, query: str, body: bytes) -> Response:
        """Answer one HTTP request, exactly as serialized by botocore."""
        try:
            op, path_params = self.route(method, path)
        except ServiceError as exc:
            return self.error_response(exc, None)
        try:
            params = self.parse_input(op, path_params, query, body)
            validate_input(op.input_shape, params)
            handler = OPERATIONS.get(op.name)
            if handler is None:
                raise invalid(f"{op.name} is not supported by the rafix sandbox")
            result = handler(self, self.region(region), region, params)
        except ServiceError as exc:
            return self.error_response(exc, op)
        if op.name.startswith(_MUTATING_PREFIXES):
            self.dirty = True
        status = int(op.http.get("responseCode", 200))
        payload = serialize(op.output_shape, result) if op.output_shape else {}
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def route(self, method: str, path: str) -> tuple[OperationModel, dict[str, str]]:
        for route in self.routes:
            if route.method != method.upper():
                continue
            match = route.pattern.match(path)
            if match:
                return route.operation, {k: unquote(v) for k, v in match.groupdict().items()}
        raise ServiceError("ValidationException", f"no operation for {method} {path}")

    def error_response(self, exc: ServiceError, op: OperationModel | None) -> Response:
        status = 400
        shape_names = [s.name for s in op.error_shapes] if op else []
        if exc.code in shape_names or exc.code in self.model.shape_names:
            error = self.model.shape_for(exc.code).metadata.get("error", {})
            status = int(error.get("httpStatusCode", status))
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": exc.code}
        return status, headers, json.dumps({"message": exc.message}).encode()

    @staticmethod
    def parse_input(
        op: OperationModel, path_params: dict[str, str], query: str, body: bytes
    ) -> JSON:
        """The operation's input as botocore's user saw it: path, query string and body."""
        shape = op.input_shape
        if shape is None:
            return {}
        assert isinstance(shape, StructureShape)
        values = parse_qs(query, keep_blank_values=True)
        try:
            document = json.loads(body) if body else {}
        except ValueError as exc:
            raise invalid(f"request body is not JSON: {exc}") from exc
        params: JSON = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri" and wire in path_params:
                params[name] = path_params[wire]
            elif location == "querystring" and wire in values:
                params[name] = _query_value(member, values[wire])
            elif location is None and wire in document:
                params[name] = deserialize(member, document[wire])
        return params


_MUTATING_PREFIXES = (
    "Create",
    "Update",
    "Delete",
    "Enable",
    "Disable",
    "Import",
    "Put",
    "Reset",
    "Tag",
    "Untag",
)


def _query_value(shape: Shape, raw: list[str]) -> Any:
    if shape.type_name == "list":
        return raw
    value = raw[-1]
    if shape.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError as exc:
            raise invalid(f"{shape.name} must be an integer") from exc
    if shape.type_name == "boolean":
        return value == "true"
    return value


# --- model-driven (de)serialization ---------------------------------------------------------


def deserialize(shape: Shape, value: Any) -> Any:
    """A JSON body value -> the Python value the caller passed (blobs decoded)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        out: JSON = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            if wire in value:
                out[name] = deserialize(member, value[wire])
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [deserialize(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: deserialize(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if shape.type_name == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid(f"{shape.name} is not valid base64") from exc
    return value


def serialize(shape: Shape, value: Any) -> Any:
    """A stored value -> its rest-json wire form; members not in the shape are dropped."""
    if shape.type_name == "structure":
        assert isinstance(shape, StructureShape)
        out: JSON = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                out[member.serialization.get("name", name)] = serialize(member, value[name])
        return out
    if shape.type_name == "list":
        return [serialize(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return {k: serialize(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if shape.type_name == "timestamp":
        return _timestamp(shape, value)
    if shape.type_name == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def _timestamp(shape: Shape, value: datetime) -> Any:
    if shape.serialization.get("timestampFormat") == "iso8601":
        text = value.astimezone(UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")
    return value.timestamp()  # rest-json's default: epoch seconds


def validate_input(shape: Shape | None, value: Any, path: str = "") -> None:
    """Server-side constraints botocore's client does not check: max lengths and ranges,
    enums and patterns (the client checks only types, required members and minimums)."""
    if shape is None or value is None:
        return
    where = path or shape.name
    meta = shape.metadata
    if shape.type_name == "structure":
        assert isinstance(shape, StructureShape)
        for name, member in shape.members.items():
            if name in value:
                validate_input(member, value[name], f"{path}.{name}" if path else name)
        return
    if shape.type_name == "list":
        if "max" in meta and len(value) > meta["max"]:
            raise invalid(f"{where} must have at most {meta['max']} items")
        for i, item in enumerate(value):
            validate_input(shape.member, item, f"{where}[{i}]")  # type: ignore[attr-defined]
        return
    if shape.type_name == "string":
        if "max" in meta and len(value) > meta["max"]:
            raise invalid(f"{where} must be at most {meta['max']} characters")
        if shape.enum and value not in shape.enum:  # type: ignore[attr-defined]
            raise invalid(f"{where} must be one of {', '.join(shape.enum)}")  # type: ignore[attr-defined]
        if "pattern" in meta and not _matches(meta["pattern"], value):
            raise invalid(f"{where} does not match the pattern {meta['pattern']}")
        return
    if shape.type_name in ("integer", "long"):
        if "max" in meta and value > meta["max"]:
            raise invalid(f"{where} must be at most {meta['max']}")
        if "min" in meta and value < meta["min"]:
            raise invalid(f"{where} must be at least {meta['min']}")
    if shape.type_name == "blob" and "max" in meta and len(value) > meta["max"]:
        raise invalid(f"{where} must be at most {meta['max']} bytes")


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:  # a model pattern Python cannot compile is not enforced
        return True


# --- pagination ---------------------------------------------------------------------------


def page(items: list[JSON], params: JSON) -> tuple[list[JSON], str | None]:
    """One page and the token of the next, like the service's nextToken/pageSize."""
    size = params.get("pageSize", DEFAULT_PAGE_SIZE)
    if size < 1:
        raise invalid("pageSize must be at least 1")
    size = min(size, MAX_PAGE_SIZE)
    start = _decode_token(params["nextToken"]) if params.get("nextToken") else 0
    chunk = items[start : start + size]
    end = start + len(chunk)
    token = _encode_token(end) if end < len(items) else None
    return chunk, token


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode()


def _decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith(_TOKEN_PREFIX):
            raise ValueError(token)
        return int(text[len(_TOKEN_PREFIX) :])
    except (ValueError, binascii.Error) as exc:
        raise invalid("nextToken is not valid") from exc


# --- operations ---------------------------------------------------------------------------

Handler = Callable[[RolesAnywhereEmulator, RegionState, str, JSON], JSON]
OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        OPERATIONS[name] = fn
        return fn

    return register


def _arn(emu: RolesAnywhereEmulator, region: str, kind: str, ident: str) -> str:
    return f"arn:aws:rolesanywhere:{region}:{emu.account_id}:{kind}/{ident}"


def _get(store: dict[str, JSON], ident: str, what: str) -> JSON:
    item = store.get(ident)
    if item is None:
        raise not_found(what, ident)
    return item


def _touch(item: JSON) -> JSON:
    item["updatedAt"] = now()
    return item


def _store_tags(state: RegionState, arn: str, tags: list[JSON] | None) -> None:
    if tags:
        if len(tags) > MAX_TAGS:
            raise ServiceError("TooManyTagsException", f"at most {MAX_TAGS} tags per resource")
        state.tags[arn] = {t["key"]: t.get("value", "") for t in tags}


# Trust anchors


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


def _check_source(source: JSON) -> None:
    source_type = source.get("sourceType")
    data = source.get("sourceData") or {}
    if source_type == "CERTIFICATE_BUNDLE":
        pem = data.get("x509CertificateData")
        if not pem:
            raise invalid("sourceData.x509CertificateData is required for CERTIFICATE_BUNDLE")
        _check_ca_certificate(pem)
    elif source_type == "AWS_ACM_PCA" and not data.get("acmPcaArn"):
        raise invalid("sourceData.acmPcaArn is required for AWS_ACM_PCA")


def _check_ca_certificate(pem: str) -> None:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise invalid(f"x509CertificateData is not a CA certificate: {exc}") from exc
    if not constraints.ca:
        raise invalid("x509CertificateData is not a CA certificate (basicConstraints CA:false)")


@operation("CreateTrustAnchor")
def _create_anchor(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    _check_source(p["source"])
    ident = str(uuid.uuid4())
    moment = now()
    anchor = {
        "trustAnchorId": ident,
        "trustAnchorArn": _arn(emu, region, "trust-anchor", ident),
        "name": p["name"],
        "source": p["source"],
        "enabled": p.get("enabled", False),
        "createdAt": moment,
        "updatedAt": moment,
        "notificationSettings": _merge_notifications(
            default_notification_settings(), p.get("notificationSettings") or [], emu.account_id
        ),
    }
    state.anchors[ident] = anchor
    _store_tags(state, anchor["trustAnchorArn"], p.get("tags"))
    return {"trustAnchor": anchor}


@operation("UpdateTrustAnchor")
def _update_anchor(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    anchor = _get(state.anchors, p["trustAnchorId"], "Trust anchor")
    if "source" in p:
        _check_source(p["source"])
        anchor["source"] = p["source"]
    if "name" in p:
        anchor["name"] = p["name"]
    return {"trustAnchor": _touch(anchor)}


def _merge_notifications(
    current: list[JSON], updates: list[JSON], configured_by: str
) -> list[JSON]:
    """Each update replaces the setting with the same (event, channel)."""
    merged = {(s["event"], s.get("channel", "ALL")): s for s in current}
    for update in updates:
        if update.get("enabled") and "threshold" not in update:
            raise invalid("threshold is required for an enabled notification setting")
        key = (update["event"], update.get("channel", "ALL"))
        setting = {"channel": "ALL", **update, "configuredBy": configured_by}
        if "threshold" not in setting and key in merged:
            setting["threshold"] = merged[key].get("threshold")
        merged[key] = setting
    return list(merged.values())


@operation("PutNotificationSettings")
def _put_notifications(
    emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON
) -> JSON:
    anchor = _get(state.anchors, p["trustAnchorId"], "Trust anchor")
    anchor["notificationSettings"] = _merge_notifications(
        anchor["notificationSettings"], p["notificationSettings"], emu.account_id
    )
    return {"trustAnchor": _touch(anchor)}


@operation("ResetNotificationSettings")
def _reset_notifications(
    emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON
) -> JSON:
    anchor = _get(state.anchors, p["trustAnchorId"], "Trust anchor")
    defaults = {(s["event"], s["channel"]): s for s in default_notification_settings()}
    current = {(s["event"], s.get("channel", "ALL")): s for s in anchor["notificationSettings"]}
    for key_spec in p["notificationSettingKeys"]:
        key = (key_spec["event"], key_spec.get("channel", "ALL"))
        if key in defaults:
            current[key] = defaults[key]
    anchor["notificationSettings"] = list(current.values())
    return {"trustAnchor": _touch(anchor)}


# Profiles


def _check_session_policy(text: str | None) -> None:
    if text is None:
        return
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise invalid(f"sessionPolicy is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or "Statement" not in document:
        raise invalid("sessionPolicy is not a policy document (no Statement)")


@operation("CreateProfile")
def _create_profile(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    _check_session_policy(p.get("sessionPolicy"))
    ident = str(uuid.uuid4())
    moment = now()
    profile = {
        "profileId": ident,
        "profileArn": _arn(emu, region, "profile", ident),
        "name": p["name"],
        "requireInstanceProperties": p.get("requireInstanceProperties", False),
        "enabled": p.get("enabled", False),
        "createdBy": f"arn:aws:iam::{emu.account_id}:user/sandbox",
        "sessionPolicy": p.get("sessionPolicy"),
        "roleArns": list(p["roleArns"]),
        "managedPolicyArns": list(p.get("managedPolicyArns") or []),
        "createdAt": moment,
        "updatedAt": moment,
        "durationSeconds": p.get("durationSeconds", DEFAULT_DURATION_SECONDS),
        "acceptRoleSessionName": p.get("acceptRoleSessionName", False),
        "attributeMappings": json.loads(json.dumps(DEFAULT_MAPPINGS)),
    }
    state.profiles[ident] = profile
    _store_tags(state, profile["profileArn"], p.get("tags"))
    return {"profile": profile}


@operation("UpdateProfile")
def _update_profile(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    profile = _get(state.profiles, p["profileId"], "Profile")
    _check_session_policy(p.get("sessionPolicy"))
    duration = p.get("durationSeconds")
    if duration is not None and not 900 <= duration <= 43200:
        raise invalid("durationSeconds must be between 900 and 43200")
    for key in (
        "name",
        "sessionPolicy",
        "roleArns",
        "managedPolicyArns",
        "durationSeconds",
        "acceptRoleSessionName",
    ):
        if key in p:
            profile[key] = p[key]
    return {"profile": _touch(profile)}


def _mappings(profile: JSON) -> Iterator[JSON]:
    yield from profile.get("attributeMappings") or []


@operation("PutAttributeMapping")
def _put_mapping(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    """Replaces the rules of one certificate field (adds the field when it has none)."""
    profile = _get(state.profiles, p["profileId"], "Profile")
    others = [m for m in _mappings(profile) if m["certificateField"] != p["certificateField"]]
    mapping = {"certificateField": p["certificateField"], "mappingRules": p["mappingRules"]}
    profile["attributeMappings"] = sorted(
        [*others, mapping], key=lambda m: str(m["certificateField"])
    )
    return {"profile": _touch(profile)}


@operation("DeleteAttributeMapping")
def _delete_mapping(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    """Drops the given specifiers of a field, or the whole field when none are given."""
    profile = _get(state.profiles, p["profileId"], "Profile")
    kept = []
    for mapping in _mappings(profile):
        if mapping["certificateField"] == p["certificateField"]:
            drop = set(p.get("specifiers") or [])
            rules = [r for r in mapping["mappingRules"] if drop and r["specifier"] not in drop]
            if rules:
                kept.append({**mapping, "mappingRules": rules})
        else:
            kept.append(mapping)
    profile["attributeMappings"] = kept
    return {"profile": _touch(profile)}


# CRLs


def _check_crl(data: bytes) -> None:
    """The service wants a PEM CRL (RA-UG p.50)."""
    from cryptography import x509

    try:
        x509.load_pem_x509_crl(data)
    except ValueError as exc:
        raise invalid(f"crlData is not a PEM certificate revocation list: {exc}") from exc


_ANCHOR_ARN = re.compile(r"^arn:aws[a-z-]*:rolesanywhere:([a-z0-9-]+):(\d{12}):trust-anchor/.+$")


@operation("ImportCrl")
def _import_crl(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    match = _ANCHOR_ARN.match(p["trustAnchorArn"])
    if not match or match.group(1) != region or match.group(2) != emu.account_id:
        raise invalid("trustAnchorArn must be a trust anchor of this account and region")
    _check_crl(p["crlData"])
    ident = str(uuid.uuid4())
    moment = now()
    crl = {
        "crlId": ident,
        "crlArn": _arn(emu, region, "crl", ident),
        "name": p["name"],
        "enabled": p.get("enabled", False),
        "crlData": p["crlData"],
        "trustAnchorArn": p["trustAnchorArn"],
        "createdAt": moment,
        "updatedAt": moment,
    }
    state.crls[ident] = crl
    _store_tags(state, crl["crlArn"], p.get("tags"))
    return {"crl": crl}


@operation("UpdateCrl")
def _update_crl(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    crl = _get(state.crls, p["crlId"], "CRL")
    if "crlData" in p:
        _check_crl(p["crlData"])
        crl["crlData"] = p["crlData"]
    if "name" in p:
        crl["name"] = p["name"]
    return {"crl": _touch(crl)}


# Get, List, Delete, Enable and Disable work alike for trust anchors, profiles and CRLs.


@dataclass(frozen=True)
class _Kind:
    """One resource kind: its operation suffix, store, id parameter and output members."""

    name: str  # operation suffix: GetTrustAnchor, ListTrustAnchors, ...
    store: str  # RegionState attribute
    id_param: str
    arn_field: str
    one: str  # output member of Get/Delete/Enable/Disable
    many: str  # output member of List
    label: str  # for "not found" messages


_KINDS = (
    _Kind(
        "TrustAnchor",
        "anchors",
        "trustAnchorId",
        "trustAnchorArn",
        "trustAnchor",
        "trustAnchors",
        "Trust anchor",
    ),
    _Kind("Profile", "profiles", "profileId", "profileArn", "profile", "profiles", "Profile"),
    _Kind("Crl", "crls", "crlId", "crlArn", "crl", "crls", "CRL"),
)


def _register_common(kind: _Kind) -> None:
    def items(state: RegionState) -> dict[str, JSON]:
        store: dict[str, JSON] = getattr(state, kind.store)
        return store

    def get(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
        return {kind.one: _get(items(state), p[kind.id_param], kind.label)}

    def list_all(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
        found, token = page(list(items(state).values()), p)
        return {kind.many: found, "nextToken": token}

    def delete(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
        item = _get(items(state), p[kind.id_param], kind.label)
        del items(state)[p[kind.id_param]]
        state.tags.pop(item[kind.arn_field], None)
        return {kind.one: item}

    def set_enabled(enabled: bool) -> Handler:
        def handler(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
            item = _get(items(state), p[kind.id_param], kind.label)
            item["enabled"] = enabled
            return {kind.one: _touch(item)}

        return handler

    operation(f"Get{kind.name}")(get)
    operation(f"List{kind.name}s")(list_all)
    operation(f"Delete{kind.name}")(delete)
    operation(f"Enable{kind.name}")(set_enabled(True))
    operation(f"Disable{kind.name}")(set_enabled(False))


for _kind in _KINDS:
    _register_common(_kind)


# Subjects (created by CreateSession on the real service; seeded from files here)


@operation("ListSubjects")
def _list_subjects(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    items, token = page(list(state.subjects.values()), p)
    return {"subjects": items, "nextToken": token}


@operation("GetSubject")
def _get_subject(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    subject = _get(state.subjects, p["subjectId"], "Subject")
    return {"subject": {"credentials": [], "instanceProperties": [], **subject}}


# Tags


def _tagged(state: RegionState, arn: str) -> JSON:
    item = state.by_arn(arn)
    if item is None:
        raise not_found("Resource", arn)
    return item


@operation("ListTagsForResource")
def _list_tags(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    _tagged(state, p["resourceArn"])
    tags = state.tags.get(p["resourceArn"], {})
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}


@operation("TagResource")
def _tag(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    _tagged(state, p["resourceArn"])
    tags = {**state.tags.get(p["resourceArn"], {}), **{t["key"]: t["value"] for t in p["tags"]}}
    if len(tags) > MAX_TAGS:
        raise ServiceError("TooManyTagsException", f"at most {MAX_TAGS} tags per resource")
    state.tags[p["resourceArn"]] = tags
    return {}


@operation("UntagResource")
def _untag(emu: RolesAnywhereEmulator, state: RegionState, region: str, p: JSON) -> JSON:
    _tagged(state, p["resourceArn"])
    tags = state.tags.get(p["resourceArn"], {})
    for key in p["tagKeys"]:
        tags.pop(key, None)
    return {}


# --- seeding from export-format records ------------------------------------------------------

#: inventory kind -> (output shape, id key, ARN key, RegionState attribute)
RECORD_KINDS = {
    "trust_anchors": ("TrustAnchorDetail", "trustAnchorId", "trustAnchorArn", "anchors"),
    "profiles": ("ProfileDetail", "profileId", "profileArn", "profiles"),
    "crls": ("CrlDetail", "crlId", "crlArn", "crls"),
    "subjects": ("SubjectSummary", "subjectId", "subjectArn", "subjects"),
}


def from_jsonable(shape: Shape, value: Any) -> Any:
    """An export-format value (ISO timestamps, base64 or PEM blobs) -> the stored form."""
    if value is None:
        return None
    if shape.type_name == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        return {
            name: from_jsonable(member, value[name])
            for name, member in shape.members.items()
            if name in value
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [from_jsonable(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if shape.type_name == "timestamp" and isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if shape.type_name == "blob" and isinstance(value, str):
        if value.lstrip().startswith("-----BEGIN"):
            return value.encode()
        return base64.b64decode(value)
    return value


def _record_defaults(kind: str) -> JSON:
    """What the real service always returns, for records written by hand."""
    moment = now()
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
            attributeMappings=json.loads(json.dumps(DEFAULT_MAPPINGS)),
        )
    return base


def seed_record(emu: RolesAnywhereEmulator, kind: str, raw: JSON) -> None:
    """Store one export-format record (``TrustAnchorDetail``...) in its ARN's region.

    Raises:
        ValueError: the record has no usable ARN or a malformed timestamp/blob.
    """
    shape_name, id_key, arn_key, attr = RECORD_KINDS[kind]
    record = from_jsonable(emu.model.shape_for(shape_name), raw)
    arn = str(record.get(arn_key) or "")
    parts = arn.split(":")
    if len(parts) < 6 or not parts[3]:
        raise ValueError(f"{arn_key} {arn!r} is not a regional ARN")
    record.setdefault(id_key, arn.rsplit("/", 1)[-1])
    defaults = _record_defaults(kind)
    store: dict[str, JSON] = getattr(emu.region(parts[3]), attr)
    store[record[id_key]] = {**defaults, **{k: v for k, v in record.items() if v is not None}}

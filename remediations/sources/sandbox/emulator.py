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

This module routes and answers; ``service.py`` holds the state and errors, ``wire.py`` the
model-driven (de)serialization, ``operations.py`` the handlers.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from remediations.sources.sandbox.operations import OPERATIONS
from remediations.sources.sandbox.service import (
    JSON,
    RegionState,
    Response,
    ServiceError,
    invalid,
    record_defaults,
)
from remediations.sources.sandbox.wire import deserialize, query_value, serialize, validate_input


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
                params[name] = query_value(member, values[wire])
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


def seed_record(
    emu: RolesAnywhereEmulator, kind: str, raw: JSON, *, created: datetime | None = None
) -> None:
    """Store one export-format record (``TrustAnchorDetail``...) in its ARN's region
    (``created``: the date of a record that has none, default now).

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
    defaults = record_defaults(kind, created)
    store: dict[str, JSON] = getattr(emu.region(parts[3]), attr)
    store[record[id_key]] = {**defaults, **{k: v for k, v in record.items() if v is not None}}

"""Model-driven (de)serialization, input validation and pagination, as the real service does them."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape, StructureShape

from remediations.sources.sandbox.service import (
    DEFAULT_PAGE_SIZE,
    JSON,
    MAX_PAGE_SIZE,
    TOKEN_PREFIX,
    invalid,
)


def query_value(shape: Shape, raw: list[str]) -> Any:
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
    return base64.urlsafe_b64encode(f"{TOKEN_PREFIX}{offset}".encode()).decode()


def _decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith(TOKEN_PREFIX):
            raise ValueError(token)
        return int(text[len(TOKEN_PREFIX) :])
    except (ValueError, binascii.Error) as exc:
        raise invalid("nextToken is not valid") from exc

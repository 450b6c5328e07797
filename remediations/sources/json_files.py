"""The JSON files of ``--from-file``, read safely: folders expanded to their regular files,
bytes decoded (UTF-8 with or without BOM), JSON parsed fast (msgspec, json for what it
refuses) with huge numbers bounded, and odd text (lone surrogates) repaired into warnings."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from remediations.errors import InputError
from remediations.inputs import InputLimits, read_input
from remediations.sources.convert import (
    ARN_KEYS,
)
from remediations.textsafe import shown


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder; a path the system cannot even look up (too long, a loop
    of links) is an :class:`InputError`."""
    try:
        return path.is_dir()
    except OSError as exc:
        raise InputError(f"{shown(path, limit=200)}: cannot read ({exc.strerror or exc})") from None


def expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if is_folder(path):
            files.extend(_folder_files(path))
        else:
            files.append(path)
    if not files:
        raise InputError("--from-file: no files given")
    return files


def _folder_files(path: Path) -> list[Path]:
    """The regular ``*.json`` files of a folder, sorted; an unreadable folder says so (a
    glob would quietly find nothing in it)."""
    name = shown(path, limit=200)
    try:
        with os.scandir(path) as entries:
            found = sorted(
                Path(e.path) for e in entries if e.name.endswith(".json") and _regular(e)
            )
    except PermissionError:
        raise InputError(f"{name}: cannot read this folder (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read this folder ({exc.strerror or exc})") from None
    if not found:
        raise InputError(f"{name}: no *.json files in this directory")
    return found


def _regular(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def read_json(
    path: Path,
    limits: InputLimits | None = None,
    repaired: list[tuple[str, str | None]] | None = None,
) -> Any:
    """The parsed JSON of a file, or an :class:`InputError` saying why it cannot be read.

    Text that is not valid Unicode (a lone surrogate such as ``\\ud800``, which only a JSON
    escape can bring in) is replaced with U+FFFD (:func:`repair_text`), so that no later step
    meets a string it cannot print or encode; ``repaired`` receives where.
    """
    name = shown(path, limit=200)
    data = read_input(path, limits)
    if not data or data.isspace():
        raise InputError(f"{name}: the file is empty")
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff") and data[:3] != b"\xef\xbb\xbf":
        try:
            return _fast_decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            pass  # the standard parser accepts what this one refuses, or says what is wrong
    text = _decode(path, data)
    try:
        top = _loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"{name}: not valid JSON (nested too deeply)") from None
    if _SURROGATE_ESCAPE.search(text):
        found = repair_text(top)
        if repaired is not None:
            repaired.extend(found)
    return top


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        # A number of more digits than Python converts (4,300): read it again with such
        # numbers kept as a huge value, which the fields that hold numbers report on.
        return json.loads(text, parse_int=_bounded_int)


#: What a JSON integer of more digits than Python converts is read as.
HUGE_NUMBER = 10**100


def _bounded_int(text: str) -> int:
    return (
        int(text)
        if len(text.lstrip("-")) < 4000
        else -HUGE_NUMBER
        if text[0] == "-"
        else HUGE_NUMBER
    )


#: A JSON escape of a surrogate code point: only those can put one in the parsed text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


def repair_text(top: Any) -> list[tuple[str, str | None]]:
    """Replace lone surrogates in every string (keys too) of ``top`` with U+FFFD, in place.

    Returns where each repaired value was (a JSON path) and the ARN of the resource it was
    in, when the value was inside one.
    """
    found: list[tuple[str, str | None]] = []
    stack: list[tuple[Any, str, str | None]] = [(top, "", None)]
    while stack:
        node, where, arn = stack.pop()
        if isinstance(node, dict):
            arn = next((v for k in ARN_KEYS if isinstance(v := node.get(k), str)), arn)
            for key in list(node):
                value = node[key]
                if isinstance(key, str) and SURROGATE.search(key):
                    del node[key]
                    key = SURROGATE.sub("\ufffd", key)
                    node[key] = value
                    found.append((f"{where}.{key}", arn))
                if isinstance(value, str):
                    if SURROGATE.search(value):
                        node[key] = SURROGATE.sub("\ufffd", value)
                        found.append((f"{where}.{key}", arn))
                elif isinstance(value, (dict, list)):
                    stack.append((value, f"{where}.{key}", arn))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if SURROGATE.search(value):
                        node[index] = SURROGATE.sub("\ufffd", value)
                        found.append((f"{where}[{index}]", arn))
                elif isinstance(value, (dict, list)):
                    stack.append((value, f"{where}[{index}]", arn))
    return found


#: msgspec's JSON decoder: three times the speed of ``json`` on a large export, and what it
#: accepts it reads exactly as ``json`` does (integers of any size included). What it refuses
#: (NaN, numbers out of range, lone surrogates, bad UTF-8, malformed text) goes to ``json``.
_fast_decode = msgspec.json.Decoder().decode


def _decode(path: Path, data: bytes) -> str:
    # Windows PowerShell 5 redirects (`aws ... > file.json`) write UTF-16 with a BOM.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not valid UTF-16 text") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None

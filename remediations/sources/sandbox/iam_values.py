"""IAM values as they come back from moto's XML through botocore's parser, and whether they
come back at all unchanged (``direct.py`` answers only for those; anything else is read
through boto3)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from remediations.sources.sandbox.ra_lists import Unanswerable

#: What IAM's XML carries unchanged: no control characters (XML drops or rewrites them), no
#: surrounding white space, not empty.
_XML_CHANGES = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff\r%]")


def plain(*texts: str) -> None:
    """Strings that IAM's XML would carry unchanged (else only a read through boto3 can tell
    what botocore makes of them)."""
    for text in texts:
        if not isinstance(text, str) or not text or text != text.strip():
            raise Unanswerable(f"the IAM value {text!r} does not survive XML as it is")
    if _XML_CHANGES.search("".join(texts)):
        raise Unanswerable(f"an IAM value of {texts!r} does not survive XML as it is")


def returned_document(value: Any) -> Any:
    """A policy document as boto3 returns it: moto stores its text (``seed._text``: a parsed
    document as ``json.dumps`` writes it, in ASCII), sends it URL-encoded and botocore decodes
    the JSON. A parsed document comes back equal to itself (``json.loads`` inverts
    ``json.dumps``); text is answered only when XML and URL-decoding leave it as it is.
    """
    if not isinstance(value, str):
        return value
    if _XML_UNSAFE.search(value):
        raise Unanswerable("a policy document text that XML would change")
    try:
        return json.loads(value)
    except ValueError:
        raise Unanswerable("a policy document text that is not JSON") from None


def returned_trust(value: Any) -> Any:
    """A trust policy as boto3 returns it: unlike the other documents, moto sends its text
    without URL-encoding it, and botocore URL-decodes it all the same (a ``%41`` in a
    condition would come back as ``A``)."""
    if not isinstance(value, str):
        try:
            text = msgspec.json.encode(value)
        except (UnicodeEncodeError, TypeError, ValueError):  # a lone surrogate
            text = json.dumps(value).encode()
        if b"%" in text:
            raise Unanswerable("a trust policy with a % that botocore would decode")
    return returned_document(value)


def iso(moment: datetime) -> str:
    """A moment as moto's XML (its digits, read as UTC) and botocore's parser return it."""
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


_BUNDLE: dict[str, Any] = {}


def moto_aws_policies() -> dict[str, Any]:
    """moto's bundled AWS managed policies (name -> data), read from its data module alone:
    importing it through moto's package would load all of moto (half a second)."""
    if not _BUNDLE:
        import importlib.util

        spec = importlib.util.find_spec("moto")
        if spec is None or spec.origin is None:
            raise Unanswerable("moto is not installed")
        path = Path(spec.origin).parent / "iam" / "aws_managed_policies.py"
        loaded = importlib.util.spec_from_file_location("_rafix_moto_aws_policies", path)
        if loaded is None or loaded.loader is None:
            raise Unanswerable(f"cannot read {path}")
        module = importlib.util.module_from_spec(loaded)
        loaded.loader.exec_module(module)
        _BUNDLE.update(json.loads(module.aws_managed_policies_data))
    return _BUNDLE


__all__ = ["iso", "moto_aws_policies", "plain", "returned_document", "returned_trust"]

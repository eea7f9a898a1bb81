"""The body of ``GET /run-transformation`` (wire format of Seamless 1.x), parsed and checked.

``{"transformation_dict": {...}, "tf_checksum": "<64 hex>", "tf_dunder": {...},
"scratch": bool, "strict_dunder": bool, "record": bool}``. Every problem is a
:class:`~seamless_jobserver.errors.BadRequestError` (HTTP 400) naming the field.
The transformation checksum is recomputed from the dict: a result is only ever stored under
the checksum of the work that produced it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from seamless import Checksum

from seamless_transformer.transformation_dict import transformation_checksum

from .errors import BadRequestError

__all__ = ["RunRequest", "parse_run_request"]

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class RunRequest:
    """One validated run-transformation request."""

    transformation_dict: dict[str, Any]
    tf_checksum: Checksum
    tf_dunder: dict[str, Any]
    scratch: bool
    strict_dunder: bool
    record: bool
    #: the client cannot read the known result's buffer: execute again, do not look it up
    #: (request header ``Seamless-Recompute``, not part of the 1.x body)
    recompute: bool = False


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequestError(f"must be true or false, not {value!r}", field=name)
    return value


def parse_run_request(raw: bytes | str) -> RunRequest:
    """Parse and check a request body; raises BadRequestError."""
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"the body is not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadRequestError(f"the body must be a JSON object, not {type(body).__name__}")
    tf_dict = body.get("transformation_dict")
    if not isinstance(tf_dict, dict):
        raise BadRequestError("must be a JSON object", field="transformation_dict")
    for key in ("__language__", "__output__"):
        if key not in tf_dict:
            raise BadRequestError(f"has no '{key}'", field="transformation_dict")
    tf_hex = body.get("tf_checksum")
    if not isinstance(tf_hex, str) or not _HEX64.fullmatch(tf_hex):
        raise BadRequestError(
            f"must be a 64-character lowercase hex checksum, not {tf_hex!r}", field="tf_checksum"
        )
    try:
        computed = transformation_checksum(tf_dict)
    except (ValueError, TypeError) as exc:
        raise BadRequestError(str(exc), field="transformation_dict") from None
    if computed.hex() != tf_hex:
        raise BadRequestError(
            f"{tf_hex} is not the checksum of the transformation dict ({computed.hex()})",
            field="tf_checksum",
        )
    tf_dunder = body.get("tf_dunder") or {}
    if not isinstance(tf_dunder, dict):
        raise BadRequestError("must be a JSON object or null", field="tf_dunder")
    return RunRequest(
        transformation_dict=tf_dict,
        tf_checksum=computed,
        tf_dunder=tf_dunder,
        scratch=_flag(body, "scratch"),
        strict_dunder=_flag(body, "strict_dunder"),
        record=_flag(body, "record"),
    )

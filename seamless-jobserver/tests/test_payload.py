"""Parsing the run-transformation body (pure logic)."""

from __future__ import annotations

import json

import pytest
import wire

from seamless_jobserver.errors import BadRequestError
from seamless_jobserver.payload import parse_run_request


def add(a, b):
    return a + b


def _raw(body: dict) -> bytes:
    return wire.wire_body(body)


def test_valid_body_round_trips():
    body = wire.build_request(add, 19, 23)
    request = parse_run_request(_raw({**body, "scratch": True, "tf_dunder": None}))
    assert request.tf_checksum.hex() == body["tf_checksum"]
    assert request.scratch is True and request.record is False and request.tf_dunder == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scratch": "yes"}, "scratch"),
        ({"record": 1}, "record"),
        ({"tf_dunder": [1]}, "tf_dunder"),
        ({"tf_checksum": "A" * 64}, "tf_checksum"),
        ({"transformation_dict": {"__language__": "python"}}, "transformation_dict"),
        (
            {"transformation_dict": {"__language__": "python", "__output__": [], "__x__": 1}},
            "transformation_dict",
        ),
    ],
)
def test_bad_fields_are_named(change, field):
    body = {**wire.build_request(add, 1, 2), **change}
    with pytest.raises(BadRequestError) as info:
        parse_run_request(_raw(body))
    assert info.value.field == field
    assert f"field '{field}'" in str(info.value)


def test_not_json():
    with pytest.raises(BadRequestError, match="not valid JSON"):
        parse_run_request(b"\xff\xfe")
    with pytest.raises(BadRequestError, match="JSON object"):
        parse_run_request(json.dumps("x"))

"""Golden values: the transformation dict and checksum are Seamless 1.x compatible."""

from __future__ import annotations

import hashlib

import pytest
from seamless import Buffer, Checksum

from seamless_transformer import delayed
from seamless_transformer.transformation_dict import (
    identity_dict,
    transformation_buffer_bytes,
    transformation_checksum,
)

ADD_CHECKSUM = "b305d13f07b5d60227ab9085d44f9abc346793f684d20fd246b199907311a006"
ADD_CODE_CHECKSUM = "ba1a531f581d2e6094e978ed6f7aca7a8d92eeb62c6e7ad73ee692f7f18bc772"
BASH_CHECKSUM_PREFIX, BASH_CHECKSUM_SUFFIX = "c9afa372", "3e79a"


def add_dict() -> dict:
    return {
        "__language__": "python",
        "__output__": ["result", "mixed", None],
        "a": ["mixed", None, Buffer(19, "mixed").get_checksum().hex()],
        "b": ["mixed", None, Buffer(23, "mixed").get_checksum().hex()],
        "code": ["python", "transformer", ADD_CODE_CHECKSUM],
    }


def test_add_golden_checksum_from_dict():
    assert transformation_checksum(add_dict()).hex() == ADD_CHECKSUM


def test_add_golden_checksum_from_transformer():
    @delayed
    def add(a, b):
        return a + b

    tf = add(19, 23)
    assert tf.construct() == Checksum(ADD_CHECKSUM)
    tf_dict = tf.build_dict()
    assert tf_dict["code"][2] == ADD_CODE_CHECKSUM
    assert hashlib.sha256(b"def add(a, b):\n    return a + b\n").hexdigest() == ADD_CODE_CHECKSUM


def test_orthogonal_keys_leave_checksum_unchanged():
    d = add_dict()
    d["__meta__"] = {"local": True, "scratch": True, "resources": {"ncores": 4}}
    d["__env__"] = "00" * 32
    d["__deps__"] = {"a": "11" * 32}
    d["META__X"] = ["str", None, "22" * 32]
    assert transformation_checksum(d).hex() == ADD_CHECKSUM


def test_celltype_is_load_bearing():
    d = add_dict()
    d["a"][0] = "int"
    assert transformation_checksum(d).hex() != ADD_CHECKSUM


def test_unknown_dunder_rejected():
    d = add_dict()
    d["__typo__"] = 1
    with pytest.raises(ValueError, match="Unknown transformation dunder key '__typo__'"):
        transformation_checksum(d)


def test_bash_golden_checksum():
    file_cs = hashlib.sha256(b"hello\nworld\n").hexdigest()
    code_cs = hashlib.sha256(b"(\ncat a.txt | tac\n) > RESULT\n").hexdigest()
    d = {
        "__format__": {"a.txt": {"filesystem": {"mode": "file", "optional": True}}},
        "__language__": "bash",
        "__output__": ["result", "bytes", None],
        "a.txt": ["bytes", None, file_cs],
        "code": ["text", None, code_cs],
    }
    hexsum = transformation_checksum(d).hex()
    assert hexsum.startswith(BASH_CHECKSUM_PREFIX) and hexsum.endswith(BASH_CHECKSUM_SUFFIX)
    assert hashlib.sha256(transformation_buffer_bytes(d)).hexdigest() == hexsum


def test_identity_buffer_is_plain_serialization():
    d = add_dict()
    assert transformation_buffer_bytes(d) == Buffer(identity_dict(d), "plain").content

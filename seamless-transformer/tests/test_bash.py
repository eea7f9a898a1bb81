"""Bash transformers (the Python face): pins as files and variables, RESULT file or directory."""

from __future__ import annotations

import pytest

from seamless_transformer import TransformationError, direct
from seamless_transformer.errors import BashTransformationError


def test_head_with_env_variable_pin():
    tf = direct("head -$lines testdata > RESULT", "bash")
    tf.celltypes.testdata = "text"
    tf.celltypes.lines = "int"
    tf.celltypes.result = "text"
    assert tf(testdata="a\nb\nc\nd\n", lines=2) == "a\nb"
    assert tf.language == "bash"


def test_result_directory_becomes_dict():
    tf = direct("mkdir -p RESULT/sub; echo 1 > RESULT/x; echo hi > RESULT/sub/y.txt", "bash")
    assert tf() == {"x": 1, "sub/y.txt": "hi\n"}


def test_json_and_bytes_pins():
    tf = direct("cat data.json > RESULT", "bash")
    tf.celltypes["data.json"] = "plain"
    assert tf(**{"data.json": {"k": [1, 2]}}) == {"k": [1, 2]}
    raw = direct("wc -c < blob > RESULT", "bash")
    raw.celltypes.blob = "bytes"
    raw.celltypes.result = "str"
    assert raw(blob=b"\x00\x01\x02").strip() == "3"


def test_nonzero_exit_is_an_exception():
    tf = direct("echo oops >&2; exit 3", "bash")
    with pytest.raises(TransformationError) as info:
        tf()
    assert "Return code 3" in str(info.value)
    assert "oops" in str(info.value)
    assert issubclass(BashTransformationError, TransformationError)


def test_missing_result_is_an_exception():
    tf = direct("true", "bash")
    with pytest.raises(TransformationError, match="did not create RESULT"):
        tf()


def test_bash_code_pin_is_text_transformer():
    from seamless_transformer import delayed

    tf = delayed("echo hi > RESULT", "bash")()
    assert tf.build_dict()["code"][:2] == ["text", "transformer"]
    assert tf.build_dict()["__language__"] == "bash"

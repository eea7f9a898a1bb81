"""Regression tests for the Seamless 1.x transformer bugs we fix (reference section 6)."""

from __future__ import annotations

import gc

import numpy as np
from seamless import Checksum

from seamless_transformer import delayed, direct
from seamless_transformer.transformation_cache import get_transformation_cache


def test_dict_buffers_kept_alive_env_included():
    from seamless.caching.buffer_cache import get_buffer_cache

    @delayed
    def add(a, b):
        return a + b

    add.environment.set_conda_env("myenv")
    tf = add(add(1, 2), 3)
    inner = tf.upstream["a"]
    env_hex = inner.build_dict()["__env__"]
    gc.collect()
    assert get_buffer_cache().get(Checksum(env_hex)) is not None
    for buffer_checksum in [b.get_checksum() for b in inner.input_buffers()]:
        assert get_buffer_cache().get(buffer_checksum) is not None
    assert tf.run() == 6


def test_delayed_of_transformer_copies_state():
    @delayed
    def f(a, b):
        return a + b

    f.args.a = [1]
    g = delayed(f)
    g.local = True
    g.args.a.append(2)
    g.args.b = 5
    g.celltypes.b = "int"
    g.environment.set_conda_env("other")
    g.meta = {"resources": {"ncores": 3}}
    assert f.local is False
    assert f.args.a == [1]
    assert "b" not in f.args
    assert f.celltypes.b == "mixed"
    assert f.environment.get_conda_env() is None
    assert "resources" not in f.meta
    h = direct(f)
    h.args.a.append(3)
    assert f.args.a == [1]


def test_transformer_in_globals_fan_out():
    @delayed
    def process_one(item, factor):
        return item * factor

    @direct
    def process_all(items, factor):
        tfs = [process_one(item, factor) for item in items]
        for tf in tfs:
            tf.start()
        return [tf.run() for tf in tfs]

    process_all.globals.process_one = process_one
    assert process_all([1, 2, 3], 10) == [10, 20, 30]
    code = process_all._main_definition()["code"]
    assert "object at 0x" not in code
    # the inner transformations are the same as those built outside the driver
    inner_checksum = process_one(2, 10).construct()
    assert get_transformation_cache().get_result(inner_checksum) is not None
    # deterministic rendering
    assert process_all._main_definition()["code"] == code


def test_values_mutated_in_place_are_reserialized():
    @direct
    def total(d):
        return sum(d.values())

    d = {"a": 1, "b": 2}
    assert total(d) == 3
    d["a"] = 100
    assert total(d) == 102

    @direct
    def array_sum(arr):
        return float(arr.sum())

    arr = np.arange(10, dtype=float)
    assert array_sum(arr) == 45.0
    arr[0] = 1000.0
    assert array_sum(arr) == 1045.0


def test_64_char_string_stays_a_string():
    @direct
    def echo(s):
        return s

    hexlike = "ab" * 32
    assert echo(hexlike) == hexlike
    assert echo("z" * 64) == "z" * 64

    @direct
    def double(x):
        return x * 2

    @delayed
    def value(x):
        return x

    tf = value(21)
    tf.compute()
    assert double(Checksum(tf.result_checksum)) == 42


def test_none_is_a_valid_result():
    @delayed
    def nothing(x):
        return None

    tf = nothing(1)
    assert tf.compute() is not None
    assert tf.exception is None
    assert tf.run() is None

    block = direct("result = None")
    block.args.x = 1
    assert block() is None

"""The Transformation lifecycle: construct -> compute -> run, start, task, dependencies, errors."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from seamless import Checksum

from seamless_transformer import TransformationError, delayed, direct
from seamless_transformer.transformation_cache import get_transformation_cache


@delayed
def add(a, b):
    return a + b


@delayed
def slow_add(a, b):
    import time

    time.sleep(0.3)
    return a + b


@delayed
def fail(a):
    raise ValueError(f"boom {a}")


def test_lifecycle_states():
    tf = add(19, 23)
    with pytest.raises(TransformationError, match="not been constructed"):
        _ = tf.transformation_checksum
    with pytest.raises(TransformationError, match="not been constructed"):
        _ = tf.result_checksum
    checksum = tf.construct()
    assert tf.checksum == checksum
    with pytest.raises(TransformationError, match="not been computed"):
        _ = tf.result_checksum
    result = tf.compute()
    assert isinstance(result, Checksum)
    assert tf.result_checksum == result
    assert tf.run() == 42
    assert tf.value == 42
    assert tf.celltype == "mixed"
    assert "Status: OK" in repr(tf)


def test_exception_is_text_and_reraised():
    tf = fail(1)
    assert tf.compute() is None
    assert tf.status == "Status: exception"
    assert "ValueError: boom 1" in tf.exception
    with pytest.raises(TransformationError, match="(?s)returned an exception:\n.*boom 1"):
        _ = tf.result_checksum
    with pytest.raises(TransformationError, match="Transformation returned an exception"):
        tf.run()
    tf.clear_exception()
    assert tf.exception is None
    assert tf.compute() is None  # fails again, deterministically


def test_exceptions_are_not_cached():
    tf1 = fail(2)
    tf1.compute()
    executed = get_transformation_cache().stats["executed"]
    fail(2).compute()
    assert get_transformation_cache().stats["executed"] == executed + 1


def test_dependencies():
    inner = add(1, 2)
    outer = add(inner, 10)
    assert set(outer.dependencies) == {"a"}
    assert outer.run() == 13
    assert outer.dependencies == {}
    assert outer.build_dict()["a"][2] == inner.result_checksum.hex()
    assert outer.build_dict()["__deps__"] == {"a": inner.checksum.hex()}
    # the same transformation built from the value has the same checksum
    assert add(3, 10).construct() == outer.checksum


def test_dependency_exception_propagates():
    outer = add(fail(3), 1)
    assert outer.compute() is None
    assert outer.exception.startswith("Dependency 'a' has an exception:\n")
    assert "boom 3" in outer.exception


def test_build_dict_needs_dependency_results():
    outer = add(add(1, 2), 10)
    with pytest.raises(TransformationError, match="dependency pin 'a'"):
        outer.build_dict()
    result = Checksum(add(1, 2).build_dict()["a"][2])  # any checksum will do
    checksum = outer.construct_from({"a": result})
    assert outer.checksum == checksum
    assert outer.build_dict({"a": result})["a"][2] == result.hex()


def test_start_runs_in_background():
    tfs = [slow_add(i, 1) for i in range(4)]
    t0 = time.perf_counter()
    for tf in tfs:
        assert tf.start() is tf
    assert [tf.run() for tf in tfs] == [1, 2, 3, 4]
    assert time.perf_counter() - t0 < 1.0  # concurrent, not 4 x 0.3 s


def test_global_lock_serializes():
    # transformer code runs in a fresh namespace: import the lock inside the code
    code = delayed(
        "from seamless_transformer import global_lock\nimport time\n"
        "with global_lock:\n    time.sleep(0.2)\nresult = i\n"
    )
    tfs = [code(i=i) for i in range(3)]
    t0 = time.perf_counter()
    for tf in tfs:
        tf.start()
    assert [tf.run() for tf in tfs] == [0, 1, 2]
    assert time.perf_counter() - t0 >= 0.6


def test_async_task_and_computation():
    async def main():
        tfs = [slow_add(i, 100) for i in range(5)]
        results = await asyncio.gather(*(tf.task() for tf in tfs))
        checksum = await tfs[0].computation()
        assert checksum == tfs[0].result_checksum
        assert await tfs[0].construction() == tfs[0].checksum
        return results

    t0 = time.perf_counter()
    assert asyncio.run(main()) == [100, 101, 102, 103, 104]
    assert time.perf_counter() - t0 < 1.2


def test_identical_inflight_transformations_run_once():
    t1, t2 = slow_add(7, 8), slow_add(7, 8)
    cache = get_transformation_cache()
    executed = cache.stats["executed"]
    t1.start()
    t2.start()
    assert t1.run() == t2.run() == 15
    assert cache.stats["executed"] == executed + 1
    assert cache.stats["joined"] + cache.stats["memory_hits"] >= 1


def test_nested_direct_inside_direct():
    @direct
    def outer(x):
        from seamless.transformer import direct

        @direct
        def inner(y):
            import os

            return [y * 2, os.getpid()]

        value, pid = inner(x)
        return [value, pid]

    value, pid = outer(21)
    assert value == 42
    assert pid == os.getpid()


def test_cancel_is_terminal():
    tf = slow_add(50, 50).start()
    assert tf.cancel() is True
    assert tf.status == "Status: canceled"
    with pytest.raises(TransformationError, match="canceled"):
        _ = tf.result_checksum
    with pytest.raises(TransformationError):
        tf.clear_exception()
    assert tf.cancel() is False
    with pytest.raises(TransformationError, match="canceled"):
        tf.run()
    assert tf.compute() is None


def test_blocking_inside_loop_thread_is_refused():
    from seamless_transformer.event_loop import get_loop_registry

    tf = add(5, 5)
    loop = get_loop_registry().get_loop()

    async def blocking():
        with pytest.raises(RuntimeError, match="Cannot block on run"):
            add(6, 6).run()
        return await tf.task()

    assert asyncio.run_coroutine_threadsafe(blocking(), loop).result(10) == 10


def test_is_cached_needs_a_database():
    with pytest.raises(RuntimeError, match="needs a database"):
        add(1, 1).is_cached()


def test_logs_not_available():
    with pytest.raises(NotImplementedError):
        _ = add(1, 1).logs


def test_checksum_fingertip_recomputes_through_our_hooks():
    import gc

    from seamless.caching.buffer_cache import get_buffer_cache

    tf = add(1000, 2000)  # holds its input buffers; only the result buffer is lost
    result = tf.compute()
    tf._result_buffer = None
    cache = get_transformation_cache()
    cache._buffers.clear()
    gc.collect()
    get_buffer_cache().weak_cache.pop(result, None)
    executed = cache.stats["executed"]
    assert result.fingertip_sync("mixed") == 3000
    assert cache.stats["executed"] == executed + 1

"""parallel / parallel_async / TransformationList: bounded, ordered, with progress."""

from __future__ import annotations

import asyncio
import time

import pytest

from seamless_transformer import TransformationList, delayed, parallel, parallel_async


@delayed
def sleepy(i, delay):
    import time

    time.sleep(delay)
    return i * 10


@delayed
def maybe_fail(i):
    if i == 2:
        raise ValueError("two")
    return i


def test_parallel_is_bounded_and_ordered():
    tfs = [sleepy(i, 0.2) for i in range(6)]
    t0 = time.perf_counter()
    arrival = []
    values = []
    for tf in parallel(tfs, nparallel=2):
        arrival.append(time.perf_counter() - t0)
        values.append(tf.value)
    total = time.perf_counter() - t0
    assert values == [0, 10, 20, 30, 40, 50]
    assert arrival[0] < 0.45
    assert total >= 0.6  # 6 x 0.2 s with at most 2 at a time
    assert total < 1.2


def test_parallel_uses_config_nparallel():
    import seamless_config

    with pytest.raises(Exception, match="nparallel"):
        list(parallel([sleepy(1, 0)]))
    seamless_config.set_nparallel(3)
    tfs = [sleepy(i, 0.2) for i in range(3)]
    t0 = time.perf_counter()
    assert [tf.value for tf in parallel(tfs)] == [0, 10, 20]
    assert time.perf_counter() - t0 < 0.55


def test_parallel_async():
    async def main():
        out = []
        async for tf in parallel_async([sleepy(i, 0.1) for i in range(4)], nparallel=2):
            out.append(tf.value)
        return out

    assert asyncio.run(main()) == [0, 10, 20, 30]


def test_parallel_refuses_running_loop():
    async def main():
        with pytest.raises(RuntimeError, match="parallel_async"):
            next(iter(parallel([sleepy(1, 0)], nparallel=1)))

    asyncio.run(main())


def test_transformation_list_errors_and_counters(capsys):
    tlist = TransformationList([maybe_fail(i) for i in range(4)], nparallel=2, on_error="print")
    checksums = tlist.compute()
    assert checksums[2] is None and all(checksums[i] is not None for i in (0, 1, 3))
    assert tlist._finished == 3 and tlist._errors == 1 and tlist._cancelled == 0
    assert "ValueError: two" in tlist.exceptions[2]
    assert "Transformation 2 failed" in capsys.readouterr().out
    assert tlist._values() == [0, 1, None, 3]


def test_transformation_list_raise_and_store_details():
    tlist = TransformationList(
        [maybe_fail(i) for i in range(4)], nparallel=1, on_error="raise", show_progress=False
    )
    with pytest.raises(RuntimeError, match="Transformation 2 failed"):
        tlist.compute()
    light = TransformationList(
        [sleepy(i, 0) for i in range(3)], nparallel=2, store_details=True, show_progress=False
    )
    assert light.run() == [0, 10, 20]
    assert list(light) == [None, None, None]
    assert all(cs is not None for cs in light.result_checksums)


def test_transformation_list_progress_bar(capsys):
    tlist = TransformationList([sleepy(i, 0) for i in range(3)], nparallel=3, show_progress=True)
    tlist.compute()
    assert "transformations" in capsys.readouterr().err

"""The future cache: pinned while unfinished, TTL after completion, refreshed on access."""

import dask.config

from seamless_dask.future_cache import FutureCache


class FakeFuture:
    def __init__(self) -> None:
        self.finished = False

    def done(self) -> bool:
        return self.finished


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_unfinished_entries_never_expire() -> None:
    clock = Clock()
    cache: FutureCache[str] = FutureCache(ttl=10, clock=clock)
    fut = FakeFuture()
    cache.put("a", "value", [fut])
    clock.now += 3600
    assert cache.prune() == []
    assert cache.get("a") == "value"
    assert cache.is_pinned("a")


def test_ttl_starts_after_completion_and_refreshes() -> None:
    clock = Clock()
    cache: FutureCache[str] = FutureCache(ttl=10, clock=clock)
    fut = FakeFuture()
    cache.put("a", "value", [fut])
    clock.now += 100
    fut.finished = True
    cache.prune()  # starts the TTL
    assert not cache.is_pinned("a")
    clock.now += 8
    assert cache.get("a") == "value"  # refresh: expires at +18 now
    clock.now += 8
    assert cache.prune() == []
    assert "a" in cache
    clock.now += 3
    assert cache.prune() == ["value"]
    assert cache.get("a") is None
    assert len(cache) == 0


def test_all_futures_must_finish_and_add_futures_repins() -> None:
    clock = Clock()
    cache: FutureCache[str] = FutureCache(ttl=1, clock=clock)
    f1, f2 = FakeFuture(), FakeFuture()
    cache.put("a", "v", [f1])
    f1.finished = True
    cache.prune()
    cache.add_futures("a", [f2])
    clock.now += 5
    assert cache.prune() == []
    f2.finished = True
    cache.prune()
    clock.now += 2
    assert cache.prune() == ["v"]


def test_ttl_from_dask_config() -> None:
    cache: FutureCache[str] = FutureCache()
    assert cache.ttl == 10.0
    with dask.config.set({"seamless-dask.future-cache.ttl": "250ms"}):
        assert cache.ttl == 0.25


def test_discard_and_pop() -> None:
    cache: FutureCache[object] = FutureCache(ttl=1)
    value = object()
    cache.put("a", value, [])
    cache.put("b", value, [])
    cache.discard_value(value)
    assert len(cache) == 0
    cache.put("c", value, [])
    assert cache.pop("c") is value
    assert cache.pop("c") is None

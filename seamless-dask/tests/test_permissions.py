"""The anti-deadlock permission throttle: thresholds applied to load (occupied fraction)."""

import asyncio

import dask.config

from seamless_dask.permissions import PermissionManager, grants_for_load


def test_grants_follow_load_as_designed() -> None:
    assert grants_for_load(0.0, capacity=60) == 3  # low load: ceil(5 % of capacity)
    assert grants_for_load(0.2, capacity=6) == 1  # ... but at least one
    assert grants_for_load(0.5, capacity=60) == 1  # medium load: one per epoch
    assert grants_for_load(0.84, capacity=60) == 1
    assert grants_for_load(0.85, capacity=60) == 0  # high load: none
    assert grants_for_load(1.0, capacity=60) == 0


def test_below_capacity_granted_and_release_floor() -> None:
    pushed: list[int] = []
    manager = PermissionManager(workers=2, throttle=2, resource_updater=pushed.append)
    assert manager.capacity == 4 and manager.S == 2
    assert manager.try_request() and manager.try_request()
    assert not manager.try_request()  # at capacity
    manager.release()
    manager.release()
    manager.release()  # never below the worker count
    assert manager.S == 2
    assert pushed == [3, 4, 3, 2, 2]


def test_high_load_denies_at_once_low_load_waits_for_epoch() -> None:
    load = {"value": 0.9}
    manager = PermissionManager(workers=1, throttle=1, load_provider=lambda: load["value"])
    assert not manager.try_request()  # S starts at N = 1 = capacity N x T

    async def scenario() -> tuple[bool, list[bool]]:
        denied = await manager.request()
        load["value"] = 0.1
        with dask.config.set({"seamless-dask.throttle.epoch": "200ms"}):
            results = await asyncio.gather(*(manager.request() for _ in range(3)))
        return denied, results

    denied, results = asyncio.run(scenario())
    assert denied is False
    assert sorted(results) == [False, False, True]  # one grant at low load for capacity 1
    assert manager.S == 2


def test_retry_policy() -> None:
    draws = iter([0.5, 0.95])
    manager = PermissionManager(workers=1, rng=lambda: next(draws))
    assert manager.should_retry() is True
    assert manager.should_retry() is False

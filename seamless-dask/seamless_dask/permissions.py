"""The anti-deadlock permission throttle for nested transformations (thresholds on load:
docs/architecture.md, "Deliberate differences from Seamless 1.x", item 8).

Model: a Dask worker hosts N Seamless workers, each running up to T transformations, so it has
``N x T`` threads and starts with N units of the ``S`` resource (one per base task). A
transformation started from inside a running one (nested) must get permission before it is
submitted; a grant adds one ``S`` unit to this worker (so the nested base task can run while its
parent waits) and is released when the nested work completes.

- Below capacity (S < N x T): granted at once.
- At capacity, the decision depends on the **load** (occupied fraction of the worker's threads,
  0..1), as designed: load >= ``high-load`` (0.85): denied at once; otherwise the request waits
  for the next wall-clock epoch (``epoch``, 10 s), where the pending requests are shuffled and
  granted: 1 if load >= ``low-load`` (0.5), else ``max(1, ceil(grant-fraction x capacity))``;
  the rest are denied. (Seamless 1.x applied these thresholds to the *free* fraction.)
- A denied caller retries after ``retry-delay`` (90 %) or runs the work locally (10 %).
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections.abc import Callable

from seamless_config.registries import register_registry

from .config import get_seconds, get_setting


def grants_for_load(load: float, *, capacity: int) -> int:
    """How many pending requests one epoch grants at ``load`` (occupied fraction)."""
    if load >= float(get_setting("throttle.high-load")):
        return 0
    if load >= float(get_setting("throttle.low-load")):
        return 1
    return max(1, math.ceil(float(get_setting("throttle.grant-fraction")) * capacity))


class PermissionManager:
    """Process-local permission counter (see module docstring)."""

    def __init__(
        self,
        *,
        workers: int,
        throttle: int | None = None,
        load_provider: Callable[[], float] | None = None,
        resource_updater: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.workers = workers
        self.throttle = int(throttle or get_setting("throttle.transformation-throttle"))
        self.capacity = self.workers * self.throttle
        self._load = load_provider or (lambda: 0.0)
        self._update = resource_updater
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self.S = workers
        self._pending: list[asyncio.Future[bool]] = []
        self._epoch_task: asyncio.Task[None] | None = None

    def _set(self, value: int) -> None:
        self.S = value
        if self._update is not None:
            self._update(value)

    def load(self) -> float:
        """Current load (occupied fraction of the worker's threads)."""
        return float(self._load())

    def try_request(self) -> bool:
        """Grant at once if below capacity (non-blocking)."""
        with self._lock:
            if self.S < self.capacity:
                self._set(self.S + 1)
                return True
            return False

    def next_epoch(self) -> float:
        """Wall-clock time of the next epoch boundary."""
        epoch = get_seconds("throttle.epoch")
        return math.floor(self._clock() / epoch) * epoch + epoch

    async def request(self) -> bool:
        """Ask for one permission; True when granted (S grew by one), False when denied."""
        if self.try_request():
            return True
        if self.load() >= float(get_setting("throttle.high-load")):
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append(future)
        if self._epoch_task is None or self._epoch_task.done():
            self._epoch_task = loop.create_task(self._run_epoch())
        return await future

    async def _run_epoch(self) -> None:
        await asyncio.sleep(max(0.0, self.next_epoch() - self._clock()))
        pending, self._pending = self._pending, []
        random.shuffle(pending)
        ngrants = grants_for_load(self.load(), capacity=self.capacity)
        for i, future in enumerate(pending):
            if future.done():
                continue
            granted = i < ngrants
            if granted:
                with self._lock:
                    self._set(self.S + 1)
            future.set_result(granted)

    def release(self) -> None:
        """Give one permission back (S never drops below N)."""
        with self._lock:
            self._set(max(self.workers, self.S - 1))

    def should_retry(self) -> bool:
        """After a denial: retry (90 %) or run locally (10 %)."""
        return self._rng() < 0.9


class PermissionRegistry:
    """Holds this process's PermissionManager (configured by the worker plugin)."""

    def __init__(self) -> None:
        self.manager: PermissionManager | None = None

    def reset(self) -> None:
        self.manager = None


_permission_registry = register_registry("seamless_dask.permissions", PermissionRegistry())


def get_permission_registry() -> PermissionRegistry:
    """The process-wide permission registry."""
    return _permission_registry


__all__ = ["PermissionManager", "PermissionRegistry", "get_permission_registry", "grants_for_load"]

"""The future cache: checksum -> Dask future(s), pinned while unfinished, expiring after completion.

Seed 000 point 5: nothing a caller may still wait for is ever dropped by expiry. An entry is
*pinned* (no expiry) as long as any of its futures is unfinished. Once all are finished, it
expires ``ttl`` seconds later (``seamless-dask.future-cache.ttl``, default 10 s); every
access refreshes the expiry. Dropping an entry only drops our reference: a future that someone
else still holds is not released or canceled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from .config import get_seconds


class _Finishable(Protocol):
    def done(self) -> bool: ...


V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    value: V
    futures: tuple[_Finishable, ...]
    expiry: float | None = None  # None: pinned (unfinished, or not yet seen finished)
    extra: dict[str, Any] = field(default_factory=dict)

    def finished(self) -> bool:
        return all(f.done() for f in self.futures)


class FutureCache(Generic[V]):
    """Thread-safe mapping of checksum hex -> value with pin-until-done and a TTL after that."""

    def __init__(
        self,
        *,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry[V]] = {}
        self._lock = threading.RLock()

    @property
    def ttl(self) -> float:
        """Seconds a finished entry survives its last access."""
        return self._ttl if self._ttl is not None else get_seconds("future-cache.ttl")

    def put(self, key: str, value: V, futures: Iterable[_Finishable]) -> None:
        """Store ``value``; it stays pinned while any of ``futures`` is unfinished."""
        with self._lock:
            self._entries[key] = _Entry(value, tuple(futures))

    def add_futures(self, key: str, futures: Iterable[_Finishable]) -> None:
        """Pin an existing entry until ``futures`` are finished too (e.g. a lazily made fat)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.futures = entry.futures + tuple(futures)
                entry.expiry = None

    def get(self, key: str) -> V | None:
        """The value for ``key`` (refreshing its expiry), or None when absent or expired."""
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expiry is not None and entry.expiry <= now:
                del self._entries[key]
                return None
            if entry.finished():
                entry.expiry = now + self.ttl
            return entry.value

    def pop(self, key: str) -> V | None:
        """Remove and return the value for ``key``."""
        with self._lock:
            entry = self._entries.pop(key, None)
            return None if entry is None else entry.value

    def discard_value(self, value: V) -> None:
        """Remove every entry holding ``value`` (identity)."""
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.value is value]:
                del self._entries[key]

    def prune(self) -> list[V]:
        """Start the TTL of newly finished entries and drop the expired ones; returns them."""
        dropped: list[V] = []
        with self._lock:
            now = self._clock()
            for key, entry in list(self._entries.items()):
                if entry.expiry is None:
                    if entry.finished():
                        entry.expiry = now + self.ttl
                elif entry.expiry <= now:
                    dropped.append(entry.value)
                    del self._entries[key]
        return dropped

    def is_pinned(self, key: str) -> bool:
        """True while the entry exists and has no expiry (unfinished futures)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry.expiry is None

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


__all__ = ["FutureCache"]

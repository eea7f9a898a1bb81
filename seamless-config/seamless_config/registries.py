"""The list of every process-wide registry, so that one call resets them all (test isolation).

Each package keeps its process-wide state in module-level registries (``_x_registry``, reached
through ``get_x_registry()``, with a ``reset()`` method). A module declares each one here when it
creates it::

    _x_registry = register_registry("seamless_remote.x", XRegistry())

:func:`reset_registries` then resets every registry declared so far, the most recently declared
first (packages higher in the layers import the lower ones first, so they are reset first). A
registry whose module was never imported holds no state, so it needs no reset.

A module-level table that is filled once at import time and must survive a reset (a hook that a
higher package registers when it is imported) is declared with :func:`register_static`, with the
reason. The test harness (the ``seamless-testing`` pytest plugin under ``common/testing``) calls
:func:`reset_registries` around every test, and its self-check fails on any module-level registry,
cache or mutable container in our packages that was declared neither way.

This module lives in the lowest package so that library code never depends on test code.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

__all__ = [
    "Resettable",
    "StaticEntry",
    "register_registry",
    "register_static",
    "registered_registries",
    "registered_statics",
    "reset_registries",
]


class Resettable(Protocol):
    """A process-wide registry: ``reset()`` makes it as fresh as in a new process."""

    def reset(self) -> None: ...


@dataclass(frozen=True)
class StaticEntry:
    """A module-level table that is deliberately not reset, and why."""

    table: object
    reason: str


R = TypeVar("R", bound=Resettable)
T = TypeVar("T")

_lock = threading.Lock()
# The two tables of this module are the only module-level state not declared through itself.
_registries: dict[str, Resettable] = {}
_statics: dict[str, StaticEntry] = {}


def _check_name(name: str, table: Mapping[str, object], obj: object) -> None:
    if not name or not isinstance(name, str):
        raise ValueError(f"a registry needs a non-empty dotted name, not {name!r}")
    previous = table.get(name)
    if previous is not None and previous is not obj:
        raise ValueError(
            f"registry name {name!r} is already declared for another object; "
            "each module-level registry needs its own name (use the module's dotted path)"
        )


def register_registry(name: str, registry: R) -> R:
    """Declare ``registry`` (it has ``reset()``) under ``name``; returns it unchanged."""
    if not callable(getattr(registry, "reset", None)):
        raise TypeError(f"registry {name!r} has no reset() method: {registry!r}")
    with _lock:
        _check_name(name, _registries, registry)
        _registries[name] = registry
    return registry


def register_static(name: str, table: T, *, reason: str) -> T:
    """Declare a module-level table that is never reset (say why); returns it unchanged."""
    if not reason.strip():
        raise ValueError(f"register_static({name!r}): say why the table is never reset")
    with _lock:
        _check_name(name, {k: v.table for k, v in _statics.items()}, table)
        _statics[name] = StaticEntry(table, reason)
    return table


def registered_registries() -> dict[str, Resettable]:
    """Name -> registry, for every registry declared so far (in declaration order)."""
    with _lock:
        return dict(_registries)


def registered_statics() -> dict[str, StaticEntry]:
    """Name -> static table, for every table declared with :func:`register_static`."""
    with _lock:
        return dict(_statics)


def reset_registries() -> list[str]:
    """Reset every declared registry, the most recently declared first; return their names.

    A reset that raises does not stop the others; the first failure is raised at the end,
    naming its registry.
    """
    errors: list[tuple[str, Exception]] = []
    names = []
    for name, registry in reversed(registered_registries().items()):
        try:
            registry.reset()
        except Exception as exc:  # noqa: BLE001 (every registry is reset; the first error is raised below)
            errors.append((name, exc))
        names.append(name)
    if errors:
        failed, error = errors[0]
        raise RuntimeError(f"reset of registry {failed!r} failed: {error!r}") from error
    return names

"""The harness self-check: every process-wide registry in our packages has a registered reset.

:func:`find_undeclared_state` imports every module of the given packages and looks at each
module-level name. It counts as process-wide state when its value

- has a callable ``reset`` attribute (a registry object), or
- is named ``*_registry`` or ``*_cache`` (whatever its type), or
- is a mutable container (dict, list, set, deque, bytearray, weak containers) whose name is not
  an UPPER_CASE constant, or
- is a memoizing function (``functools.cache`` / ``lru_cache``).

Each such object must be declared, by identity, in ``seamless_config.registries``: with
``register_registry`` (reset around every test) or ``register_static`` (kept, with the reason).
Anything else is reported, so a registry added without its reset fails the check.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import importlib
import pkgutil
import re
import types
import weakref
from collections.abc import Iterable, Iterator

__all__ = [
    "PACKAGES",
    "UndeclaredState",
    "declared_objects",
    "find_undeclared_state",
    "iter_package_modules",
]

#: the import packages whose modules are checked by default (those that are installed).
PACKAGES: tuple[str, ...] = (
    "seamless_config",
    "seamless_remote",
    "seamless_transformer",
    "seamless_dask",
    "seamless_jobserver",
)

_MUTABLE_TYPES: tuple[type, ...] = (
    dict,
    list,
    set,
    bytearray,
    collections.deque,
    weakref.WeakValueDictionary,
    weakref.WeakKeyDictionary,
    weakref.WeakSet,
)
_STATE_NAME = re.compile(r"(^|_)(registry|cache)$")
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
# The declaration tables themselves (the one place that is exempt by construction).
_SELF = "seamless_config.registries"


@dataclasses.dataclass(frozen=True)
class UndeclaredState:
    """One module-level object that looks like process-wide state but has no declared reset."""

    module: str
    name: str
    type_name: str
    why: str

    def __str__(self) -> str:
        where = f"{self.module}.{self.name}"
        if self.type_name == "_lru_cache_wrapper":
            fix = (
                f'if it is a pure memo, declare it: register_static("{where}", {self.name}, '
                'reason="...")'
            )
        else:
            fix = (
                f'declare it where it is created: {self.name} = register_registry("{where}", ...) '
                "(the object needs a reset() method), or register_static(...) with the reason "
                "for a table that must survive resets (hooks filled at import time)"
            )
        return (
            f"{where} ({self.type_name}: {self.why}) is process-wide state with no declared "
            f"reset; {fix} (seamless_config.registries)"
        )


def iter_package_modules(package: str) -> Iterator[types.ModuleType]:
    """``package`` and every module below it, imported (an import error propagates)."""
    root = importlib.import_module(package)
    yield root
    path = getattr(root, "__path__", None)
    if path is None:
        return
    for info in pkgutil.walk_packages(path, prefix=f"{package}."):
        try:
            yield importlib.import_module(info.name)
        except ImportError as exc:
            raise ImportError(
                f"registry check: cannot import {info.name} ({exc}); every module of {package} "
                "must import in its own test environment"
            ) from exc


def declared_objects() -> set[int]:
    """ids of every object declared in seamless_config.registries (registries and statics)."""
    from seamless_config import registries

    ids = {id(registry) for registry in registries.registered_registries().values()}
    ids |= {id(entry.table) for entry in registries.registered_statics().values()}
    return ids


def _why_state(name: str, value: object) -> str | None:
    """Why the module-level ``name`` bound to ``value`` counts as state (None: it does not)."""
    if isinstance(value, functools._lru_cache_wrapper):
        return "a memoizing function (functools.cache / lru_cache)"
    if isinstance(value, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)):
        return None
    match = _STATE_NAME.search(name)
    if match is not None:
        return f"named *_{match.group(2)}"
    if callable(getattr(value, "reset", None)):
        return "has reset()"
    if isinstance(value, _MUTABLE_TYPES) and not _CONSTANT_NAME.match(name):
        return "a mutable container that is not an UPPER_CASE constant"
    return None


def find_undeclared_state(
    packages: Iterable[str] = PACKAGES, *, declared: set[int] | None = None
) -> list[UndeclaredState]:
    """Every module-level state object of ``packages`` that is not declared (empty: all good).

    ``declared`` (ids of declared objects) defaults to :func:`declared_objects`, read after
    every module was imported.
    """
    modules = [module for package in packages for module in iter_package_modules(package)]
    known = declared_objects() if declared is None else declared
    found = []
    seen: set[int] = set()
    for module in modules:
        if module.__name__ == _SELF:
            continue
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            why = _why_state(name, value)
            if why is None or id(value) in known or id(value) in seen:
                continue
            seen.add(id(value))
            home, home_name = module.__name__, name
            if isinstance(value, functools._lru_cache_wrapper):  # report where it is defined
                home, home_name = value.__module__, value.__name__
            found.append(UndeclaredState(home, home_name, type(value).__qualname__, why))
    return found

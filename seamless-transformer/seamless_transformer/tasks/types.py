"""Named types: a predicate, and an optional parent whose predicate runs first.

Types are declared explicitly, by name, in a task def env's :class:`TypeRegistry`; they are never
inline. They have no default (options do). The same types serve options and products. There are
no container types: a list of values is a type whose predicate checks a list, and values that
arrive one at a time are a :class:`Stream` of a declared item type (part 3).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import TypeDefinitionError

Predicate = Callable[[Any], Any]

#: Type names: letters, digits, "_", "." and "-"; starting with a letter (no brackets: "Stream[x]"
#: is the stream of x, not a type name).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class TaskType:
    """A declared type: ``predicate(value)`` must be truthy, after the parent chain's."""

    name: str
    predicate: Predicate
    parent: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Stream:
    """The product type of a stream task: items of the declared type ``item``, one at a time."""

    item: str

    @property
    def name(self) -> str:
        """``Stream[<item>]``: what the plan fingerprint and the exports show."""
        return f"Stream[{self.item}]"

    def __str__(self) -> str:
        return self.name


def _is_type_name(name: object) -> bool:
    """A valid type name (callers may pass anything at run time)."""
    return isinstance(name, str) and _NAME.match(name) is not None


class TypeRegistry:
    """The types of one env, by name. Copy it with :meth:`copy` (types are immutable)."""

    def __init__(self) -> None:
        self._types: dict[str, TaskType] = {}

    def define(
        self, name: str, predicate: Predicate, *, parent: str | None = None, doc: str = ""
    ) -> TaskType:
        """Declare a type; the parent, when given, must be declared already."""
        if not _is_type_name(name):
            raise TypeDefinitionError(
                str(name), "a type name is letters, digits, '_', '.', '-', starting with a letter"
            )
        if name in self._types:
            raise TypeDefinitionError(name, "already declared in this env")
        if not callable(predicate):
            raise TypeDefinitionError(name, f"the predicate must be callable, not {predicate!r}")
        if parent is not None and parent not in self._types:
            raise TypeDefinitionError(
                name, f"parent type {parent!r} is not declared (declare parents first)"
            )
        declared = TaskType(name, predicate, parent, doc)
        self._types[name] = declared
        return declared

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __getitem__(self, name: str) -> TaskType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def chain(self, name: str) -> list[TaskType]:
        """The type and its ancestors, root first (the order the predicates run in)."""
        chain: list[TaskType] = []
        current: str | None = name
        while current is not None:
            declared = self._types[current]
            chain.append(declared)
            current = declared.parent
        chain.reverse()
        return chain

    def failing(self, name: str, value: Any) -> str | None:
        """None if ``value`` passes every predicate of ``name``'s chain, else a description of
        the first failure (which type, and the predicate's exception if it raised)."""
        for declared in self.chain(name):
            try:
                ok = declared.predicate(value)
            except Exception as exc:  # noqa: BLE001 (a predicate that raises says no, with a reason)
                return f"type {declared.name!r} (predicate raised {type(exc).__name__}: {exc})"
            if not ok:
                return f"type {declared.name!r}"
        return None

    def copy(self) -> TypeRegistry:
        """An independent registry with the same types."""
        new = TypeRegistry()
        new._types = dict(self._types)
        return new

"""Errors of the task layer; all derive from ``SeamlessTransformerError``.

Hierarchy (every class also derives from the builtin named in brackets)::

    SeamlessTransformerError
    └── TaskError                                   base of the task layer
        ├── TypeDefinitionError [ValueError]        a type declared wrongly (name, parent, predicate)
        ├── TaskDefinitionError [ValueError]        a task refused at definition (names the task)
        ├── InvocationError [ValueError]            every missing option / failed predicate at once
        └── TaskFailedError [RuntimeError]          a task (or an upstream task) failed in a run
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import SeamlessTransformerError


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class TaskError(SeamlessTransformerError):
    """Base class of every task-layer error."""


class TypeDefinitionError(TaskError, ValueError):
    """A type declaration was refused (duplicate name, unknown parent, predicate not callable)."""

    def __init__(self, type_name: str, problem: str) -> None:
        self.type_name = type_name
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"Type {self.type_name!r}: {self.problem}"


class TaskDefinitionError(TaskError, ValueError):
    """A task definition was refused; ``task`` names it and ``problem`` says what is wrong."""

    def __init__(self, task: str, problem: str) -> None:
        self.task = task
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"Task {self.task!r}: {self.problem}"


@dataclass(frozen=True)
class InvocationProblem:
    """One problem found at invocation: a missing option, a failed predicate, an unknown name."""

    task: str
    option: str | None
    problem: str
    value: Any = None
    type_name: str | None = None

    def __str__(self) -> str:
        where = f"task {self.task!r}" + (f", option {self.option!r}" if self.option else "")
        return f"{where}: {self.problem}"


class InvocationError(TaskError, ValueError):
    """Invocation found problems; ``problems`` lists all of them (nothing was run)."""

    def __init__(self, problems: Sequence[InvocationProblem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"Invocation refused, {len(self.problems)} problem(s); nothing was run:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class TaskFailedError(TaskError, RuntimeError):
    """A task failed in a run; ``task`` is the failed task, ``upstream`` the failed ancestor
    that caused it (None if the task itself failed), ``detail`` the exception text."""

    def __init__(
        self, task: str, detail: str, *, upstream: str | None = None, item: int | None = None
    ) -> None:
        self.task = task
        self.detail = detail
        self.upstream = upstream
        self.item = item
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"Task {self.task!r}" + (f" item {self.item}" if self.item is not None else "")
        if self.upstream is not None:
            return f"{where} was not run: upstream task {self.upstream!r} failed:\n{self.detail}"
        return f"{where} failed:\n{self.detail}"

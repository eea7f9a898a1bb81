"""Invocation: bind option values for the tasks to run, check them all, fingerprint the plan.

Before anything could execute, every required option must be given and every value must pass
its type's predicate chain; all problems are reported at once, in one InvocationError. Then each
invoked task gets its plan fingerprint (fingerprints.py), in topological order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seamless import Buffer, Checksum

from . import graph, records
from .definitions import TaskDef
from .errors import InvocationError, InvocationProblem
from .fingerprints import plan_fingerprint, value_buffer

if TYPE_CHECKING:
    from .definitions import TaskEnv
    from .run import TaskRun


@dataclass(frozen=True)
class PlannedTask:
    """One invoked task: its definition, bound option values and plan fingerprint."""

    name: str
    taskdef: TaskDef
    options: Mapping[str, Any]
    option_buffers: Mapping[str, Buffer]
    plan_fingerprint: Checksum

    @property
    def deps(self) -> Mapping[str, str]:
        """Parameter -> dependency task name."""
        return self.taskdef.deps


class Invocation:
    """The invoked tasks (targets plus what they need), in topological order."""

    def __init__(
        self, env: TaskEnv, targets: tuple[str, ...], tasks: dict[str, PlannedTask]
    ) -> None:
        self.env = env
        self.targets = targets
        self.tasks: Mapping[str, PlannedTask] = tasks

    def __getitem__(self, name: str) -> PlannedTask:
        return self.tasks[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tasks

    def __iter__(self) -> Iterator[str]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)

    def plan_fingerprints(self) -> dict[str, Checksum]:
        """Task name -> plan fingerprint."""
        return {name: t.plan_fingerprint for name, t in self.tasks.items()}

    def dependency_map(self) -> dict[str, list[str]]:
        """Task name -> names of its dependencies, for the invoked tasks."""
        return {name: list(t.deps.values()) for name, t in self.tasks.items()}

    def topological(self) -> list[str]:
        """The invoked tasks, each after its dependencies."""
        return list(self.tasks)

    def upstream(self, name: str) -> set[str]:
        """Every invoked task that ``name`` needs."""
        return graph.upstream(self.dependency_map(), self.tasks[name].name)

    def downstream(self, name: str) -> set[str]:
        """Every invoked task that needs ``name``."""
        return graph.downstream(self.dependency_map(), self.tasks[name].name)

    # ------------------------------------------------------------------ cached / outdated
    async def status_async(self) -> dict[str, str]:
        """Task name -> "cached" (a product is recorded for its plan fingerprint and nothing
        upstream is outdated) or "outdated"."""
        status: dict[str, str] = {}
        for name, planned in self.tasks.items():
            upstream_outdated = any(status[d] == "outdated" for d in planned.deps.values())
            if upstream_outdated:
                status[name] = "outdated"
                continue
            found = await records.lookup(planned.plan_fingerprint)
            status[name] = "cached" if found is not None else "outdated"
        return status

    def status(self) -> dict[str, str]:
        """Sync form of :meth:`status_async`."""
        from ..event_loop import run_sync

        return run_sync(self.status_async(), what="Invocation.status()")

    def cached(self) -> list[str]:
        """The tasks whose product is recorded (in topological order)."""
        return [n for n, s in self.status().items() if s == "cached"]

    def outdated(self) -> list[str]:
        """The tasks that would run (in topological order)."""
        return [n for n, s in self.status().items() if s == "outdated"]

    # ------------------------------------------------------------------ exports
    def graph_nodes(self, states: Mapping[str, str] | None = None) -> list[graph.GraphNode]:
        """The nodes an export draws, with ``states`` (e.g. from :meth:`status`)."""
        return [
            graph.GraphNode(
                name,
                t.taskdef.product_name,
                dict(t.deps),
                None if states is None else states.get(name),
            )
            for name, t in self.tasks.items()
        ]

    def to_dot(self, *, status: bool = True) -> str:
        """DOT text of the invoked graph, cached / outdated marked (``status=False``: plain)."""
        return graph.to_dot(self.graph_nodes(self.status() if status else None))

    def to_mermaid(self, *, status: bool = True) -> str:
        """Mermaid text of the invoked graph, cached / outdated marked."""
        return graph.to_mermaid(self.graph_nodes(self.status() if status else None))

    # ------------------------------------------------------------------ execution
    def start(self, **kwargs: Any) -> TaskRun:
        """Start running (in the background); the live run object (see run.py)."""
        from .run import TaskRun

        return TaskRun(self, **kwargs).start()

    def run(self, **kwargs: Any) -> dict[str, Any]:
        """Run to completion; target name -> product value (raises TaskFailedError)."""
        task_run = self.start(**kwargs)
        task_run.wait()
        return task_run.results()


def invoke(
    env: TaskEnv,
    targets: str | Sequence[str],
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Invocation:
    """Bind ``options`` ({task: {option: value}}) for ``targets`` and what they need.

    Raises InvocationError listing every problem: unknown targets, options for tasks that are
    not invoked or that have no such option, missing required options, values that fail a
    predicate of their type's chain or cannot be serialized.
    """
    if isinstance(targets, str):
        targets = (targets,)
    targets = tuple(targets)
    options = dict(options or {})
    problems: list[InvocationProblem] = []
    deps = env.dependency_map()
    needed: set[str] = set()
    for target in targets:
        if target not in env:
            problems.append(InvocationProblem(target, None, "no such task in the env"))
            continue
        needed.add(target)
    needed |= graph.upstream_of_all(deps, needed)
    for name, given in options.items():
        if name not in needed:
            where = (
                "not invoked (not a target, nor needed by one)" if name in env else "no such task"
            )
            problems.append(
                InvocationProblem(name, None, f"options given, but the task is {where}")
            )
        elif not isinstance(given, Mapping):
            problems.append(
                InvocationProblem(name, None, f"options must be a mapping, not {given!r}")
            )
    order = graph.topological(deps, needed)
    types = env.types
    bound: dict[str, dict[str, Any]] = {}
    buffers: dict[str, dict[str, Buffer]] = {}
    for name in order:
        taskdef = env[name]
        given = options.get(name) or {}
        if not isinstance(given, Mapping):
            given = {}
        for opt_name in given:
            if opt_name not in taskdef.options:
                problems.append(
                    InvocationProblem(
                        name,
                        opt_name,
                        f"no such option (options: {sorted(taskdef.options)})",
                        given[opt_name],
                    )
                )
        values: dict[str, Any] = {}
        task_buffers: dict[str, Buffer] = {}
        for opt_name, option in taskdef.options.items():
            if opt_name in given:
                value = given[opt_name]
            elif option.required:
                problems.append(
                    InvocationProblem(
                        name,
                        opt_name,
                        f"required option (type {option.type!r}) not given",
                        type_name=option.type,
                    )
                )
                continue
            else:
                value = option.default
            failing = types.failing(option.type, value)
            if failing is not None:
                problems.append(
                    InvocationProblem(
                        name, opt_name, f"value {value!r} fails {failing}", value, option.type
                    )
                )
                continue
            try:
                task_buffers[opt_name] = value_buffer(value)
            except Exception as exc:  # noqa: BLE001 (the serializer's own errors vary by value: reported as a problem)
                problems.append(
                    InvocationProblem(
                        name,
                        opt_name,
                        f"value {value!r} cannot be serialized ({type(exc).__name__}: {exc})",
                        value,
                        option.type,
                    )
                )
                continue
            values[opt_name] = value
        bound[name], buffers[name] = values, task_buffers
    if problems:
        raise InvocationError(problems)
    planned: dict[str, PlannedTask] = {}
    for name in order:
        taskdef = env[name]
        assert taskdef.code_checksum is not None
        fingerprint = plan_fingerprint(
            code=taskdef.code_checksum,
            options={
                o: (taskdef.options[o].type, b.get_checksum()) for o, b in buffers[name].items()
            },
            deps={p: planned[d].plan_fingerprint for p, d in taskdef.deps.items()},
            product=taskdef.product_name,
            itemwise=taskdef.itemwise,
        )
        planned[name] = PlannedTask(name, taskdef, bound[name], buffers[name], fingerprint)
    return Invocation(env.copy(), targets, planned)

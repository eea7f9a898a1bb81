"""Task definitions and the task def env (types + tasks), which can be copied and changed.

A task has a name unique in its env; dependencies that are tasks already in the env (so a cycle
cannot be built) and are consumed only as their product; options with a declared type and an
optional default value; one product with a declared type; and its code, a Python function whose
parameters are exactly its options and its dependency parameters. Everything is checked at
definition, with an error that names the task.
"""

from __future__ import annotations

import functools
import inspect
import keyword
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import FunctionType, MappingProxyType
from typing import TYPE_CHECKING, Any

from seamless import Checksum

from seamless_config.registries import register_static

from . import graph
from .errors import TaskDefinitionError
from .fingerprints import code_of
from .types import Predicate, Stream, TaskType, TypeRegistry

if TYPE_CHECKING:
    from .invocation import Invocation


class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


#: The default of an option without one (the option is then required at invocation).
NO_DEFAULT: Any = _NoDefault()

#: Pin names Seamless reserves; a task parameter cannot have them.
_RESERVED = frozenset({"code", "main", "result"})


@functools.lru_cache(maxsize=4096)
def _parameters(func: FunctionType) -> tuple[tuple[str, ...], str | None]:
    """The parameter names of ``func``, and what is wrong with its signature (or None)."""
    params = inspect.signature(func).parameters
    for param in params.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            return (), "the function cannot take *args or **kwargs"
        if param.default is not param.empty:
            return (), (
                f"parameter {param.name!r} has a default in the function; declare it as "
                f"options={{{param.name!r}: Option(type, default=...)}} instead"
            )
    return tuple(params), None


# Pure memo of a function of the function object (its code does not change): nothing to reset.
register_static(
    "seamless_transformer.tasks.definitions._parameters",
    _parameters,
    reason="pure memo, keyed by the function object",
)


def _is_identifier(name: object) -> bool:
    """A Python identifier (callers may pass anything at run time)."""
    return isinstance(name, str) and name.isidentifier()


@dataclass(frozen=True)
class Option:
    """An option: a declared type (by name) and an optional default value (not a callable)."""

    type: str
    default: Any = NO_DEFAULT
    doc: str = ""

    @property
    def required(self) -> bool:
        """True when there is no default."""
        return self.default is NO_DEFAULT


@dataclass(frozen=True, eq=False)
class TaskDef:
    """One task definition (immutable; change an env with its methods, not the TaskDef).
    Compared and hashed by identity."""

    name: str
    func: FunctionType
    deps: Mapping[str, str]
    options: Mapping[str, Option]
    product: str | Stream
    transient: bool = False
    itemwise: str | None = None
    doc: str = ""
    code: str = field(default="", repr=False)
    code_checksum: Checksum | None = field(default=None, repr=False)

    @property
    def product_name(self) -> str:
        """The product's type name (``Stream[item]`` for streams)."""
        return self.product.name if isinstance(self.product, Stream) else self.product

    @property
    def is_stream(self) -> bool:
        """The product is a stream (a generator task, or an item-wise consumer)."""
        return isinstance(self.product, Stream)

    @property
    def item_type(self) -> str:
        """The item type name of a stream product."""
        if not isinstance(self.product, Stream):
            raise TypeError(f"task {self.name!r} is not a stream task (product {self.product!r})")
        return self.product.item


class TaskEnv:
    """Types and tasks. ``copy()`` gives an env that can be changed without touching this one."""

    def __init__(self) -> None:
        self.types = TypeRegistry()
        self._tasks: dict[str, TaskDef] = {}

    # ------------------------------------------------------------------ types
    def define_type(
        self, name: str, predicate: Predicate, *, parent: str | None = None, doc: str = ""
    ) -> TaskType:
        """Declare a named type (see :class:`TypeRegistry.define`)."""
        return self.types.define(name, predicate, parent=parent, doc=doc)

    # ------------------------------------------------------------------ tasks
    @property
    def tasks(self) -> Mapping[str, TaskDef]:
        """Name -> TaskDef, in definition order (read-only)."""
        return MappingProxyType(self._tasks)

    def __getitem__(self, name: str) -> TaskDef:
        try:
            return self._tasks[name]
        except KeyError:
            raise KeyError(f"No task {name!r} in this env") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tasks

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def define_task(
        self,
        name: str,
        func: Callable[..., Any],
        *,
        product: str | Stream,
        deps: Sequence[str] | Mapping[str, str] = (),
        options: Mapping[str, Option | str] | None = None,
        transient: bool = False,
        itemwise: str | None = None,
        doc: str = "",
    ) -> TaskDef:
        """Define a task; refused (TaskDefinitionError naming it) when anything is wrong.

        Parameters
        ----------
        name: unique in this env, a Python identifier.
        func: a Python function whose parameters are the options and the dependency
            parameters (a generator for a stream product).
        product: the declared product type name, or ``Stream("item type")``.
        deps: dependency task names (the parameter is the task's name), or a mapping
            parameter -> task name. Each must already be in the env.
        options: option name -> ``Option(type, default)`` or just a type name.
        transient: the product is never stored; it passes in memory to the dependents.
        itemwise: a dependency parameter whose stream is consumed item by item.
        """
        if name in self._tasks:
            raise TaskDefinitionError(
                name, "a task with this name is already defined in this env; use redefine()"
            )
        taskdef = self._build(
            name,
            func,
            product=product,
            deps=deps,
            options=options,
            transient=transient,
            itemwise=itemwise,
            doc=doc,
        )
        self._tasks[name] = taskdef
        return taskdef

    def task(self, name: str | None = None, **spec: Any) -> Callable[[Callable[..., Any]], TaskDef]:
        """Decorator form of :meth:`define_task` (same keywords; the name defaults to the
        function's)."""

        def decorate(func: Callable[..., Any]) -> TaskDef:
            return self.define_task(name or str(getattr(func, "__name__", "")), func, **spec)

        return decorate

    def _build(
        self,
        name: str,
        func: Callable[..., Any],
        *,
        product: str | Stream,
        deps: Sequence[str] | Mapping[str, str],
        options: Mapping[str, Option | str] | None,
        transient: bool,
        itemwise: str | None,
        doc: str,
        exclude: frozenset[str] = frozenset(),
    ) -> TaskDef:
        def refuse(problem: str) -> TaskDefinitionError:
            return TaskDefinitionError(str(name), problem)

        if not _is_identifier(name) or keyword.iskeyword(name):
            raise refuse("a task name must be a Python identifier")
        if not isinstance(func, FunctionType):
            raise refuse(
                f"the code must be a Python function (def or lambda), not {type(func).__name__}"
            )
        # -- dependencies
        if isinstance(deps, str):
            deps = [deps]
        dep_map = dict(deps) if isinstance(deps, Mapping) else {d: d for d in deps}
        for param, dep in dep_map.items():
            if dep not in self._tasks or dep in exclude:
                raise refuse(
                    f"dependency {dep!r} is not defined in this env (define dependencies first)"
                )
            if not _is_identifier(param):
                raise refuse(f"dependency parameter {param!r} is not a Python identifier")
        # -- options
        opts: dict[str, Option] = {}
        for opt_name, spec in (options or {}).items():
            opts[opt_name] = self._check_option(name, opt_name, spec)
        overlap = set(opts) & set(dep_map)
        if overlap:
            raise refuse(f"{sorted(overlap)} is both an option and a dependency parameter")
        for param in [*opts, *dep_map]:
            if param in _RESERVED or param.startswith("__"):
                raise refuse(f"{param!r} is reserved by Seamless and cannot be a parameter")
        # -- product
        if isinstance(product, Stream):
            if product.item not in self.types:
                raise refuse(f"product item type {product.item!r} is not declared in this env")
            if transient:
                raise refuse("a stream product cannot be transient (its items are stored)")
        elif not isinstance(product, str):
            raise refuse(
                "the product type is declared by name (a string, or Stream('item type')), "
                f"not inline: {product!r}"
            )
        elif product not in self.types:
            raise refuse(f"product type {product!r} is not declared in this env")
        if isinstance(product, Stream):
            transient_deps = [d for d in dep_map.values() if self._tasks[d].transient]
            if transient_deps:
                raise refuse(f"a stream task cannot depend on transient tasks {transient_deps}")
        # -- item-wise consumption
        if itemwise is not None:
            if itemwise not in dep_map:
                raise refuse(f"itemwise={itemwise!r} is not one of its dependency parameters")
            if not self._tasks[dep_map[itemwise]].is_stream:
                raise refuse(f"itemwise dependency {dep_map[itemwise]!r} does not produce a stream")
            if not isinstance(product, Stream):
                raise refuse(
                    "an item-wise consumer produces a stream: declare product=Stream('type')"
                )
        # -- code
        is_generator = func.__code__.co_flags & inspect.CO_GENERATOR != 0
        if isinstance(product, Stream) and itemwise is None and not is_generator:
            raise refuse("a stream task's code must be a generator (it yields the items)")
        if is_generator and (itemwise is not None or not isinstance(product, Stream)):
            raise refuse("only a stream producer's code may be a generator")
        params, problem = _parameters(func)
        if problem is not None:
            raise refuse(problem)
        expected = set(opts) | set(dep_map)
        missing, extra = expected - set(params), set(params) - expected
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"options/dependencies without a parameter: {sorted(missing)}")
            if extra:
                parts.append(f"parameters that are neither option nor dependency: {sorted(extra)}")
            raise refuse(
                "the function's parameters must be its options and dependencies; "
                + "; ".join(parts)
            )
        try:
            code, code_checksum = code_of(func)
        except TypeError as exc:
            raise refuse(str(exc)) from None
        return TaskDef(
            name=name,
            func=func,
            deps=MappingProxyType(dep_map),
            options=MappingProxyType(opts),
            product=product,
            transient=bool(transient),
            itemwise=itemwise,
            doc=doc,
            code=code,
            code_checksum=code_checksum,
        )

    def _check_option(self, task: str, opt_name: str, spec: Any) -> Option:
        def refuse(problem: str) -> TaskDefinitionError:
            return TaskDefinitionError(task, f"option {opt_name!r}: {problem}")

        if not _is_identifier(opt_name):
            raise refuse("an option name must be a Python identifier")
        if isinstance(spec, str):
            spec = Option(spec)
        if isinstance(spec, Mapping):
            raise refuse(
                "nested options are not supported; make separate options, or a separate task"
            )
        if not isinstance(spec, Option):
            raise refuse(f"give Option(type, default=...) or a type name, not {spec!r}")
        if not isinstance(spec.type, str):
            raise refuse(
                f"types are declared by name in the env, not inline ({spec.type!r}); "
                "use env.define_type(name, predicate) and pass the name"
            )
        if spec.type not in self.types:
            raise refuse(f"type {spec.type!r} is not declared in this env")
        if spec.required:
            return spec
        if callable(spec.default):
            raise refuse(f"the default must be a value, not a callable ({spec.default!r})")
        failing = self.types.failing(spec.type, spec.default)
        if failing is not None:
            raise refuse(f"the default {spec.default!r} fails {failing}")
        return spec

    # ------------------------------------------------------------------ copies, mutation
    def copy(self) -> TaskEnv:
        """An independent env with the same types and tasks (TaskDefs are immutable)."""
        new = TaskEnv()
        new.types = self.types.copy()
        new._tasks = dict(self._tasks)
        return new

    def dependents(self, name: str) -> list[str]:
        """Tasks that depend directly on ``name``."""
        return [n for n, t in self._tasks.items() if name in t.deps.values()]

    def substitute(self, name: str, func: Callable[..., Any]) -> TaskDef:
        """Replace a task's implementation (a test double); deps, options, product stay."""
        old = self[name]
        new = self._build(
            name,
            func,
            product=old.product,
            deps=dict(old.deps),
            options=dict(old.options),
            transient=old.transient,
            itemwise=old.itemwise,
            doc=old.doc,
        )
        self._tasks[name] = new
        return new

    def redefine(
        self,
        name: str,
        func: Callable[..., Any],
        *,
        deps: Sequence[str] | Mapping[str, str] = (),
        options: Mapping[str, Option | str] | None = None,
        transient: bool | None = None,
        itemwise: str | None = None,
        doc: str | None = None,
    ) -> TaskDef:
        """Define ``name`` anew (other deps and options); its product type must stay, since
        dependents rely on it, and no new dependency may lie downstream of it (a cycle)."""
        old = self[name]
        dep_map = dict(deps) if isinstance(deps, Mapping) else {d: d for d in deps}
        below = graph.downstream(self.dependency_map(), name) | {name}
        cyclic = sorted(set(dep_map.values()) & below)
        if cyclic:
            raise TaskDefinitionError(name, f"new dependencies {cyclic} depend on it (a cycle)")
        new = self._build(
            name,
            func,
            product=old.product,
            deps=dep_map,
            options=options,
            transient=old.transient if transient is None else transient,
            itemwise=itemwise,
            doc=old.doc if doc is None else doc,
        )
        self._tasks[name] = new
        return new

    def replace_subgraph(
        self,
        names: Sequence[str],
        *,
        output: str,
        func: Callable[..., Any],
        deps: Sequence[str] | Mapping[str, str] = (),
        options: Mapping[str, Option | str] | None = None,
        doc: str = "",
    ) -> TaskDef:
        """Replace the tasks ``names`` by one task named ``output`` (which must be among them and
        keeps its product type). Only ``output`` may have dependents outside ``names``; the
        new task's dependencies must lie outside ``names``."""
        group = set(names)
        if output not in group:
            raise TaskDefinitionError(output, "output must be one of the replaced tasks")
        for member in group:
            self[member]
            outside = [d for d in self.dependents(member) if d not in group]
            if member != output and outside:
                raise TaskDefinitionError(
                    member, f"cannot be replaced: {outside} outside the subgraph depend on it"
                )
        old = self[output]
        new = self._build(
            output,
            func,
            product=old.product,
            deps=deps,
            options=options,
            transient=False,
            itemwise=None,
            doc=doc,
            exclude=frozenset(group),
        )
        self._tasks = {n: t for n, t in self._tasks.items() if n not in group or n == output}
        self._tasks[output] = new
        return new

    def remove(self, name: str) -> None:
        """Remove a task that nothing depends on."""
        self[name]
        users = self.dependents(name)
        if users:
            raise TaskDefinitionError(name, f"cannot be removed: {users} depend on it")
        del self._tasks[name]

    # ------------------------------------------------------------------ graph queries
    def dependency_map(self) -> dict[str, list[str]]:
        """Task name -> the names of its dependencies (what the graph functions take)."""
        return {n: list(t.deps.values()) for n, t in self._tasks.items()}

    def upstream(self, name: str) -> set[str]:
        """Every task ``name`` needs, directly or not."""
        self[name]
        return graph.upstream(self.dependency_map(), name)

    def downstream(self, name: str) -> set[str]:
        """Every task that needs ``name``, directly or not."""
        self[name]
        return graph.downstream(self.dependency_map(), name)

    def topological(self) -> list[str]:
        """All tasks, each after its dependencies (ties in definition order)."""
        return graph.topological(self.dependency_map())

    def invoke(
        self,
        targets: str | Sequence[str],
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Invocation:
        """Bind option values for ``targets`` and the tasks they need (see :func:`invoke`)."""
        from .invocation import invoke

        return invoke(self, targets, options)

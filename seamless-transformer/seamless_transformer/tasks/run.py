"""Running an invocation: each task is an ordinary Seamless transformation; the live run object.

Per task, in this order (all tasks concurrently, on seamless_transformer's background loop):

1. **recorded plan**: a product recorded for the plan fingerprint (this process, then the
   database) makes the task ``cached`` without waiting for anything upstream;
2. wait for the dependencies' products (a failed dependency fails the task, naming it);
3. **execution fingerprint** (the transformation checksum of code + option values + dependency
   product checksums): a known result (in memory, then the database) makes the task ``cached``:
   this is the early cut-off, an upstream re-run with an identical product re-runs nothing here;
4. otherwise the task runs as ``delayed(func)(**options, **dependency_products)`` on the
   selected executor; its product is checked against the declared type when it arrives, and
   then recorded under the plan fingerprint.

Transient products (``transient=True``) never become transformations results: the task runs in
this process when a dependent needs it, the product stays in memory and is released once every
dependent is finished; dependents key it by its plan fingerprint (see docs/tasks.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from seamless import Buffer, Checksum

from seamless_config.registries import register_static

from .. import persistence
from ..errors import TransformationError
from ..event_loop import run_sync, submit
from ..transformation_cache import ExecutionResult, get_transformation_cache
from ..transformer import Transformer, delayed
from ..values import from_buffer, to_buffer
from . import graph, records
from .errors import TaskFailedError, short_repr
from .fingerprints import execution_fingerprint
from .streams import ItemStatus, StreamChannel, StreamRunMixin, _Failed

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..transformation import Transformation
    from .definitions import TaskDef
    from .invocation import Invocation, PlannedTask

logger = logging.getLogger(__name__)

#: The states a task goes through ("skipped": a transient product that no dependent needed).
STATES = ("waiting", "running", "cached", "done", "failed", "skipped")
TERMINAL = frozenset({"cached", "done", "failed", "skipped"})


@dataclass
class NodeStatus:
    """The live state of one task in a run (copies are handed to callers)."""

    name: str
    state: str = "waiting"
    started: float | None = None
    finished: float | None = None
    plan_fingerprint: Checksum | None = None
    execution_fingerprint: Checksum | None = None
    product: Checksum | None = None
    error: TaskFailedError | None = None
    items: int = 0
    items_done: int = 0
    items_failed: int = 0

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish (or until now while running)."""
        if self.started is None:
            return None
        end = self.finished if self.finished is not None else time.monotonic()
        return end - self.started


Subscriber = Callable[[NodeStatus], None]


@functools.lru_cache(maxsize=4096)
def _transformer(taskdef: TaskDef) -> Transformer:
    """The ``delayed`` transformer of a task (built once per definition)."""
    return delayed(taskdef.func)


# One Transformer per task definition, never changed after it is built: nothing to reset.
register_static(
    "seamless_transformer.tasks.run._transformer",
    _transformer,
    reason="memo: the delayed transformer of each task definition",
)


class TaskRun(StreamRunMixin):
    """A run of an invocation: states and timings per task, live; subscribe; progress bar;
    DOT / Mermaid of the current state. Start with ``invocation.start()``."""

    def __init__(
        self, invocation: Invocation, *, progress: bool = False, nparallel: int | None = None
    ) -> None:
        self.invocation = invocation
        self._nparallel = nparallel
        self._slots: asyncio.Semaphore | None = None
        self._channels: dict[str, StreamChannel] = {}
        self._items: dict[str, dict[int, ItemStatus]] = {}
        self._item_buffers: dict[Checksum, Buffer] = {}
        self._lock = threading.Lock()
        self._nodes = {
            name: NodeStatus(name, plan_fingerprint=planned.plan_fingerprint)
            for name, planned in invocation.tasks.items()
        }
        self._subscribers: list[Subscriber] = []
        self._progress = progress
        self._bar: tqdm[NoReturn] | None = None
        self._future: concurrent.futures.Future[None] | None = None
        self._done = threading.Event()
        # per task: its product checksum (or the failure), once known
        self._products: dict[str, asyncio.Future[Checksum]] = {}
        # transient products: value, readiness, dependents still to finish
        self._transient_values: dict[str, Any] = {}
        self._transient_started: dict[str, asyncio.Future[None]] = {}
        self._transient_pending: dict[str, set[str]] = {}
        self._held: dict[str, Transformation] = {}
        self._target_values: dict[str, Any] = {}
        self._users = graph._reverse(invocation.dependency_map())
        self.started: float | None = None
        self.finished: float | None = None

    # ------------------------------------------------------------------ observation
    @property
    def states(self) -> dict[str, str]:
        """Task name -> state (waiting, running, cached, done, failed, skipped)."""
        with self._lock:
            return {name: node.state for name, node in self._nodes.items()}

    @property
    def nodes(self) -> dict[str, NodeStatus]:
        """Task name -> a copy of its status (state, timings, fingerprints, error, items)."""
        with self._lock:
            return {name: copy.copy(node) for name, node in self._nodes.items()}

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(status)`` on every change (from the background loop's thread; keep
        it short). Returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    @property
    def done(self) -> bool:
        """True when every task is finished (cached, done, failed or skipped)."""
        return self._done.is_set()

    @property
    def errors(self) -> dict[str, TaskFailedError]:
        """Task name -> its failure."""
        with self._lock:
            return {n: node.error for n, node in self._nodes.items() if node.error is not None}

    def counts(self) -> dict[str, int]:
        """State -> number of tasks in it."""
        counts = dict.fromkeys(STATES, 0)
        for state in self.states.values():
            counts[state] += 1
        return counts

    def graph_nodes(self) -> list[graph.GraphNode]:
        """What the exports draw: each task with its current state and timing."""
        nodes = self.nodes
        result = []
        for name, planned in self.invocation.tasks.items():
            node = nodes[name]
            detail = None
            if node.duration is not None and node.state in ("running", "done"):
                detail = f"{node.duration:.2f} s"
            if node.items:
                detail = f"{node.items_done}/{node.items} items" + (f", {detail}" if detail else "")
            result.append(
                graph.GraphNode(
                    name, planned.taskdef.product_name, dict(planned.deps), node.state, detail
                )
            )
        return result

    def to_dot(self) -> str:
        """DOT text of the current state."""
        return graph.to_dot(self.graph_nodes())

    def to_mermaid(self) -> str:
        """Mermaid text of the current state."""
        return graph.to_mermaid(self.graph_nodes())

    def _update(self, name: str, **changes: Any) -> None:
        with self._lock:
            node = self._nodes[name]
            before = node.state
            for key, value in changes.items():
                setattr(node, key, value)
            snapshot = copy.copy(node)
            subscribers = list(self._subscribers)
        if self._bar is not None:
            if snapshot.state in TERMINAL and before not in TERMINAL:
                self._bar.update(1)
            self._bar.set_postfix_str(self._postfix(), refresh=False)
        for callback in subscribers:
            try:
                callback(snapshot)
            except Exception:  # a subscriber's bug must not stop the run
                logger.exception("task run subscriber %r failed", callback)

    def _postfix(self) -> str:
        counts = self.counts()
        text = ", ".join(f"{k} {v}" for k, v in counts.items() if v and k != "waiting")
        items = [n for n in self._nodes.values() if n.items]
        if items:
            done = sum(n.items_done for n in items)
            total = sum(n.items for n in items)
            text += f", items {done}/{total}"
        return text

    # ------------------------------------------------------------------ control
    def start(self) -> TaskRun:
        """Start the run in the background (returns self)."""
        if self._future is not None:
            return self
        if self._progress:
            from tqdm import tqdm

            self._bar = tqdm(total=len(self._nodes), desc="tasks", unit="task")
        self.started = time.monotonic()
        self._future = submit(self._main())
        return self

    def wait(self, timeout: float | None = None) -> TaskRun:
        """Block until the run is finished (``TimeoutError`` after ``timeout`` seconds)."""
        if self._future is None:
            self.start()
        if not self._done.wait(timeout):
            raise TimeoutError(f"the task run did not finish within {timeout} s")
        assert self._future is not None  # set by start()
        self._future.result()
        return self

    async def wait_async(self) -> TaskRun:
        """Async form of :meth:`wait`."""
        if self._future is None:
            self.start()
        assert self._future is not None  # set by start()
        await asyncio.wrap_future(self._future)
        return self

    def product_checksum(self, name: str) -> Checksum:
        """The product checksum of a finished, non-transient task (TaskFailedError if failed)."""
        node = self.nodes[name]
        if node.error is not None:
            raise node.error
        if node.product is None:
            raise KeyError(f"task {name!r} has no product checksum (transient, or not finished)")
        return node.product

    def value(self, name: str) -> Any:
        """The product value of a finished task (resolved from its checksum)."""
        node = self.nodes[name]
        if node.error is not None:
            raise node.error
        if name in self._target_values:
            return self._target_values[name]
        product = self.product_checksum(name)
        if self.invocation[name].taskdef.is_stream:
            return run_sync(self._stream_values(product), what="TaskRun.value()")
        return run_sync(self._value_of(product), what="TaskRun.value()")

    def results(self) -> dict[str, Any]:
        """Target name -> product value; raises the first target's TaskFailedError."""
        self.wait()
        for target in self.invocation.targets:
            error = self._nodes[target].error
            if error is not None:
                raise error
        return {target: self.value(target) for target in self.invocation.targets}

    # ------------------------------------------------------------------ the run
    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        if self._nparallel:
            self._slots = asyncio.Semaphore(self._nparallel)
        for name, planned in self.invocation.tasks.items():
            if planned.taskdef.is_stream:
                self._channels[name] = StreamChannel()
        for name in self.invocation.tasks:
            self._products[name] = loop.create_future()
            self._products[name].add_done_callback(_consume)
        for name, planned in self.invocation.tasks.items():
            if planned.taskdef.transient:
                self._transient_pending[name] = set(self._users.get(name, ()))
                if name in self.invocation.targets:
                    self._transient_pending[name].add(_TARGET)
        try:
            await asyncio.gather(
                *(
                    self._run_task(planned)
                    for planned in self.invocation.tasks.values()
                    if not planned.taskdef.transient
                )
            )
            for target in self.invocation.targets:
                if self.invocation[target].taskdef.transient:
                    await self._run_transient_target(target)
            for name, planned in self.invocation.tasks.items():
                if planned.taskdef.transient and name not in self._transient_started:
                    self._update(name, state="skipped")
        finally:
            self._held.clear()
            self.finished = time.monotonic()
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix())
                self._bar.close()
            self._done.set()

    async def _run_task(self, planned: PlannedTask) -> None:
        name = planned.name
        future = self._products[name]
        try:
            if planned.taskdef.itemwise is not None:
                product = await self._itemwise_product(planned)
            elif planned.taskdef.is_stream:
                product = await self._producer_product(planned)
            else:
                product = await self._task_product(planned)
        except _Failed as failed:
            error = TaskFailedError(
                name, failed.root.detail, upstream=failed.root.upstream or failed.root.task
            )
            self._update(name, state="failed", error=error, finished=time.monotonic())
            future.set_exception(_Failed(failed.root))
        except (TaskFailedError, TransformationError) as exc:
            error = exc if isinstance(exc, TaskFailedError) else TaskFailedError(name, str(exc))
            self._update(name, state="failed", error=error, finished=time.monotonic())
            future.set_exception(_Failed(error))
        else:
            future.set_result(product)
        finally:
            for dep in planned.deps.values():
                if dep in self._transient_pending:
                    self._release(dep, name)

    async def _task_product(self, planned: PlannedTask) -> Checksum:
        name, taskdef = planned.name, planned.taskdef
        recorded = await records.lookup(planned.plan_fingerprint)
        if recorded is not None:
            self._cached(name, recorded)
            return recorded
        inputs, upstream_args, transient_inputs = await self._dependency_inputs(planned)
        assert taskdef.code_checksum is not None  # set when the task was defined
        fingerprint = execution_fingerprint(
            code=taskdef.code_checksum,
            inputs=inputs,
            transient_inputs=transient_inputs,
        )
        self._update(name, execution_fingerprint=fingerprint)
        known = await self._known_result(fingerprint)
        if known is not None:
            await self._check_product(planned, known, value=_NOT_YET)
            await records.record(planned.plan_fingerprint, known)
            self._cached(name, known)
            return known
        if transient_inputs:
            self._update(name, state="running", started=time.monotonic())
            product, value = await self._execute_in_process(planned, fingerprint)
        else:
            product, value = await self._execute_transformation(planned, fingerprint, upstream_args)
        await self._check_product(planned, product, value=value)
        await records.record(planned.plan_fingerprint, product)
        self._update(name, state="done", product=product, finished=time.monotonic())
        return product

    async def _execute_transformation(
        self,
        planned: PlannedTask,
        fingerprint: Checksum,
        args: Mapping[str, Any],
        *,
        on_start: Callable[[], None] | None = None,
        hold: bool = True,
    ) -> tuple[Checksum, Any]:
        """Run the task as ``delayed(func)(**options, **dependency products)`` (within the
        ``nparallel`` slots, if any); the product checksum and value."""
        tf = _transformer(planned.taskdef)(**args)
        async with self._slot():
            if on_start is None:
                self._update(planned.name, state="running", started=time.monotonic())
            else:
                on_start()
            result = await tf.computation(require_value=True)
        if result is None:
            raise TaskFailedError(planned.name, tf.exception or "no result")
        if tf.checksum != fingerprint:  # pragma: no cover - would be a bug in fingerprints.py
            raise AssertionError(
                f"task {planned.name!r}: execution fingerprint {fingerprint.hex()} differs from "
                f"the transformation checksum {tf.checksum.hex()}"
            )
        if hold:
            self._held[planned.name] = tf
        try:
            value = await tf.task()
        except Exception as exc:  # noqa: BLE001 (re-raised as the task's TaskFailedError)
            raise TaskFailedError(planned.name, f"{type(exc).__name__}: {exc}") from None
        return result, value

    async def _execute_in_process(
        self, planned: PlannedTask, fingerprint: Checksum
    ) -> tuple[Checksum, Any]:
        """A task with transient inputs: evaluated under its execution fingerprint, in this
        process, with the transient values passed in memory."""
        box: dict[str, Any] = {}

        async def execute() -> ExecutionResult:
            kwargs = dict(planned.options)
            for param, dep in planned.deps.items():
                kwargs[param] = await self._dep_value(dep)
            func = planned.taskdef.func
            try:
                value = await asyncio.get_running_loop().run_in_executor(
                    None, functools.partial(_call, func, kwargs)
                )
            finally:
                kwargs.clear()
            buffer = to_buffer(value, "mixed")
            box["value"] = value
            return ExecutionResult(buffer.get_checksum(), buffer)

        try:
            result = await get_transformation_cache().evaluate(fingerprint, execute)
        except _Failed:
            raise
        except TaskFailedError:
            raise
        except Exception as exc:  # noqa: BLE001 (re-raised as the task's TaskFailedError)
            raise TaskFailedError(planned.name, f"{type(exc).__name__}: {exc}") from None
        return result, box.get("value", _NOT_YET)

    # ------------------------------------------------------------------ transient products
    async def _transient_value(self, name: str) -> Any:
        """The value of a transient task, computed on first demand."""
        started = self._transient_started.get(name)
        if started is None:
            started = asyncio.get_running_loop().create_future()
            started.add_done_callback(_consume)
            self._transient_started[name] = started
            try:
                self._transient_values[name] = await self._compute_transient(name)
            except _Failed as failed:
                started.set_exception(failed)
            except TaskFailedError as error:
                self._update(name, state="failed", error=error, finished=time.monotonic())
                started.set_exception(_Failed(error))
            else:
                started.set_result(None)
        await asyncio.shield(started)
        return self._transient_values[name]

    async def _compute_transient(self, name: str) -> Any:
        planned = self.invocation[name]
        kwargs: dict[str, Any] = dict(planned.options)
        try:
            for param, dep in planned.deps.items():
                kwargs[param] = await self._dep_value(dep)
        except _Failed as failed:
            error = TaskFailedError(
                name, failed.root.detail, upstream=failed.root.upstream or failed.root.task
            )
            self._update(name, state="failed", error=error, finished=time.monotonic())
            raise _Failed(failed.root) from None
        finally:
            for dep in planned.deps.values():
                if dep in self._transient_pending:
                    self._release(dep, name)
        self._update(name, state="running", started=time.monotonic())
        try:
            value = await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(_call, planned.taskdef.func, kwargs)
            )
        except Exception as exc:  # noqa: BLE001 (re-raised as the task's TaskFailedError)
            raise TaskFailedError(name, f"{type(exc).__name__}: {exc}") from None
        finally:
            kwargs.clear()
        failing = self.invocation.env.types.failing(planned.taskdef.product_name, value)
        if failing is not None:
            raise TaskFailedError(name, f"product {short_repr(value)} fails {failing}")
        self._update(name, state="done", finished=time.monotonic())
        return value

    async def _run_transient_target(self, name: str) -> None:
        """A transient target: its value is kept for ``results()`` (the run holds it)."""
        try:
            self._target_values[name] = await self._transient_value(name)
        except _Failed:
            pass
        finally:
            self._release(name, _TARGET)

    def _release(self, transient: str, user: str) -> None:
        """``user`` is finished with ``transient``; drop the value after the last user."""
        pending = self._transient_pending[transient]
        pending.discard(user)
        if not pending:
            self._transient_values.pop(transient, None)

    # ------------------------------------------------------------------ helpers
    def _slot(self) -> contextlib.AbstractAsyncContextManager[object]:
        """A slot among the ``nparallel`` ones (none to wait for without a limit)."""
        return self._slots if self._slots is not None else contextlib.nullcontext()

    def _cached(self, name: str, product: Checksum) -> None:
        now = time.monotonic()
        self._update(name, state="cached", product=product, started=now, finished=now)

    async def _known_result(self, fingerprint: Checksum) -> Checksum | None:
        """The result known for an execution fingerprint: memory, then the database."""
        cache = get_transformation_cache()
        known = cache.get_result(fingerprint)
        if known is None:
            known = await persistence.get_transformation_result(fingerprint)
            if known is not None:
                cache.register_result(fingerprint, known)
        return known

    async def _product_of(self, dep: str) -> Checksum:
        try:
            return await asyncio.shield(self._products[dep])
        except _Failed as failed:
            raise _Failed(failed.root) from None

    async def _dep_input(self, dep: str) -> tuple[Checksum, Any]:
        """(checksum in the execution fingerprint, argument of the transformation) of a
        non-transient dependency; a whole stream is the list of its item values."""
        product = await self._product_of(dep)
        if self.invocation[dep].taskdef.is_stream:
            buffer = to_buffer(await self._stream_values(product), "mixed")
            return buffer.get_checksum(), buffer
        return product, self._held.get(dep, product)

    async def _dep_value(self, dep: str) -> Any:
        """The value of a dependency, for code called in this process."""
        if self.invocation[dep].taskdef.transient:
            return await self._transient_value(dep)
        product = await self._product_of(dep)
        if self.invocation[dep].taskdef.is_stream:
            return await self._stream_values(product)
        return await self._value_of(product)

    async def _dependency_inputs(
        self, planned: PlannedTask, *, skip: str | None = None
    ) -> tuple[dict[str, Checksum], dict[str, Any], dict[str, Checksum]]:
        """Inputs of the execution fingerprint (options and dependency products), the
        transformation's arguments, and transient dependencies' plan fingerprints."""
        inputs = {opt: buf.get_checksum() for opt, buf in planned.option_buffers.items()}
        args: dict[str, Any] = dict(planned.option_buffers)
        transient_inputs: dict[str, Checksum] = {}
        for param, dep in planned.deps.items():
            if param == skip:
                continue
            if self.invocation[dep].taskdef.transient:
                transient_inputs[param] = self.invocation[dep].plan_fingerprint
                continue
            inputs[param], args[param] = await self._dep_input(dep)
        return inputs, args, transient_inputs

    async def _stream_values(self, product: Checksum) -> list[Any]:
        values = []
        for checksum in await self._stream_list(product):
            values.append(from_buffer(await self._buffer_of(checksum), "mixed"))
        return values

    async def _buffer_of(self, checksum: Checksum) -> Buffer:
        buffer = self._item_buffers.get(checksum)
        if buffer is None:
            from ..execute import resolve_buffer

            buffer = await resolve_buffer(checksum, what="task product")
        return buffer

    async def _check_product(self, planned: PlannedTask, product: Checksum, *, value: Any) -> None:
        """Check a product against its declared type (skipped when a recorded plan vouches)."""
        if value is _NOT_YET:
            value = await self._value_of(product)
        failing = self.invocation.env.types.failing(planned.taskdef.product_name, value)
        if failing is not None:
            raise TaskFailedError(planned.name, f"product {short_repr(value)} fails {failing}")

    async def _value_of(self, checksum: Checksum) -> Any:
        return from_buffer(await self._buffer_of(checksum), "mixed")


class _NotYet:
    def __repr__(self) -> str:
        return "<not yet>"


_NOT_YET: Any = _NotYet()
#: Stands for "the caller" among the users of a transient target.
_TARGET = "<target>"


def _call(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    return func(**kwargs)


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()

"""Streams: generator tasks whose items are stored as they come, and item-wise consumers.

- A **stream producer** (product ``Stream("T")``, code a generator) runs in this process; each
  yielded item is checked against ``T``, serialized ("mixed"), held and uploaded, and published
  at once. Its product is the "plain" list of the item checksums, complete when the generator
  ends, kept in the transformation cache under the producer's execution fingerprint (and
  recorded under its plan fingerprint): a cached stream *replays* its items from that list
  without running the generator.
- An **item-wise consumer** (``itemwise="param"``, product ``Stream("U")``) becomes one ordinary
  Seamless transformation per item, ``delayed(func)(**options, param=<item>)``, keyed by that
  item's checksum and the task's options, started as soon as the item arrives. Its product is
  again a stream, so chains of item-wise tasks pipeline, and a slow item holds up only its own
  chain.
- A task that takes a stream as an ordinary dependency waits until the stream is complete and
  receives the list of item values.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seamless import Buffer, Checksum

from .. import persistence
from ..transformation_cache import ExecutionResult, get_transformation_cache
from ..values import from_buffer, to_buffer
from . import records
from .errors import TaskFailedError, short_repr
from .fingerprints import execution_fingerprint

if TYPE_CHECKING:
    from .invocation import Invocation, PlannedTask


class _Failed(Exception):
    """Internal: a dependency failed; carries the root TaskFailedError."""

    def __init__(self, root: TaskFailedError) -> None:
        self.root = root


@dataclass
class ItemStatus:
    """The state of one item of a stream task."""

    index: int
    state: str = "waiting"
    checksum: Checksum | None = None
    started: float | None = None
    finished: float | None = None
    error: TaskFailedError | None = None


class StreamChannel:
    """The items of one stream as they arrive (in any order), and its end."""

    def __init__(self) -> None:
        self.items: dict[int, Checksum] = {}
        self.failed: dict[int, TaskFailedError] = {}
        self.length: int | None = None
        self.error: TaskFailedError | None = None
        self._event = asyncio.Event()

    @property
    def closed(self) -> bool:
        """True once the number of items is known."""
        return self.length is not None

    def _notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def put(self, index: int, checksum: Checksum) -> None:
        """Item ``index`` is available."""
        self.items[index] = checksum
        self._notify()

    def fail(self, index: int, error: TaskFailedError) -> None:
        """Item ``index`` failed."""
        self.failed[index] = error
        self._notify()

    def close(self, length: int, error: TaskFailedError | None = None) -> None:
        """No more items than ``length``; ``error`` when the stream itself broke off."""
        if self.length is None:
            self.length, self.error = length, error
            self._notify()

    @contextlib.contextmanager
    def closing(self) -> Iterator[None]:
        """Close the channel when the block ends, with the error that broke the stream off."""
        try:
            yield
        except _Failed as failed:
            self.close(len(self.items) + len(self.failed), failed.root)
            raise
        except TaskFailedError as error:
            self.close(len(self.items) + len(self.failed), error)
            raise
        finally:
            self.close(len(self.items) + len(self.failed))

    async def arrivals(self) -> AsyncIterator[tuple[int, Checksum | None, TaskFailedError | None]]:
        """(index, checksum, None) or (index, None, error) per item, as they arrive."""
        seen: set[int] = set()
        while True:
            event = self._event
            for index in sorted((self.items.keys() | self.failed.keys()) - seen):
                seen.add(index)
                yield index, self.items.get(index), self.failed.get(index)
            if self.length is not None and len(seen) >= self.length:
                return
            await event.wait()


class StreamRunMixin:
    """The stream part of TaskRun (see run.py)."""

    # provided by TaskRun
    invocation: Invocation
    _lock: threading.Lock
    _channels: dict[str, StreamChannel]
    _items: dict[str, dict[int, ItemStatus]]
    _item_buffers: dict[Checksum, Buffer]

    if TYPE_CHECKING:
        # TaskRun's methods that the stream part calls (declared for the type checker only)
        def _update(self, name: str, **changes: Any) -> None: ...

        def _cached(self, name: str, product: Checksum) -> None: ...

        async def _buffer_of(self, checksum: Checksum) -> Buffer: ...

        async def _known_result(self, fingerprint: Checksum) -> Checksum | None: ...

        async def _dep_value(self, dep: str) -> Any: ...

        async def _dependency_inputs(
            self, planned: PlannedTask, *, skip: str | None = None
        ) -> tuple[dict[str, Checksum], dict[str, Any], dict[str, Checksum]]: ...

        async def _execute_transformation(
            self,
            planned: PlannedTask,
            fingerprint: Checksum,
            args: Mapping[str, Any],
            *,
            on_start: Callable[[], None] | None = None,
            hold: bool = True,
        ) -> tuple[Checksum, Any]: ...

    def items(self, name: str) -> list[ItemStatus]:
        """The item statuses of a stream task, by index (copies)."""
        with self._lock:
            return [
                ItemStatus(**vars(item)) for _, item in sorted(self._items.get(name, {}).items())
            ]

    def _item_update(self, name: str, index: int, **changes: Any) -> None:
        with self._lock:
            item = self._items.setdefault(name, {}).setdefault(index, ItemStatus(index))
            for key, value in changes.items():
                setattr(item, key, value)
            statuses = self._items[name].values()
            counts = {
                "items": len(statuses),
                "items_done": sum(1 for s in statuses if s.state in ("done", "cached")),
                "items_failed": sum(1 for s in statuses if s.state == "failed"),
            }
        self._update(name, **counts)

    async def _stream_list(self, product: Checksum) -> list[Checksum]:
        buffer = await self._buffer_of(product)
        return [Checksum(c) for c in from_buffer(buffer, "plain")]

    async def _replay(self, name: str, product: Checksum) -> None:
        """Publish the items of a known stream product without running anything."""
        channel = self._channels[name]
        checksums = await self._stream_list(product)
        now = time.monotonic()
        for index, checksum in enumerate(checksums):
            self._item_update(
                name, index, state="cached", checksum=checksum, started=now, finished=now
            )
            channel.put(index, checksum)
        channel.close(len(checksums))

    async def _replay_recorded(self, planned: PlannedTask) -> Checksum | None:
        """Replay a stream whose plan fingerprint has a recorded product (then cached)."""
        recorded = await records.lookup(planned.plan_fingerprint)
        if recorded is not None:
            await self._replay(planned.name, recorded)
            self._cached(planned.name, recorded)
        return recorded

    async def _store_list(self, checksums: list[Checksum]) -> tuple[Checksum, Buffer]:
        buffer = to_buffer([c.hex() for c in checksums], "plain")
        if persistence.has_buffer_write():
            await persistence.upload([buffer])
        self._keep(buffer)
        return buffer.get_checksum(), buffer

    def _keep(self, buffer: Buffer) -> None:
        """Hold a stream buffer for this run and, like Seamless results, in the transformation
        cache's buffer store (so a later run in this process can replay the stream)."""
        checksum = buffer.get_checksum()
        self._item_buffers[checksum] = buffer
        get_transformation_cache().hold_buffer(checksum, buffer)

    # ------------------------------------------------------------------ producer
    async def _producer_product(self, planned: PlannedTask) -> Checksum:
        name, taskdef = planned.name, planned.taskdef
        channel = self._channels[name]
        with channel.closing():
            recorded = await self._replay_recorded(planned)
            if recorded is not None:
                return recorded
            inputs, _, _ = await self._dependency_inputs(planned)
            assert taskdef.code_checksum is not None  # set when the task was defined
            kwargs = dict(planned.options)
            for param, dep in planned.deps.items():
                kwargs[param] = await self._dep_value(dep)
            fingerprint = execution_fingerprint(
                code=taskdef.code_checksum,
                inputs=inputs,
                stream=True,
            )
            self._update(name, execution_fingerprint=fingerprint)
            known = await self._known_result(fingerprint)
            if known is not None:
                await self._replay(name, known)
                await records.record(planned.plan_fingerprint, known)
                self._cached(name, known)
                return known
            self._update(name, state="running", started=time.monotonic())

            async def execute() -> ExecutionResult:
                return await self._run_generator(planned, kwargs)

            try:
                product = await get_transformation_cache().evaluate(fingerprint, execute)
            except TaskFailedError:
                raise
            except Exception as exc:  # noqa: BLE001 (re-raised as the task's TaskFailedError)
                raise TaskFailedError(name, f"{type(exc).__name__}: {exc}") from None
            await records.record(planned.plan_fingerprint, product)
            self._update(name, state="done", product=product, finished=time.monotonic())
            return product

    async def _run_generator(self, planned: PlannedTask, kwargs: dict[str, Any]) -> ExecutionResult:
        name = planned.name
        item_type = planned.taskdef.item_type
        types = self.invocation.env.types
        channel = self._channels[name]
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        func = planned.taskdef.func

        def produce() -> None:
            try:
                for item in func(**kwargs):
                    loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
            except Exception as exc:  # noqa: BLE001 (the generator's own error, reported as the task's)
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
            else:
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

        thread = loop.run_in_executor(None, produce)
        checksums: list[Checksum] = []
        buffers: list[Buffer] = []
        index = 0
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    error = TaskFailedError(
                        name, f"after {index} item(s): {type(payload).__name__}: {payload}"
                    )
                    channel.close(index, error)
                    raise error
                now = time.monotonic()
                failing = types.failing(item_type, payload)
                if failing is not None:
                    error = TaskFailedError(
                        name, f"item {short_repr(payload)} fails {failing}", item=index
                    )
                    self._item_update(name, index, state="failed", error=error, finished=now)
                    channel.fail(index, error)
                else:
                    buffer = to_buffer(payload, "mixed")
                    checksum = buffer.get_checksum()
                    self._keep(buffer)
                    persistence.queue_upload([buffer])
                    checksums.append(checksum)
                    buffers.append(buffer)
                    self._item_update(
                        name, index, state="done", checksum=checksum, started=now, finished=now
                    )
                    channel.put(index, checksum)
                index += 1
        finally:
            await thread
        channel.close(index)
        if channel.failed:
            first = min(channel.failed)
            raise TaskFailedError(
                name,
                f"{len(channel.failed)} of {index} item(s) failed; item {first}: "
                f"{channel.failed[first].detail}",
            )
        list_buffer = to_buffer([c.hex() for c in checksums], "plain")
        self._keep(list_buffer)
        return ExecutionResult(list_buffer.get_checksum(), list_buffer, leaf_buffers=buffers)

    # ------------------------------------------------------------------ item-wise consumer
    async def _itemwise_product(self, planned: PlannedTask) -> Checksum:
        name, taskdef = planned.name, planned.taskdef
        channel = self._channels[name]
        with channel.closing():
            recorded = await self._replay_recorded(planned)
            if recorded is not None:
                return recorded
            param = taskdef.itemwise
            assert param is not None
            upstream = taskdef.deps[param]
            inputs, args, _ = await self._dependency_inputs(planned, skip=param)
            self._update(name, state="running", started=time.monotonic())
            jobs: list[asyncio.Task[None]] = []
            async for index, checksum, error in self._channels[upstream].arrivals():
                if error is not None:
                    failure = TaskFailedError(
                        name, error.detail, upstream=error.upstream or error.task, item=index
                    )
                    self._item_update(
                        name, index, state="failed", error=failure, finished=time.monotonic()
                    )
                    channel.fail(index, failure)
                    continue
                assert checksum is not None  # an item arrives with its checksum or its error
                self._item_update(name, index, state="waiting")
                jobs.append(
                    asyncio.ensure_future(self._run_item(planned, index, checksum, inputs, args))
                )
            await asyncio.gather(*jobs)
            upstream_error = self._channels[upstream].error
            total = self._channels[upstream].length or 0
            if upstream_error is not None:
                raise TaskFailedError(
                    name,
                    upstream_error.detail,
                    upstream=upstream_error.upstream or upstream_error.task,
                )
            channel.close(total)
            if channel.failed:
                first = min(channel.failed)
                raise TaskFailedError(
                    name,
                    f"{len(channel.failed)} of {total} item(s) failed; item {first}: "
                    f"{channel.failed[first].detail}",
                    upstream=channel.failed[first].upstream,
                )
            product, _ = await self._store_list([channel.items[i] for i in range(total)])
            await records.record(planned.plan_fingerprint, product)
            self._update(name, state="done", product=product, finished=time.monotonic())
            return product

    async def _run_item(
        self,
        planned: PlannedTask,
        index: int,
        checksum: Checksum,
        inputs: dict[str, Checksum],
        args: dict[str, Any],
    ) -> None:
        name, taskdef = planned.name, planned.taskdef
        param = taskdef.itemwise
        assert param is not None
        assert taskdef.code_checksum is not None  # set when the task was defined
        channel = self._channels[name]
        fingerprint = execution_fingerprint(
            code=taskdef.code_checksum,
            inputs={**inputs, param: checksum},
        )
        known = await self._known_result(fingerprint)
        if known is not None:
            now = time.monotonic()
            self._item_update(
                name, index, state="cached", checksum=known, started=now, finished=now
            )
            channel.put(index, known)
            return
        item_arg = self._item_buffers.get(checksum, checksum)
        try:
            result, value = await self._execute_transformation(
                planned,
                fingerprint,
                {**args, param: item_arg},
                on_start=lambda: self._item_update(
                    name, index, state="running", started=time.monotonic()
                ),
                hold=False,
            )
            failing = self.invocation.env.types.failing(taskdef.item_type, value)
            if failing is not None:
                raise TaskFailedError(name, f"item {short_repr(value)} fails {failing}", item=index)
            self._keep(await self._buffer_of(result))
        except TaskFailedError as exc:
            error = TaskFailedError(name, exc.detail, item=index)
            self._item_update(name, index, state="failed", error=error, finished=time.monotonic())
            channel.fail(index, error)
            return
        self._item_update(name, index, state="done", checksum=result, finished=time.monotonic())
        channel.put(index, result)

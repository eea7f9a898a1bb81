"""Bounded parallelism: ``parallel``, ``parallel_async`` and ``TransformationList``.

At most ``nparallel`` transformations compute at a time (from ``seamless_config``'s
``nparallel`` unless given); they are yielded in input order, item N once items 0..N are done.
An iterable that has ``finish(index)`` / ``close()`` gets them called per item and at the end.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, overload

from seamless import Checksum

from . import selection
from .event_loop import get_loop_registry, run_async, run_sync
from .transformation import Transformation

if TYPE_CHECKING:
    from tqdm.auto import tqdm


def _nparallel(nparallel: int | None) -> int:
    # callers may pass anything at run time: checked as an object
    value: object = selection.get_nparallel() if nparallel is None else nparallel
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"nparallel must be a positive int, not {value!r}")
    return value


def _select_stage(stage: str | None, substage: str | None) -> None:
    if stage is None and substage is None:
        return
    import seamless_config

    seamless_config.set_stage(stage, substage)


async def _parallel_core(
    transformations: Iterable[Transformation], nparallel: int
) -> AsyncGenerator[tuple[int, Transformation], None]:
    iterator = enumerate(transformations)
    running: dict[asyncio.Future[Any], int] = {}
    done: dict[int, Transformation] = {}
    items: dict[int, Transformation] = {}
    next_index = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < nparallel:
                try:
                    index, transformation = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                if not isinstance(transformation, Transformation):
                    raise TypeError(
                        f"parallel(): item {index} is a {type(transformation).__name__}, "
                        "not a Transformation (use delayed transformers)"
                    )
                items[index] = transformation
                running[asyncio.ensure_future(transformation._computation_core())] = index
            while next_index in done:
                yield next_index, done.pop(next_index)
                next_index += 1
            if not running:
                if exhausted:
                    return
                continue
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                if not future.cancelled():
                    future.exception()
                done[index] = items.pop(index)
    finally:
        for future in running:
            future.cancel()


def _notify(iterable: Any, method: str, *args: Any) -> None:
    func = getattr(iterable, method, None)
    if callable(func):
        func(*args)


async def parallel_async(
    transformations: Iterable[Transformation],
    *,
    nparallel: int | None = None,
    stage: str | None = None,
    substage: str | None = None,
) -> AsyncIterator[Transformation]:
    """Compute transformations, at most ``nparallel`` at a time; yield each, in input order."""
    _select_stage(stage, substage)
    bound = _nparallel(nparallel)
    core = _parallel_core(transformations, bound)
    try:
        while True:
            try:
                index, transformation = await run_async(core.__anext__())
            except StopAsyncIteration:
                break
            _notify(transformations, "finish", index)
            yield transformation
    finally:
        await run_async(core.aclose())
        _notify(transformations, "close")


def parallel(
    transformations: Iterable[Transformation],
    *,
    nparallel: int | None = None,
    stage: str | None = None,
    substage: str | None = None,
) -> Iterator[Transformation]:
    """Sync form of parallel_async (not inside a running event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "parallel() cannot run inside a running event loop; use parallel_async()"
        )
    if get_loop_registry().in_loop_thread():  # pragma: no cover - covered by the check above
        raise RuntimeError("parallel() cannot run inside the Seamless event loop")
    _select_stage(stage, substage)
    bound = _nparallel(nparallel)
    core = _parallel_core(transformations, bound)
    try:
        while True:
            try:
                index, transformation = run_sync(core.__anext__(), what="parallel()")
            except StopAsyncIteration:
                break
            _notify(transformations, "finish", index)
            yield transformation
    finally:
        run_sync(core.aclose(), what="parallel()")
        _notify(transformations, "close")


class TransformationList(Sequence[Transformation | None]):
    """A list of transformations computed with bounded parallelism and a tqdm progress bar.

    ``on_error``: None (keep going), "print" (print each exception) or "raise" (stop with
    RuntimeError). ``store_details``: keep only the result checksum and exception per item and
    drop the Transformation, so memory is freed as items finish.
    """

    def __init__(
        self,
        transformations: Iterable[Transformation],
        *,
        show_progress: bool = True,
        on_error: str | None = None,
        store_details: bool = False,
        nparallel: int | None = None,
    ) -> None:
        if on_error not in (None, "print", "raise"):
            raise ValueError(f"on_error must be None, 'print' or 'raise', not {on_error!r}")
        self._transformations: list[Transformation | None] = list(transformations)
        self.show_progress = show_progress
        self.on_error = on_error
        self.store_details = store_details
        self.nparallel = nparallel
        n = len(self._transformations)
        self._result_checksums: list[Checksum | None] = [None] * n
        self._exceptions: list[str | None] = [None] * n
        self._celltypes = [tf.celltype for tf in self._transformations if tf is not None]
        self._finished = 0
        self._errors = 0
        self._cancelled = 0
        self._bar: tqdm[NoReturn] | None = None

    def __len__(self) -> int:
        return len(self._transformations)

    @overload
    def __getitem__(self, index: int) -> Transformation | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[Transformation | None]: ...

    def __getitem__(
        self, index: int | slice
    ) -> Transformation | None | list[Transformation | None]:
        return self._transformations[index]

    def __iter__(self) -> Iterator[Transformation | None]:
        return iter(list(self._transformations))

    @property
    def result_checksums(self) -> list[Checksum | None]:
        """Per item: the result checksum, or None."""
        return list(self._result_checksums)

    @property
    def exceptions(self) -> list[str | None]:
        """Per item: the exception text, or None."""
        return list(self._exceptions)

    def finish(self, index: int) -> None:
        """Record that item ``index`` is done (called by parallel())."""
        transformation = self._transformations[index]
        assert transformation is not None
        self._open_bar()
        if transformation.status == "Status: canceled":
            self._cancelled += 1
        elif transformation.exception is not None:
            self._errors += 1
            self._exceptions[index] = transformation.exception
        else:
            self._finished += 1
            self._result_checksums[index] = transformation._result_checksum
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(errors=self._errors, canceled=self._cancelled)
        if self.store_details:
            self._transformations[index] = None
        if transformation.exception is not None:
            if self.on_error == "print":
                # on_error="print" is the 1.x API: writing to stdout for the user is its job
                sys.stdout.write(f"Transformation {index} failed:\n{transformation.exception}\n")
            elif self.on_error == "raise":
                raise RuntimeError(f"Transformation {index} failed:\n{transformation.exception}")

    def _open_bar(self) -> None:
        if self._bar is None and self.show_progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=len(self), desc="transformations", unit="tf")

    def _start(self) -> None:
        self._finished = self._errors = self._cancelled = 0
        self._open_bar()

    def close(self) -> None:
        """Close the progress bar (called by parallel())."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _pending(self) -> list[Transformation]:
        return [tf for tf in self._transformations if tf is not None]

    def compute(self) -> list[Checksum | None]:
        """Compute every item; the result checksums (None for failed items)."""
        self._start()
        for _ in parallel(_Indexed(self), nparallel=self.nparallel):
            pass
        return self.result_checksums

    async def computation(self) -> list[Checksum | None]:
        """Async form of compute()."""
        self._start()
        async for _ in parallel_async(_Indexed(self), nparallel=self.nparallel):
            pass
        return self.result_checksums

    def run(self) -> list[Any]:
        """Compute every item; the values (None for failed items)."""
        self.compute()
        return self._values()

    async def task(self) -> list[Any]:
        """Async form of run()."""
        await self.computation()
        return self._values()

    def _values(self) -> list[Any]:
        values: list[Any] = []
        for index, checksum in enumerate(self._result_checksums):
            transformation = self._transformations[index]
            if checksum is None:
                values.append(None)
            elif transformation is not None:
                values.append(transformation.value)
            else:
                from .execute import local_buffer
                from .values import from_buffer

                buffer = local_buffer(checksum) or checksum.resolve()
                values.append(from_buffer(buffer, self._celltypes[index]))
        return values


class _Indexed:
    """Iterates a TransformationList's transformations, forwarding finish/close to it."""

    def __init__(self, tlist: TransformationList) -> None:
        self._tlist = tlist

    def __iter__(self) -> Iterator[Transformation]:
        return iter([tf for tf in self._tlist._transformations if tf is not None])

    def finish(self, index: int) -> None:
        self._tlist.finish(index)

    def close(self) -> None:
        self._tlist.close()

"""``Transformation``: a frozen definition plus a promise; construct() -> compute() -> run().

- construct: run the upstream dependencies (their result checksums are inputs), build the
  transformation dict, compute its checksum;
- compute: construct, then evaluate (in-memory cache, database, an identical transformation in
  flight, execution in the selected mode); gives the result checksum or sets ``.exception``;
- run: compute, then the result value; raises TransformationError on an exception.

Every state change happens on the background loop (event_loop.py); the sync methods are thin
wrappers, except for a lock-free fast path that serves in-memory cache hits in the caller's
thread. The buffers the dict refers to (code, inputs, modules, environment) are held by the
Transformation, so they cannot be garbage-collected before it runs.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from seamless import Buffer, Checksum

from . import persistence
from .cancel import CancelOutcome, effective_timeout, run_with_timeout
from .errors import PureDaskModeError, RemoteBackendError, SpawnError, TransformationError
from .event_loop import run_async, run_sync, submit
from .executors import Executor, choose_executor
from .guard import check_not_pure_dask
from .transformation_cache import ExecutionResult, get_transformation_cache
from .transformation_dict import transformation_buffer_bytes
from .values import live_buffer

logger = logging.getLogger(__name__)

#: Errors of configuration: raised to the caller instead of being stored as ``.exception``.
_CONFIGURATION_ERRORS = (PureDaskModeError, RemoteBackendError, SpawnError)
#: a checksum in an error text (the remote side names the buffer it could not read)
_HEX64 = re.compile(r"[0-9a-f]{64}")

#: A pin: (celltype, subcelltype, Checksum or upstream Transformation).
PinSource = tuple[str, "str | None", "Checksum | Transformation"]


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class Transformation:
    """A transformation: built by ``delayed`` transformers, computed on demand."""

    _FROZEN = ("meta", "scratch", "local", "celltype", "language")

    def __init__(
        self,
        *,
        language: str,
        pins: Mapping[str, PinSource],
        result_celltype: str,
        buffers: list[Buffer],
        formats: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        env_checksum: Checksum | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "_initialized", False)
        self._language = language
        self._pins = dict(pins)
        self._result_celltype = result_celltype
        self._formats = dict(formats or {})
        self._meta = copy.deepcopy(dict(meta or {}))
        self._env_checksum = env_checksum
        self._extra = dict(extra or {})
        self._buffers: dict[Checksum, Buffer] = {b.get_checksum(): b for b in buffers}
        self._tf_dict: dict[str, Any] | None = None
        self._tf_checksum: Checksum | None = None
        self._tf_buffer: Buffer | None = None
        self._result_checksum: Checksum | None = None
        self._result_buffer: Buffer | None = None
        self._exception: str | None = None
        self._canceled = False
        self._task: asyncio.Task[Checksum | None] | None = None
        #: The Dask futures of the last Dask run (1.x name; ``.base.key`` is the base task's
        #: key). Set by the Dask executor on the transformation it ran; None otherwise.
        # set by seamless_dask (a higher layer) to its TransformationFutures: the 1.x name
        self._dask_futures: object | None = None
        #: the executor whose ``execute`` runs this transformation's work right now
        self._running_on: Executor | None = None
        self._cancel_outcome: CancelOutcome | None = None
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._FROZEN and self.__dict__.get("_initialized"):
            raise TransformationError("Transformation definition is immutable")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ definition
    @property
    def meta(self) -> Mapping[str, Any]:
        """The meta dict (read-only): local, scratch, resources, ... (not part of identity)."""
        return _freeze(self._meta)

    @property
    def scratch(self) -> bool:
        """Scratch: the result buffer is not persisted, only its checksum."""
        return bool(self._meta.get("scratch"))

    @property
    def local(self) -> bool:
        """Local: always executed in this process, whatever the execution mode."""
        return bool(self._meta.get("local"))

    @property
    def timeout(self) -> float | None:
        """Seconds after which the work is canceled and the transformation fails with
        "Transformation timed out after N s": ``meta["timeout"]``, else seamless-config's
        ``timeout`` (none by default)."""
        return effective_timeout(self._meta)

    @property
    def resources(self) -> Mapping[str, Any] | None:
        """The resource spec (``meta["resources"]``), or None."""
        resources = self._meta.get("resources")
        return None if resources is None else _freeze(resources)

    @property
    def celltype(self) -> str:
        """The result celltype."""
        return self._result_celltype

    @property
    def language(self) -> str:
        """The code language (python or bash)."""
        return self._language

    @property
    def dependencies(self) -> Mapping[str, Transformation]:
        """Pin name -> upstream Transformation whose result checksum is not known yet."""
        return MappingProxyType(
            {
                pin: source
                for pin, (_, _, source) in self._pins.items()
                if isinstance(source, Transformation) and source._result_checksum is None
            }
        )

    @property
    def upstream(self) -> Mapping[str, Transformation]:
        """Pin name -> every upstream Transformation (computed or not)."""
        return MappingProxyType(
            {p: s for p, (_, _, s) in self._pins.items() if isinstance(s, Transformation)}
        )

    def build_dict(
        self, dependency_results: Mapping[str, Checksum | str] | None = None
    ) -> dict[str, Any]:
        """The transformation dict (pure), given the result checksums of ``.dependencies``."""
        results = dict(dependency_results or {})
        tf_dict: dict[str, Any] = {
            "__language__": self._language,
            "__output__": ["result", self._result_celltype, None],
        }
        if self._formats:
            tf_dict["__format__"] = {k: dict(v) for k, v in self._formats.items()}
        deps: dict[str, str] = {}
        for pin, (celltype, subcelltype, source) in self._pins.items():
            if isinstance(source, Transformation):
                checksum = results.get(pin, source._result_checksum)
                if checksum is None:
                    raise TransformationError(
                        f"build_dict(): no result checksum for dependency pin {pin!r}; pass "
                        "it in dependency_results"
                    )
                if source._tf_checksum is not None:
                    deps[pin] = source._tf_checksum.hex()
            else:
                checksum = source
            tf_dict[pin] = [celltype, subcelltype, Checksum(checksum).hex()]
        tf_dict.update(self._extra)
        tf_dict["__meta__"] = dict(self._meta)
        if self._env_checksum is not None:
            tf_dict["__env__"] = self._env_checksum.hex()
        if deps:
            tf_dict["__deps__"] = deps
        return tf_dict

    def construct_from(
        self, dependency_results: Mapping[str, Checksum | str] | None = None
    ) -> Checksum:
        """Build the dict and checksum from dependency results and record them; the checksum."""
        if self._tf_checksum is not None:
            return self._tf_checksum
        tf_dict = self.build_dict(dependency_results)
        content = transformation_buffer_bytes(tf_dict)
        tf_checksum = Checksum(hashlib.sha256(content).digest())
        tf_buffer = live_buffer(content, tf_checksum)
        self._tf_dict, self._tf_buffer = tf_dict, tf_buffer
        self._tf_checksum = tf_checksum
        get_transformation_cache().register_transformation(tf_checksum, tf_dict)
        return tf_checksum

    def input_buffers(self) -> list[Buffer]:
        """The buffers this transformation holds (code, inputs, modules, environment)."""
        return list(self._buffers.values())

    def held_buffers(self) -> dict[Checksum, Buffer]:
        """Checksum -> buffer of ``input_buffers()`` and of the upstream results this process
        holds (for executors that resolve the inputs here)."""
        known = dict(self._buffers)
        for dep in self.upstream.values():
            if dep._result_checksum is not None and dep._result_buffer is not None:
                known[dep._result_checksum] = dep._result_buffer
        return known

    @property
    def transformation_dict(self) -> dict[str, Any]:
        """The transformation dict (after construction; do not modify it)."""
        if self._tf_dict is None:
            raise TransformationError("Transformation has not been constructed")
        return self._tf_dict

    async def write_buffers(self) -> None:
        """Upload the input buffers (and the dict), recursively over upstream transformations."""
        for upstream in self.upstream.values():
            await upstream.write_buffers()
        buffers = self.input_buffers()
        if self._tf_buffer is not None:
            buffers.append(self._tf_buffer)
        await persistence.upload(buffers)

    # ------------------------------------------------------------------ state
    @property
    def transformation_checksum(self) -> Checksum:
        """The transformation checksum; raises TransformationError before construction."""
        if self._tf_checksum is None:
            raise TransformationError("Transformation has not been constructed")
        return self._tf_checksum

    @property
    def checksum(self) -> Checksum:
        """Alias of ``transformation_checksum``."""
        return self.transformation_checksum

    @property
    def result_checksum(self) -> Checksum:
        """The result checksum; raises TransformationError saying why it is not available."""
        if self._result_checksum is not None:
            return self._result_checksum
        if self._canceled:
            raise TransformationError("Transformation was canceled")
        if self._exception is not None:
            if self._tf_checksum is None:
                raise TransformationError(
                    "Transformation has a construction exception:\n" + self._exception
                )
            raise TransformationError("Transformation returned an exception:\n" + self._exception)
        if self._task is not None and not self._task.done():
            raise TransformationError("Transformation is still computing")
        if self._tf_checksum is None:
            raise TransformationError("Transformation has not been constructed")
        raise TransformationError("Transformation has not been computed")

    @property
    def exception(self) -> str | None:
        """The exception text, or None."""
        return self._exception

    @property
    def status(self) -> str:
        """One of "Status: ready|pending|OK|exception|canceled"."""
        if self._canceled:
            return "Status: canceled"
        if self._result_checksum is not None:
            return "Status: OK"
        if self._exception is not None:
            return "Status: exception"
        if self._task is not None and not self._task.done():
            return "Status: pending"
        return "Status: ready"

    @property
    def buffer(self) -> Buffer | None:
        """The result buffer if it is available without recomputation."""
        if self._result_checksum is None:
            return None
        if self._result_buffer is None:
            from .event_loop import get_loop_registry
            from .execute import local_buffer

            self._result_buffer = local_buffer(self._result_checksum)
            if self._result_buffer is None and not get_loop_registry().in_loop_thread():
                run_sync(self._find_result_buffer(), what="Transformation.buffer")
        return self._result_buffer

    @property
    def value(self) -> Any:
        """The result value if it is available without recomputation, else None."""
        buffer = self.buffer
        return None if buffer is None else self._value_of(buffer)

    @property
    def logs(self) -> str:
        """Not available (execution logs are not captured)."""
        raise NotImplementedError("Transformation logs are not captured")

    def clear_exception(self) -> None:
        """Forget the exception so that construct/compute can be retried."""
        if self._canceled:
            raise TransformationError("A canceled transformation cannot be retried")
        self._exception = None

    # ------------------------------------------------------------------ async core
    async def _construction_core(self) -> Checksum | None:
        if self._tf_checksum is not None:
            return self._tf_checksum
        if self._exception is not None or self._canceled:
            return None
        upstream = dict(self.dependencies)
        if upstream:
            await asyncio.gather(*(dep._computation_core() for dep in upstream.values()))
            for pin, dep in upstream.items():
                if dep._result_checksum is None:
                    self._exception = (
                        f"Dependency {pin!r} has an exception:\n{dep._exception or 'canceled'}"
                    )
                    return None
        try:
            return self.construct_from()
        except TransformationError as exc:
            self._exception = str(exc)
            return None

    async def _computation_core(self, require_value: bool = False) -> Checksum | None:
        if self._result_checksum is not None and not require_value:
            return self._result_checksum
        if self._canceled:
            return None
        if self._result_checksum is not None:
            problem = await self._fetch_result_buffer()
            if problem is None:
                return self._result_checksum
            if self._tf_dict is not None and self._exception is None:
                # A result checksum without a retrievable buffer (removed or corrupt in
                # storage): execute again from the inputs, which stores the buffer again.
                logger.warning(
                    "Transformation %s: its result %s cannot be read (%s); recomputing it",
                    self._tf_checksum.hex() if self._tf_checksum is not None else "?",
                    self._result_checksum.hex(),
                    problem,
                )
        if self._exception is not None:
            return None
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._compute_impl(require_value))
            self._task.add_done_callback(_consume_task_exception)
        task = self._task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if self._canceled and task.cancelled():
                return None
            raise
        finally:
            if (
                task.done()
                and not task.cancelled()
                and task.exception() is not None
                and self._task is task
            ):
                self._task = None

    async def _find_result_buffer(self) -> bool:
        return await self._fetch_result_buffer() is None

    async def _fetch_result_buffer(self) -> str | None:
        """Find the result buffer; None when found, else why it cannot be had (lost, corrupt)."""
        if self._result_buffer is not None:
            return None
        if self._result_checksum is None:
            return "the transformation has no result checksum"
        from .execute import resolve_buffer

        try:
            self._result_buffer = await resolve_buffer(self._result_checksum, what="result")
        except TransformationError as exc:
            return str(exc)
        return None

    async def _compute_impl(self, require_value: bool) -> Checksum | None:
        check_not_pure_dask("compute a transformation")
        executor = choose_executor(self)
        # The result is known but its buffer cannot be read (lost or corrupt): execute again,
        # and tell the executor not to look the transformation up either.
        recompute = self._result_checksum is not None
        if executor.accepts_dependencies and self.dependencies:
            return await self._compute_unconstructed(executor, recompute)
        tf_checksum = await self._construction_core()
        if tf_checksum is None:
            return None
        cache = get_transformation_cache()
        if recompute:
            cache.forget(tf_checksum)
        try:
            result = await cache.evaluate(
                tf_checksum,
                lambda: self._execute_on(executor, recompute),
                scratch=self.scratch,
                lookup_database=not recompute,
                persist=not executor.remote,
                latch="remote" if executor.remote else "local",
            )
        except _CONFIGURATION_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 (1.x: the error text is Transformation.exception; configuration errors are raised above)
            self._exception = _exception_text(exc)
            return None
        self._result_checksum = result
        if self._result_buffer is None or self._result_buffer.get_checksum() != result:
            self._result_buffer = cache.get_result_buffer(result)
        return result

    async def _execute_on(self, executor: Executor, recompute: bool = False) -> ExecutionResult:
        """Hand the constructed transformation to ``executor`` (uploading what it needs)."""
        if executor.remote:
            await self.write_buffers()
            try:
                outcome = await self._run_executor(executor, recompute)
            except TransformationError as exc:
                # the remote side could not read an upstream result (an input): recompute
                # those and try once more
                if not await self._repair_upstream(str(exc)):
                    raise
                outcome = await self._run_executor(executor, recompute)
        else:
            assert self._tf_buffer is not None  # constructed before it is executed
            persistence.queue_upload(self.input_buffers() + [self._tf_buffer])
            # upstream results are inputs; one lost or corrupt in storage is recomputed
            await asyncio.gather(*(dep._ensure_result_buffer() for dep in self.upstream.values()))
            outcome = await self._run_executor(executor, recompute)
        if outcome.buffer is not None:
            self._result_buffer = outcome.buffer
        return outcome

    async def _repair_upstream(self, error: str) -> bool:
        """After a remote failure whose text names the result checksum of an upstream
        transformation: recompute that result if its buffer cannot be read; True if any was.

        An executor that schedules the dependencies itself (Dask) may have found their results
        without telling them: those are computed here first (cache or database hits), but only
        when the error names any checksum at all.
        """
        if not _HEX64.search(error):
            return False
        unknown = [
            dep
            for dep in self.upstream.values()
            if dep._result_checksum is None and dep._exception is None and not dep._canceled
        ]
        await asyncio.gather(*(dep._computation_core() for dep in unknown))
        suspects = [
            dep
            for dep in self.upstream.values()
            if dep._result_checksum is not None
            and dep._result_buffer is None
            and dep._result_checksum.hex() in error
        ]
        repaired = False
        for dep in suspects:
            if await dep._fetch_result_buffer() is not None:
                await dep._ensure_result_buffer()  # logs the warning, recomputes, stores
                repaired = True
        return repaired

    async def _run_executor(self, executor: Executor, recompute: bool = False) -> ExecutionResult:
        """``executor.execute(self)`` under the timeout (unless the executor enforces it itself,
        e.g. not counting the wait for a free worker); cancel() knows who runs the work."""
        self._running_on = executor
        timeout = None if getattr(executor, "enforces_timeout", False) else self.timeout
        try:
            return await run_with_timeout(executor.execute(self, recompute=recompute), timeout)
        finally:
            if self._running_on is executor:
                self._running_on = None

    async def _compute_unconstructed(
        self, executor: Executor, recompute: bool = False
    ) -> Checksum | None:
        """An executor that schedules the upstream dependencies itself (Dask) gets the
        transformation before its checksum is known."""
        try:
            await self.write_buffers()
            try:
                result = (await self._run_executor(executor, recompute)).checksum
            except TransformationError as exc:
                # an upstream result (an input) could not be read where the work ran:
                # recompute it and try once more
                if not await self._repair_upstream(str(exc)):
                    raise
                result = (await self._run_executor(executor, recompute)).checksum
        except _CONFIGURATION_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 (1.x: the error text is Transformation.exception; configuration errors are raised above)
            self._exception = _exception_text(exc)
            return None
        self._result_checksum = result
        if self._tf_checksum is None and not self.dependencies:
            self.construct_from()
        if self._tf_checksum is not None:
            get_transformation_cache().register_result(self._tf_checksum, result)
        return result

    async def _value_core(self) -> Any:
        return self._value_of(await self._ensure_result_buffer())

    async def _ensure_result_buffer(self) -> Buffer:
        """Compute, then get the result buffer; one lost or corrupt in storage is recomputed."""
        result = await self._computation_core(require_value=True)
        if result is None:
            raise self._failure()
        if self._result_buffer is None:  # e.g. a database hit: fetch it, or else recompute
            result = await self._computation_core(require_value=True)
            if result is None:
                raise self._failure("The stored result could not be read, and recomputing it: ")
        problem = await self._fetch_result_buffer()
        if problem is not None:
            raise TransformationError(problem)
        assert self._result_buffer is not None  # fetched: no problem reported
        return self._result_buffer

    def _failure(self, prefix: str = "") -> TransformationError:
        if self._canceled:
            return TransformationError("Transformation was canceled")
        return TransformationError(
            f"{prefix}Transformation returned an exception:\n" + (self._exception or "")
        )

    def _value_of(self, buffer: Buffer) -> Any:
        from .values import from_buffer, pin_value

        celltype = self._result_celltype
        if celltype == "folder":
            from .execute import local_buffer

            index = buffer.get_value("plain")
            leaves: dict[Checksum, Buffer] = {}
            for v in index.values():
                leaf = local_buffer(Checksum(v))
                if leaf is None:
                    raise TransformationError(
                        f"Folder result {buffer.get_checksum().hex()}: the buffer of its entry "
                        f"{v} is not available in this process"
                    )
                leaves[Checksum(v)] = leaf
            return pin_value([celltype, None, None], buffer, leaves)
        if celltype in ("deepcell", "deepfolder"):
            return pin_value([celltype, None, None], buffer, {})
        return from_buffer(buffer, celltype)

    # ------------------------------------------------------------------ sync fast path
    def _try_fast(self, action: str, *, value: bool = True) -> bool:
        """Serve a known result without touching the event loop: an in-memory cache hit,
        and (``value``) its buffer from memory or a local read folder, read in this thread."""
        check_not_pure_dask(action)
        if self._exception is not None or self._canceled:
            return False
        if self._result_checksum is None:
            if self._tf_checksum is None:
                if self.dependencies:
                    return False
                try:
                    tf_checksum = self.construct_from()
                except TransformationError:
                    return False
            else:
                tf_checksum = self._tf_checksum
            result = get_transformation_cache().get_result(tf_checksum)
            if result is None:
                return False
            self._result_checksum = result
        if not value:
            return True
        if self._result_buffer is None:
            from .execute import local_buffer

            self._result_buffer = local_buffer(self._result_checksum)
            if self._result_buffer is None:
                self._result_buffer = persistence.get_folder_buffer_now(self._result_checksum)
        return self._result_buffer is not None

    # ------------------------------------------------------------------ public API
    def construct(self) -> Checksum | None:
        """Run the dependencies, build the dict; the transformation checksum (None on error)."""
        if self._tf_checksum is not None:
            return self._tf_checksum
        return run_sync(self._construction_core(), what="construct()")

    async def construction(self) -> Checksum | None:
        """Async form of construct()."""
        return await run_async(self._construction_core())

    def compute(self) -> Checksum | None:
        """Construct and evaluate; the result checksum, or None with ``.exception`` set."""
        if self._try_fast("compute a transformation", value=False):
            return self._result_checksum
        return run_sync(self._computation_core(), what="compute()")

    async def computation(self, require_value: bool = False) -> Checksum | None:
        """Async form of compute()."""
        return await run_async(self._computation_core(require_value))

    def run(self) -> Any:
        """Compute and return the result value; raises TransformationError on an exception."""
        if self._try_fast("run a transformation"):
            assert self._result_buffer is not None  # what _try_fast found
            return self._value_of(self._result_buffer)
        if self._result_checksum is None:
            # one trip to the loop for the checksum; the buffer is then often in a local
            # read folder, read here rather than through the loop and a thread of its own
            run_sync(self._computation_core(), what="run()")
            if self._try_fast("run a transformation"):
                assert self._result_buffer is not None  # what _try_fast found
                return self._value_of(self._result_buffer)
        return run_sync(self._value_core(), what="run()")

    def task(self) -> asyncio.Task[Any]:
        """Async form of run(): an ``asyncio.Task`` on the running loop (as in Seamless 1.x,
        so that ``asyncio.wait([tf.task() for tf in tfs], timeout=...)`` works)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # 1.x habit: loop.run_until_complete(tf.task())
            loop = asyncio.get_event_loop_policy().get_event_loop()
        return loop.create_task(run_async(self._value_core()))

    def start(self) -> Transformation:
        """Start computing in the background; returns self (for chaining)."""
        check_not_pure_dask("start a transformation")
        if self._result_checksum is None and self._exception is None and not self._canceled:
            submit(self._computation_core())
        return self

    def is_cached(self) -> bool:
        """Construct, then ask the database (only) whether the result is known."""
        return run_sync(self.is_cached_async(), what="is_cached()")

    async def is_cached_async(self) -> bool:
        """Async form of is_cached()."""
        if not persistence.has_database_read():
            raise RuntimeError(
                "is_cached() needs a database: call seamless.config.init() with a cluster "
                "(or SEAMLESS_CACHE) selected"
            )
        tf_checksum = await self.construction()
        if tf_checksum is None:
            return False
        return await run_async(persistence.get_transformation_result(tf_checksum)) is not None

    def cancel(self) -> bool:
        """Cancel (terminal); True if the transformation was not finished yet (Seamless 1.x).

        ``cancel_outcome`` then says whether running work was stopped (``spawn``,
        ``jobserver``, killable Dask workers: its worker process is terminated) or runs on in
        the background with its result discarded (``process``, ``daskserver`` by default).
        Nothing of a canceled transformation is stored."""
        if self._canceled or self._result_checksum is not None:
            return False
        self._canceled = True
        running = self._running_on
        task = self._task
        if task is not None and not task.done():
            task.get_loop().call_soon_threadsafe(task.cancel)
        else:
            running = None
        if running is None:
            self._cancel_outcome = CancelOutcome(True)
        else:
            self._cancel_outcome = CancelOutcome(
                True,
                executor=getattr(running, "name", None) or type(running).__name__,
                stopped=bool(getattr(running, "stops_work_on_cancel", False)),
            )
        return True

    async def cancel_async(self) -> bool:
        """Async form of cancel()."""
        return self.cancel()

    @property
    def cancel_outcome(self) -> CancelOutcome | None:
        """What ``cancel()`` did (None when it was never canceled): the executor that was
        running the work, and whether that work was stopped (see :class:`CancelOutcome`)."""
        return self._cancel_outcome

    def __repr__(self) -> str:
        checksum = self._tf_checksum.hex() if self._tf_checksum is not None else "unconstructed"
        return f"<Transformation {checksum} {self.status}>"


def _exception_text(exc: BaseException) -> str:
    if isinstance(exc, TransformationError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _consume_task_exception(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()

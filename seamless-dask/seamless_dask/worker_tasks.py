"""Worker-side task functions: fat-checksum loaders, base (provisional and real), thin and fat.

Every function returns a payload (:mod:`seamless_dask.payloads`); errors travel as text in the
``exc`` slot and propagate to dependents. The only exceptions Dask sees are crashes of these
wrappers themselves.

Base tasks run the transformation through seamless_transformer's transformation cache (memory,
database, in-flight latch), then check whether Dask still wants the result (cooperative
cancellation: a task released by every client is "cancelled" on its worker) and only then
persist it: result buffer first, then the database entry, then a minimal execution record
(``remote_target: "daskserver"``, best-effort). A payload with ``recompute`` (the client cannot
read the known result's buffer: lost or corrupt) skips memory and database and executes again;
the buffer write then replaces the stored copy (where the hashserver's directory is reachable:
the local fast path), and the database entry is written again.

Killable mode (``seamless-dask.killable``, :mod:`seamless_dask.killable`): the code runs in a
Seamless worker process of this Dask worker; a released task stops it at once and writes nothing,
and the transformation's timeout (from the payload) is enforced here.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from seamless_config.registries import register_registry
from seamless_transformer.errors import TransformationTimeoutError

from . import serialization  # noqa: F401  (registers the Buffer serializers on workers)
from .errors import CANCELED_TEXT, DEPENDENCY_TEXT
from .killable import TaskReleased, execute_killable, killable_enabled
from .payloads import BasePayload, FatPayload, ThinPayload

if TYPE_CHECKING:
    from distributed import Worker
    from seamless import Buffer, Checksum

    from seamless_transformer.transformation_cache import ExecutionResult

T = TypeVar("T")

RESULT_CHECKSUM_UNAVAILABLE = "Result checksum unavailable"
#: ``remote_target`` of the execution records written by base tasks
REMOTE_TARGET = "daskserver"
#: what a base task gets for an input pin: a fat-checksum loader's payload, or the upstream
#: base task's own (dependency pins)
InputPayload = FatPayload | BasePayload


class WorkerTaskRegistry:
    """Per-process bookkeeping of running base tasks (their priorities, for nested work)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._priorities: dict[str, int] = {}

    def enter(self, key: str, priority: int) -> None:
        with self._lock:
            self._priorities[key] = priority

    def leave(self, key: str) -> None:
        with self._lock:
            self._priorities.pop(key, None)

    def nesting_priority(self) -> int | None:
        """Highest priority of a base task running in this process (None when none runs)."""
        with self._lock:
            return max(self._priorities.values(), default=None)

    def reset(self) -> None:
        with self._lock:
            self._priorities.clear()


_worker_task_registry = register_registry("seamless_dask.worker_tasks", WorkerTaskRegistry())


def get_worker_task_registry() -> WorkerTaskRegistry:
    """The process-wide registry of running base tasks."""
    return _worker_task_registry


def _current_key() -> str | None:
    from distributed.worker import thread_state

    return getattr(thread_state, "key", None)


def _current_worker() -> Worker | None:
    """The Dask worker running this task (call from the task's thread), or None."""
    try:
        from distributed import get_worker

        return get_worker()
    except ValueError:
        return None


def task_is_cancelled(key: str | None = None, worker: Worker | None = None) -> bool:
    """True when the scheduler no longer wants the task ``key`` (default: the current task).

    ``worker``: the Dask worker that runs it (default: found from the calling thread).
    """
    key = key or _current_key()
    if key is None:
        return False
    if worker is None:
        worker = _current_worker()
        if worker is None:
            return False
    ts = worker.state.tasks.get(key)
    return ts is None or ts.state in ("cancelled", "released", "forgotten")


def _run(coro: Coroutine[Any, Any, T], what: str) -> T:
    from seamless_transformer.event_loop import run_sync

    return run_sync(coro, what=what)


# ---------------------------------------------------------------------------- loaders


def load_fat_checksum(checksum: str) -> FatPayload:
    """Resolve the buffer of ``checksum`` on this worker: ``(checksum, buffer, exc)``."""
    try:
        from seamless import Checksum

        from seamless_transformer.execute import resolve_buffer

        buffer = _run(resolve_buffer(Checksum(checksum), what="buffer"), "load_fat_checksum")
        return FatPayload(checksum, buffer, None)
    except Exception:  # noqa: BLE001 (the traceback travels to the client in the payload)
        return FatPayload(checksum, None, traceback.format_exc(limit=3))


# ---------------------------------------------------------------------------- base


def _checksum_and_buffer(payload: InputPayload) -> tuple[str | None, Buffer | None]:
    """(checksum, buffer) of an input payload: a fat-checksum loader's ``FatPayload`` or an
    upstream base task's ``BasePayload`` (its result; the buffer is None after a cache hit)."""
    if isinstance(payload, BasePayload):
        return payload.result_checksum, payload.buffer
    return payload.checksum, payload.buffer


def _input_errors(inputs: Mapping[str, InputPayload | None]) -> str | None:
    for pin, payload in sorted(inputs.items()):
        if payload is None:
            return f"{DEPENDENCY_TEXT} (pin {pin!r}: no payload)"
        exc = payload[-1]
        if exc is not None:
            return f"{DEPENDENCY_TEXT} (pin {pin!r})\n{exc}"
    return None


def _fill_dict(
    payload: Mapping[str, Any], inputs: Mapping[str, InputPayload | None]
) -> dict[str, Any]:
    """The transformation dict with every dependency pin set to its upstream result."""
    tf_dict = {
        k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in payload["tf_dict"].items()
    }
    for pin in payload.get("dependency_pins", ()):
        upstream = inputs[pin]
        result = None if upstream is None else _checksum_and_buffer(upstream)[0]
        if result is None:
            raise RuntimeError(f"{RESULT_CHECKSUM_UNAVAILABLE} for dependency pin {pin!r}")
        tf_dict[pin] = [tf_dict[pin][0], tf_dict[pin][1], result]
    return tf_dict


def _known_buffers(
    payload: Mapping[str, Any], inputs: Mapping[str, InputPayload | None]
) -> dict[Checksum, Buffer]:
    """The input buffers at hand (Checksum -> Buffer): those that travelled inside the task
    and those of the input payloads (fat-checksum loaders, upstream fat futures)."""
    from seamless import Checksum

    from seamless_transformer.values import live_buffer

    known: dict[Checksum, Buffer] = {}
    for input_payload in inputs.values():
        if input_payload is None:
            continue
        hexcs, buffer = _checksum_and_buffer(input_payload)
        if hexcs is not None and buffer is not None:
            known[Checksum(hexcs)] = buffer
    for inline_hex, content in (payload.get("inline_buffers") or {}).items():
        checksum = Checksum(inline_hex)
        known[checksum] = live_buffer(content, checksum)
    return known


async def _evaluate(
    tf_dict: dict[str, Any],
    tf_checksum: Checksum,
    scratch: bool,
    lookup_database: bool = True,
    known: Mapping[Checksum, Buffer] | None = None,
    recompute: bool = False,
    *,
    is_released: Callable[[], bool] | None = None,
    timeout: float | None = None,
) -> tuple[Checksum, ExecutionResult | None]:
    """Memory, then database, then execution (not persisted yet): (result, outcome or None).
    ``recompute``: no lookup at all, execution.

    Deliberately not the transformation cache's in-flight latch: with in-process workers the
    submitting client holds that latch for this very checksum while it waits for Dask.
    Killable mode (:mod:`seamless_dask.killable`): the code runs in a Seamless worker process,
    stopped when ``is_released()`` says so (TaskReleased) or after ``timeout`` seconds.
    """
    from seamless_transformer import persistence
    from seamless_transformer.execute import execute_in_process
    from seamless_transformer.runtime import RuntimeMeter
    from seamless_transformer.transformation_cache import get_transformation_cache

    cache = get_transformation_cache()
    cache.register_transformation(tf_checksum, tf_dict)
    result = None if recompute else cache.get_result(tf_checksum)
    if result is None and lookup_database and not recompute:
        result = await persistence.get_transformation_result(tf_checksum)
    if result is not None:
        return result, None
    meter = RuntimeMeter()
    if killable_enabled():
        outcome = await execute_killable(
            tf_dict, known or None, is_released=is_released or _never, timeout=timeout
        )
    else:
        outcome = await execute_in_process(tf_dict, known or None)
    outcome.runtime = meter.stop()
    return outcome.checksum, outcome


def _never() -> bool:
    return False


async def _evaluate_and_store(
    key: str,
    worker: Worker | None,
    tf_dict: dict[str, Any],
    tf_checksum: Checksum,
    scratch: bool,
    lookup_database: bool,
    known: Mapping[Checksum, Buffer],
    recompute: bool = False,
    timeout: float | None = None,
) -> tuple[Checksum | None, ExecutionResult | None, bool]:
    """``_evaluate``, then (unless Dask no longer wants the task) ``_store``, in one trip to
    the event loop: (result, outcome or None, cancelled)."""

    def is_released() -> bool:
        return worker is not None and task_is_cancelled(key, worker)

    try:
        result, outcome = await _evaluate(
            tf_dict,
            tf_checksum,
            scratch,
            lookup_database,
            known,
            recompute,
            is_released=is_released,
            timeout=timeout,
        )
    except TaskReleased:  # killable mode: the code was stopped, nothing is written
        return None, None, True
    if outcome is None:
        return result, None, False
    if worker is not None and task_is_cancelled(key, worker):  # nothing is written after a cancel
        return result, outcome, True
    await _store(tf_checksum, outcome, scratch)
    return result, outcome, False


async def _store(tf_checksum: Checksum, outcome: ExecutionResult, scratch: bool) -> None:
    """Persist the result: buffer, then the minimal execution record (reference 1.12), which
    the database stores together with the transformation entry in one request (the entry
    alone when the best-effort record is not stored)."""
    from seamless_transformer import persistence

    await persistence.store_result_with_record(
        tf_checksum,
        outcome.checksum,
        outcome.buffer,
        scratch=scratch,
        remote_target=REMOTE_TARGET,
        runtime=outcome.runtime,
        leaf_buffers=outcome.leaf_buffers,
    )


def _timeout(payload: Mapping[str, Any]) -> float | None:
    """The transformation's timeout in seconds (enforced here in killable mode), or None."""
    value = payload.get("timeout")
    return None if value is None else float(value)


def run_base(payload: Mapping[str, Any], inputs: Mapping[str, InputPayload | None]) -> BasePayload:
    """The real base task (deterministic key): run or find the result, persist, keep the buffer."""
    tf_hex = payload.get("tf_checksum")
    key = _current_key() or f"base-{tf_hex}"
    registry = get_worker_task_registry()
    registry.enter(key, int(payload.get("priority", 0)))
    try:
        error = _input_errors(inputs)
        if error is not None:
            return BasePayload(tf_hex, None, None, error)
        from seamless import Checksum

        from seamless_transformer.transformation_dict import transformation_checksum

        tf_dict = _fill_dict(payload, inputs)
        tf_checksum = transformation_checksum(tf_dict) if tf_hex is None else Checksum(tf_hex)
        tf_hex = tf_checksum.hex()
        if task_is_cancelled(key):
            return BasePayload(tf_hex, None, None, CANCELED_TEXT)
        scratch = bool(payload.get("scratch", False))
        lookup = bool(payload.get("lookup_database", True))
        result, outcome, cancelled = _run(
            _evaluate_and_store(
                key,
                _current_worker(),
                tf_dict,
                tf_checksum,
                scratch,
                lookup,
                _known_buffers(payload, inputs),
                bool(payload.get("recompute", False)),
                _timeout(payload),
            ),
            "base task",
        )
        if cancelled:
            return BasePayload(tf_hex, None, None, CANCELED_TEXT)
        assert result is not None  # only a released task comes back without one
        if outcome is None:  # found in memory/database, or joined work already persisting
            return BasePayload(tf_hex, result.hex(), None, None)
        return BasePayload(tf_hex, result.hex(), outcome.buffer, None)
    except TransformationTimeoutError as exc:  # killable mode: "... timed out after N s"
        return BasePayload(tf_hex, None, None, str(exc))
    except Exception:  # noqa: BLE001 (the traceback travels to the client in the payload)
        return BasePayload(tf_hex, None, None, traceback.format_exc(limit=6))
    finally:
        registry.leave(key)


def run_provisional_base(
    payload: Mapping[str, Any], inputs: Mapping[str, InputPayload | None]
) -> BasePayload:
    """Dependency case: once upstream results are known, hand over to the real base task.

    Computes the transformation checksum, then submits the real base task under its
    deterministic key from this worker (``worker_client()``, which secedes), so identical work
    started by other clients runs once. This task holds no ``S`` unit (it is submitted without
    resources) and no worker thread while it waits (docs/architecture.md,
    "Deliberate differences from Seamless 1.x", item 9).
    """
    tf_hex = None
    try:
        error = _input_errors(inputs)
        if error is not None:
            return BasePayload(None, None, None, error)
        from distributed import Future, wait, worker_client

        from seamless_transformer.transformation_dict import transformation_checksum

        from .keys import recompute_keys, transformation_key

        tf_dict = _fill_dict(payload, inputs)
        tf_hex = transformation_checksum(tf_dict).hex()
        own_key = _current_key()
        real_payload = {**payload, "tf_dict": tf_dict, "tf_checksum": tf_hex, "dependency_pins": ()}
        resources = payload.get("resources")
        if payload.get("recompute"):  # never the key of an earlier, possibly held, base
            real_key = recompute_keys(tf_hex, resources=resources)["base"]
        else:
            real_key = transformation_key("base", tf_hex, resources=resources)
        with worker_client() as client:
            input_futures: dict[str, Future] = {
                pin: Future(k, client=client) for pin, k in payload["input_keys"].items()
            }
            real = client.submit(
                run_base,
                real_payload,
                input_futures,
                key=real_key,
                resources={"S": 1},
                priority=int(payload.get("priority", 0)),
            )
            while True:
                # wait(timeout), not result(timeout): distributed's sync() can lose the outcome
                # of a result() whose callback timeout races its own (UnboundLocalError seen
                # under load in the fan-out benchmark)
                try:
                    wait([real], timeout=0.5)
                    break
                except TimeoutError:
                    pass
                if task_is_cancelled(own_key):
                    real.release()
                    return BasePayload(tf_hex, None, None, CANCELED_TEXT)
            return BasePayload(*real.result())
    except Exception:  # noqa: BLE001 (the traceback travels to the client in the payload)
        return BasePayload(tf_hex, None, None, traceback.format_exc(limit=6))


# ---------------------------------------------------------------------------- thin and fat


def thin_from_base(base: BasePayload) -> ThinPayload:
    """``(tf_checksum, result_checksum, exc)``: the base result without its buffer."""
    return ThinPayload(base[0], base[1], base[3])


def fat_from_base(base: BasePayload) -> FatPayload:
    """``(result_checksum, buffer, exc)``: forward the buffer, or load it after a cache hit."""
    tf_checksum, result, buffer, exc = base
    if exc is not None:
        return FatPayload(result, None, exc)
    if result is None:
        return FatPayload(None, None, RESULT_CHECKSUM_UNAVAILABLE)
    if buffer is not None:
        return FatPayload(result, buffer, None)
    return load_fat_checksum(result)


__all__ = [
    "WorkerTaskRegistry",
    "fat_from_base",
    "get_worker_task_registry",
    "load_fat_checksum",
    "run_base",
    "run_provisional_base",
    "task_is_cancelled",
    "thin_from_base",
]

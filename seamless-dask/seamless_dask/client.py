"""SeamlessDaskClient: the fat-checksum / base / fat / thin lifecycle on a distributed.Client.

Case 1 (no dependencies): the transformation is constructed on the client and the database is
checked; on a hit nothing is submitted. On a miss, one fat-checksum future per input checksum
(loads the buffer on a worker) unless this process holds that buffer and it is small (it then
travels inside the base task, ``inline-input-limit``), then base/thin under deterministic keys (see
:mod:`seamless_dask.keys`), so identical work from any client runs once. The fat future (result
buffer forwarder) is made only when a consumer needs it: Dask is eager.

Case 2 (some inputs are Transformations whose result is not known yet): live upstream
submissions are reused, unknown ones are submitted (recursively), finished ones become their
result checksum. A provisional base (random key, no ``S`` resource) waits for the upstream
results, computes the checksum and submits the real base under its deterministic key from the
worker.

Futures are cached by checksum (:class:`~seamless_dask.future_cache.FutureCache`): pinned while
unfinished, expiring ``seamless-dask.future-cache.ttl`` after completion.

Recompute (``compute_transformation(..., recompute=True)``: the known result's buffer cannot be
read): no lookup and no reuse of earlier submissions; the work goes under recompute keys (see
:mod:`seamless_dask.keys`) with ``recompute`` in the payload, so the worker executes again and
its write replaces the stored buffer. When a submission fails because an input buffer could not
be loaded (its checksum is named in the error), that loader is dropped and the next one for the
checksum gets a fresh key (the caller may repair the buffer and retry).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import distributed

from . import keys as _keys
from . import serialization  # noqa: F401  (Buffer serializers, also for gathers to the client)
from .config import get_seconds, get_setting
from .errors import DependencyError
from .future_cache import FutureCache
from .futures import TransformationFutures
from .result_gatherer import ResultGatherer
from .worker_tasks import (
    fat_from_base,
    get_worker_task_registry,
    load_fat_checksum,
    run_base,
    run_provisional_base,
    thin_from_base,
)

if TYPE_CHECKING:
    from seamless import Checksum

    from seamless_transformer.transformation import Transformation

    from .dummy_scheduler import DummySchedulerHandle

logger = logging.getLogger(__name__)

PLACEHOLDER_CHECKSUM = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
WORKER_PLUGIN_NAME = "seamless-worker-setup"


class SeamlessDaskClient:
    """Submits Seamless transformations to Dask with deterministic keys and future caches.

    Parameters
    ----------
    client:
        A connected (synchronous) ``distributed.Client``.
    worker_plugin_workers:
        Seamless workers per Dask worker (the ``S`` resource); default from
        ``seamless-dask.seamless-workers``.
    remote_clients:
        The remote-clients dict (``seamless_config.collect_remote_clients``) that workers use
        to reach the hashserver and database. None: workers are not configured (in-process
        workers share this process's configuration).
    fat_future_ttl:
        Seconds a finished future stays cached (default ``seamless-dask.future-cache.ttl``).
    register_plugin:
        Register :class:`~seamless_dask.worker_plugin.SeamlessWorkerPlugin` on the cluster.
    interactive, is_local_cluster:
        Wait (up to 20 s) for workers to connect; warn when none did.
    """

    def __init__(
        self,
        client: distributed.Client,
        *,
        worker_plugin_workers: int | None = None,
        remote_clients: Mapping[str, Any] | None = None,
        fat_future_ttl: float | None = None,
        register_plugin: bool = True,
        interactive: bool = False,
        is_local_cluster: bool | None = None,
    ) -> None:
        self._client = client
        self._workers = int(worker_plugin_workers or get_setting("seamless-workers"))
        self._remote_clients = None if remote_clients is None else dict(remote_clients)
        self._fat_checksum_cache: FutureCache[distributed.Future] = FutureCache(ttl=fat_future_ttl)
        #: checksums whose last load may have failed: the next loader gets a fresh key
        self._stale_loads: set[str] = set()
        self._tf_cache: FutureCache[TransformationFutures] = FutureCache(ttl=fat_future_ttl)
        self._by_transformation: weakref.WeakKeyDictionary[
            Transformation, TransformationFutures
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()
        self._gatherers: dict[asyncio.AbstractEventLoop, ResultGatherer] = {}  # one per loop
        self._closed = threading.Event()
        self._killable: bool | None = None
        self.dummy_handle: DummySchedulerHandle | None = None
        if register_plugin:
            self._register_plugin()
        if interactive or is_local_cluster:
            self._wait_for_workers(quiet=not interactive)
            self.probe_killable()  # workers are there: known before the first transformation
        self._prune_thread = threading.Thread(
            target=self._prune_loop, name="seamless-dask-cache-prune", daemon=True
        )
        self._prune_thread.start()

    # ------------------------------------------------------------------ setup
    @property
    def client(self) -> distributed.Client:
        """The wrapped ``distributed.Client``."""
        return self._client

    @property
    def seamless_workers(self) -> int:
        """Seamless workers per Dask worker."""
        return self._workers

    def _register_plugin(self) -> None:
        from .worker_plugin import SeamlessWorkerPlugin

        plugin = SeamlessWorkerPlugin(
            seamless_workers=self._workers, remote_clients=self._remote_clients
        )
        self._client.register_plugin(plugin, name=WORKER_PLUGIN_NAME)

    def _wait_for_workers(self, *, quiet: bool = False, timeout: float = 20.0) -> None:
        """Wait until the scheduler has a worker; after ``timeout`` seconds, log a warning."""
        log = logger.debug if quiet else logger.info
        log("waiting for Dask workers to connect to %s", self._scheduler_address())
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:  # distributed's WorkerStartTimeoutError is a TimeoutError
            logger.warning(
                "the Dask scheduler %s reports no worker after %g s; transformations wait "
                "until one connects",
                self._scheduler_address(),
                timeout,
            )

    def _scheduler_address(self) -> str:
        return str(self._client.scheduler.address)

    def _prune_loop(self) -> None:
        while not self._closed.wait(get_seconds("future-cache.prune-interval")):
            self.prune()

    def prune(self) -> None:
        """Start the TTL of finished cache entries and drop the expired ones."""
        self._fat_checksum_cache.prune()
        for futures in self._tf_cache.prune():
            futures.released = True

    def close(self, *, close_client: bool = True) -> None:
        """Stop the prune thread, drop the caches, close the Dask client (and dummy cluster)."""
        self._closed.set()
        self._fat_checksum_cache.clear()
        self._tf_cache.clear()
        self._by_transformation.clear()
        if close_client:
            try:
                self._client.close(timeout=2)
            except Exception:  # noqa: BLE001  (closing: the scheduler may be gone already)
                pass
        if self.dummy_handle is not None:
            self.dummy_handle.stop()
            self.dummy_handle = None

    # ------------------------------------------------------------------ killable workers
    @property
    def killable(self) -> bool:
        """True when the Dask workers stop the code of a cancelled (or timed out)
        transformation (``seamless-dask.killable``, see :mod:`seamless_dask.killable`); False
        when they run it to its end, or before any worker answered."""
        return bool(self._killable)

    def probe_killable(self) -> bool | None:
        """Ask every Dask worker whether it runs killable transformations (blocking; the
        answer is kept once a worker has answered): True only when all of them do."""
        if self._killable is not None:
            return self._killable
        from .killable import runs_killable

        try:
            answers = self._client.run(runs_killable)
        except Exception:  # noqa: BLE001  (no answer: ask again next time)
            return None
        if answers:
            self._killable = all(bool(v) for v in answers.values())
        return self._killable

    async def _ensure_probed(self) -> None:
        if self._killable is None:
            await asyncio.get_running_loop().run_in_executor(None, self.probe_killable)

    # ------------------------------------------------------------------ priorities
    def _priorities(self) -> dict[str, int]:
        """Task priorities; nested submissions rank higher than the base tasks running here.

        Nested means: submitted while a base task runs in this process (transformation code
        runs in its own thread, so the Dask task context is not visible from there).
        """
        boost = get_worker_task_registry().nesting_priority() or 0
        return {
            "base": int(get_setting("priority.base")) + boost,
            "thin": int(get_setting("priority.thin")) + boost,
            "fat": int(get_setting("priority.fat")) + boost,
            "fat_checksum": int(get_setting("priority.fat-checksum")) + boost,
        }

    # ------------------------------------------------------------------ fat checksums
    def get_fat_checksum_future(self, checksum: Checksum | str) -> distributed.Future:
        """The future that loads the buffer of ``checksum`` on a worker (cached, lazy key)."""
        key = _keys.fat_checksum_key(checksum)
        hexcs = key.split("-", 1)[1]
        with self._lock:
            future = self._fat_checksum_cache.get(hexcs)
            if future is not None and future.status not in ("cancelled", "lost"):
                return future
            if hexcs in self._stale_loads:
                self._stale_loads.discard(hexcs)
                key = _keys.fresh_fat_checksum_key(hexcs)
            future = self._client.submit(
                load_fat_checksum,
                hexcs,
                key=key,
                priority=self._priorities()["fat_checksum"],
                pure=False,
            )
            self._fat_checksum_cache.put(hexcs, future, [future])
            return future

    # ------------------------------------------------------------------ transformation futures
    def get_transformation_futures(
        self, tf_checksum: Checksum | str, *, resources: Mapping[str, Any] | None = None
    ) -> TransformationFutures | None:
        """Cached live futures of a transformation, or None."""
        key = _keys.transformation_key("base", tf_checksum, resources=resources)
        futures = self._tf_cache.get(key)
        if futures is None or not futures.alive():
            return None
        return futures

    def ensure_fat_future(self, futures: TransformationFutures) -> distributed.Future:
        """The fat (result buffer) future, submitted on first need."""
        with self._lock:
            if futures.fat is None:
                futures.fat = self._client.submit(
                    fat_from_base,
                    futures.base,
                    key=futures.keys["fat"],
                    priority=futures.priority
                    - int(get_setting("priority.base"))
                    + int(get_setting("priority.fat")),
                    pure=False,
                )
                if futures.tf_checksum is not None:
                    self._tf_cache.add_futures(futures.keys["base"], [futures.fat])
            return futures.fat

    def ensure_thin_future(self, futures: TransformationFutures) -> Any:
        """The thin (result checksum) future, submitted when someone waits for the result:
        upstream steps that only feed their dependents never get one."""
        with self._lock:
            if futures.thin is None:
                futures.thin = self._client.submit(
                    thin_from_base,
                    futures.base,
                    key=futures.keys["thin"],
                    priority=futures.priority
                    - int(get_setting("priority.base"))
                    + int(get_setting("priority.thin")),
                    pure=False,
                )
                if futures.tf_checksum is not None:
                    self._tf_cache.add_futures(futures.keys["base"], [futures.thin])
            return futures.thin

    def _submit(
        self,
        *,
        tf_dict: dict[str, Any],
        tf_checksum: str | None,
        inputs: dict[str, distributed.Future],
        inline: dict[str, bytes],
        dependency_pins: tuple[str, ...],
        scratch: bool,
        resources: Mapping[str, Any] | None,
        dependencies: dict[str, TransformationFutures],
        recompute: bool = False,
        timeout: float | None = None,
    ) -> TransformationFutures:
        prio = self._priorities()
        payload = {
            # enforced by killable workers (seconds the code runs; see seamless_dask.killable)
            "timeout": timeout,
            "tf_dict": tf_dict,
            "tf_checksum": tf_checksum,
            "scratch": scratch,
            "dependency_pins": dependency_pins,
            "resources": dict(resources) if resources else None,
            "priority": prio["base"],
            "input_keys": {pin: f.key for pin, f in inputs.items()},
            # small input buffers held here travel with the task (hex checksum -> content)
            "inline_buffers": inline,
            # Case 1: the database was checked just before submission; identical concurrent
            # work is deduplicated by the key. The dependency case checks on the worker.
            "lookup_database": tf_checksum is None,
            # the known result's buffer cannot be read: execute again, no lookup at all
            "recompute": recompute,
        }
        if tf_checksum is None:
            keys = _keys.provisional_keys(uuid.uuid4().hex)
            base = self._client.submit(
                run_provisional_base,
                payload,
                inputs,
                key=keys["base"],
                priority=prio["base"],
                pure=False,
            )
        else:
            if recompute:
                keys = _keys.recompute_keys(tf_checksum, resources=resources)
            else:
                keys = _keys.transformation_keys(tf_checksum, resources=resources)
            base = self._client.submit(
                run_base,
                payload,
                inputs,
                key=keys["base"],
                resources={"S": 1},
                priority=prio["base"],
                pure=False,
            )
        futures = TransformationFutures(
            base=base,
            keys=keys,
            tf_checksum=tf_checksum,
            resources=dict(resources) if resources else None,
            provisional=tf_checksum is None,
            priority=prio["base"],
            dependencies=dependencies,
        )
        if tf_checksum is not None and not recompute:
            self._tf_cache.put(keys["base"], futures, [base])
        return futures

    async def _lookup(self, tf_checksum: Checksum) -> Checksum | None:
        """Result checksum from the in-memory transformation cache or the database, or None."""
        from seamless_transformer import persistence
        from seamless_transformer.transformation_cache import get_transformation_cache

        result = get_transformation_cache().get_result(tf_checksum)
        if result is None:
            result = await persistence.get_transformation_result(tf_checksum)
        return result

    async def ensure_futures(
        self, transformation: Transformation, *, lookup: bool = True, recompute: bool = False
    ) -> TransformationFutures | Checksum:
        """Live futures for ``transformation`` (submitting what is missing), or its result
        checksum when it is already known (nothing submitted).

        ``lookup=False`` skips the memory/database lookup of ``transformation`` itself (not of
        its dependencies): for callers that just did it, like seamless_transformer.
        ``recompute=True``: its known result's buffer cannot be read; no lookup, no earlier
        submission reused, executed again under recompute keys (not its dependencies).
        """
        from seamless import Checksum

        from seamless_transformer.errors import TransformationError

        known = self._by_transformation.get(transformation)
        if known is not None and known.alive() and not recompute:
            return known
        resources = transformation.resources
        scratch = transformation.scratch
        deps = dict(transformation.dependencies)
        results: dict[str, Any] = {}
        dep_futures: dict[str, TransformationFutures] = {}
        for pin, dep in sorted(deps.items()):
            if dep.exception is not None:
                raise TransformationError(str(DependencyError(pin=pin, detail=dep.exception)))
            sub = await self.ensure_futures(dep)
            if isinstance(sub, TransformationFutures):
                if sub.result_checksum is not None:
                    results[pin] = sub.result_checksum
                else:
                    dep_futures[pin] = sub
            else:
                results[pin] = Checksum(sub).hex()
        if not dep_futures:
            tf_checksum = transformation.construct_from(results)
            result = await self._lookup(tf_checksum) if lookup and not recompute else None
            if result is not None:
                return result
            cached = (
                None
                if recompute
                else self.get_transformation_futures(tf_checksum, resources=resources)
            )
            if cached is not None:
                self._by_transformation[transformation] = cached
                transformation._dask_futures = cached
                return cached
            tf_dict = transformation.build_dict(results)
            inline = _inline_buffers(transformation)
            inputs = {
                pin: self.get_fat_checksum_future(triple[2])
                for pin, triple in tf_dict.items()
                if not _is_dunder(pin) and triple is not None and triple[2] not in inline
            }
            futures = self._submit(
                tf_dict=tf_dict,
                tf_checksum=tf_checksum.hex(),
                inputs=inputs,
                inline=inline,
                dependency_pins=(),
                scratch=scratch,
                resources=resources,
                dependencies={},
                recompute=recompute,
                timeout=transformation.timeout,
            )
        else:
            template = {**results, **{pin: PLACEHOLDER_CHECKSUM for pin in dep_futures}}
            tf_dict = transformation.build_dict(template)
            inline = _inline_buffers(transformation)
            inputs = {}
            for pin, triple in tf_dict.items():
                if _is_dunder(pin) or triple is None:
                    continue
                if pin in dep_futures:
                    # the upstream base itself: its payload has the result checksum and,
                    # when it computed, the buffer (a fat forwarder would add a hand-off)
                    inputs[pin] = dep_futures[pin].base
                elif triple[2] not in inline:
                    inputs[pin] = self.get_fat_checksum_future(triple[2])
            futures = self._submit(
                tf_dict=tf_dict,
                tf_checksum=None,
                inputs=inputs,
                inline=inline,
                dependency_pins=tuple(sorted(dep_futures)),
                scratch=scratch,
                resources=resources,
                dependencies=dep_futures,
                recompute=recompute,
                timeout=transformation.timeout,
            )
        self._by_transformation[transformation] = futures
        transformation._dask_futures = futures  # the 1.x name (tests ask who_has base.key)
        return futures

    # ------------------------------------------------------------------ results
    async def _result_of(self, future: distributed.Future) -> Any:
        """Wait for a Dask future without blocking the event loop; its value. Futures that
        finish together are fetched with one gather (:mod:`seamless_dask.result_gatherer`)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            gatherer = self._gatherers.get(loop)
            if gatherer is None:
                gatherer = self._gatherers[loop] = ResultGatherer(self._client, loop)
        return await gatherer.result(future)

    async def compute_transformation(
        self, transformation: Transformation, *, lookup: bool = True, recompute: bool = False
    ) -> Checksum:
        """Compute ``transformation`` through Dask; its result Checksum (raises on exception).

        ``lookup=False``: the caller already checked memory and database for it.
        ``recompute=True``: its known result's buffer cannot be read; execute it again (see
        :meth:`ensure_futures`).
        """
        from seamless import Checksum

        from seamless_transformer.errors import TransformationError
        from seamless_transformer.transformation_cache import get_transformation_cache

        await self._ensure_probed()
        submitted = await self.ensure_futures(transformation, lookup=lookup, recompute=recompute)
        if not isinstance(submitted, TransformationFutures):
            return Checksum(submitted)
        try:
            tf_hex, result, exc = await self._result_of(self.ensure_thin_future(submitted))
        except asyncio.CancelledError:
            self.cancel_futures(submitted)
            raise
        if exc is not None:
            self._forget(transformation, submitted)
            self._drop_failed_loads(exc)
            raise TransformationError(exc.rstrip("\n"))
        if result is None or len(result) != 64:
            raise TransformationError(f"Invalid Dask result checksum: {result!r}")
        submitted.tf_checksum = submitted.tf_checksum or tf_hex
        submitted.result_checksum = result
        cache = get_transformation_cache()
        if submitted.provisional:
            dep_results = {}
            for pin, dep in submitted.dependencies.items():
                dep_tf, dep_result, dep_exc = await self._result_of(self.ensure_thin_future(dep))
                dep.result_checksum = dep_result
                if dep_tf is not None and dep_result is not None:
                    cache.register_result(Checksum(dep_tf), Checksum(dep_result))
                dep_results[pin] = dep_result
            if all(v is not None for v in dep_results.values()):
                transformation.construct_from(dep_results)
        if tf_hex is not None:
            cache.register_result(Checksum(tf_hex), Checksum(result))
        return Checksum(result)

    def _drop_failed_loads(self, error: str) -> None:
        """Drop the cached loaders of the checksums an error text names (a failed load keeps
        its failure in its finished future); their next loader gets a fresh key."""
        with self._lock:
            for hexcs in set(_HEX64.findall(error)):
                if self._fat_checksum_cache.pop(hexcs) is not None:
                    self._stale_loads.add(hexcs)

    def _forget(self, transformation: Transformation, futures: TransformationFutures) -> None:
        if self._by_transformation.get(transformation) is futures:
            del self._by_transformation[transformation]
        self._tf_cache.discard_value(futures)

    # ------------------------------------------------------------------ cancellation
    def cancel_futures(self, futures: TransformationFutures) -> None:
        """Release our interest in a submission; Dask cancels it unless another client wants it.

        A base task that was already running writes nothing; its code runs to its end in a
        Dask worker thread, or is stopped at once by killable workers (:attr:`killable`).
        """
        futures.released = True
        self._tf_cache.discard_value(futures)
        for transformation, value in list(self._by_transformation.items()):
            if value is futures:
                del self._by_transformation[transformation]
        self._client.cancel(futures.futures(), force=False)

    def cancel_transformation(self, transformation: Transformation) -> bool:
        """Cancel the Dask work of ``transformation``; True if something was running."""
        futures = self._by_transformation.get(transformation)
        if futures is None or not futures.alive() or futures.base.done():
            return False
        self.cancel_futures(futures)
        return True


def _inline_buffers(transformation: Transformation) -> dict[str, bytes]:
    """Hex checksum -> content of the small buffers ``transformation`` holds (see the
    ``inline-input-limit`` setting). They were uploaded to the hashserver before submission
    (``Transformation.write_buffers``); inlining only spares the worker a fat-checksum task
    and a hashserver read."""
    limit = int(get_setting("inline-input-limit"))
    if limit <= 0:
        return {}
    inline: dict[str, bytes] = {}
    for buffer in transformation.input_buffers():
        content = buffer.content
        if len(content) <= limit:
            inline[buffer.get_checksum().hex()] = content
    return inline


def _is_dunder(key: str) -> bool:
    return key.startswith("__") and key.endswith("__") and len(key) > 4


__all__ = ["PLACEHOLDER_CHECKSUM", "WORKER_PLUGIN_NAME", "SeamlessDaskClient"]

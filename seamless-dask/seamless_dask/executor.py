"""The ``daskserver`` executor of seamless_transformer, backed by the registered client.

Nested transformations (started while a base task runs in this process, i.e. from inside a
Dask worker) first ask the permission throttle (:mod:`seamless_dask.permissions`); when it
refuses, they are retried or run locally. In a worker process, a worker-side
SeamlessDaskClient is connected to the scheduler on first use.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import TYPE_CHECKING

from seamless_transformer.executors import Executor
from seamless_transformer.transformation_cache import ExecutionResult

from .config import get_seconds
from .errors import NoDaskClientError

if TYPE_CHECKING:
    from seamless import Checksum

    from seamless_transformer.transformation import Transformation

    from .client import SeamlessDaskClient

#: The name under which the executor is registered (the ``remote: daskserver`` target).
EXECUTOR_NAME = "daskserver"

_client_lock = threading.Lock()


def _nested() -> bool:
    from .worker_tasks import get_worker_task_registry

    return get_worker_task_registry().nesting_priority() is not None


def _client() -> SeamlessDaskClient | None:
    from .transformer_client import get_seamless_dask_client, set_seamless_dask_client

    client = get_seamless_dask_client()
    if client is not None:
        return client
    scheduler = os.environ.get("SEAMLESS_DASK_SCHEDULER")
    if not scheduler or not _nested():
        return None
    with _client_lock:
        client = get_seamless_dask_client()
        if client is None:
            import distributed

            from .client import SeamlessDaskClient

            dask_client = distributed.Client(scheduler, timeout="10s", set_as_default=False)
            client = SeamlessDaskClient(dask_client, register_plugin=False)
            set_seamless_dask_client(client)
    return client


def _registered_client_is_killable() -> bool:
    from .transformer_client import get_seamless_dask_client

    client = get_seamless_dask_client()
    return client is not None and bool(getattr(client, "killable", False))


async def _run_locally(transformation: Transformation, recompute: bool = False) -> Checksum:
    """Permission refused: compute the dependencies, then run in this process (``recompute``:
    without cache lookups)."""
    from seamless_transformer.errors import TransformationError
    from seamless_transformer.execute import run_transformation_dict_async

    for pin, dep in dict(transformation.dependencies).items():
        if await dep.computation() is None:
            raise TransformationError(f"Dependency has an exception. (pin {pin!r})")
    tf_checksum = transformation.construct_from()
    return await run_transformation_dict_async(
        transformation.build_dict(),
        tf_checksum=tf_checksum,
        scratch=transformation.scratch,
        force=recompute,
    )


class DaskExecutor(Executor):
    """Computes transformations through :class:`~seamless_dask.client.SeamlessDaskClient`."""

    remote = True
    accepts_dependencies = True
    name = EXECUTOR_NAME

    @property
    def stops_work_on_cancel(self) -> bool:
        """A task already running in a Dask worker thread cannot be killed: it runs to its end
        and writes nothing, unless the workers are killable (``seamless-dask.killable``): then
        the Seamless worker process running the code is terminated (README, "Cancel and
        timeouts")."""
        return _registered_client_is_killable()

    @property
    def enforces_timeout(self) -> bool:
        """Killable workers time the code themselves (not the wait in the Dask queue);
        otherwise the timeout counts from the hand-over to Dask."""
        return _registered_client_is_killable()

    async def execute(
        self, transformation: Transformation, *, recompute: bool = False
    ) -> ExecutionResult:
        """The result checksum of ``transformation``, computed (or found) through Dask;
        ``recompute``: executed again, no lookup (its known result's buffer cannot be read)."""
        from seamless import Checksum

        return ExecutionResult(Checksum(await self.compute(transformation, recompute=recompute)))

    async def compute(self, transformation: Transformation, *, recompute: bool = False) -> Checksum:
        """Result checksum of ``transformation``, computed (or found) through Dask."""
        client = _client()
        if client is None:
            raise NoDaskClientError()
        from .permissions import get_permission_registry

        # seamless_transformer looked up memory and database before handing over a
        # transformation without dependencies; with dependencies it could not
        lookup = bool(transformation.dependencies) and not recompute
        manager = get_permission_registry().manager if _nested() else None
        if manager is None:
            return await client.compute_transformation(
                transformation, lookup=lookup, recompute=recompute
            )
        while not await manager.request():
            if not manager.should_retry():
                return await _run_locally(transformation, recompute)
            await asyncio.sleep(get_seconds("throttle.retry-delay"))
        try:
            return await client.compute_transformation(
                transformation, lookup=lookup, recompute=recompute
            )
        finally:
            manager.release()

    def claims_unselected_work(self) -> bool:
        """Seamless 1.x: a registered SeamlessDaskClient runs the work for which no execution
        mode was selected explicitly; never from code that already runs in a Dask task."""
        from .transformer_client import get_seamless_dask_client

        if get_seamless_dask_client() is None:
            return False
        from .worker_tasks import _current_worker

        return _current_worker() is None

    async def cancel(self, transformation: Transformation) -> bool:
        """Cancel the Dask work of ``transformation``."""
        from .transformer_client import get_seamless_dask_client

        client = get_seamless_dask_client()
        return False if client is None else client.cancel_transformation(transformation)


__all__ = ["EXECUTOR_NAME", "DaskExecutor"]

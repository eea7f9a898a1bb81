"""SeamlessWorkerPlugin: prepares a Dask worker for Seamless base tasks.

Thin by design (STYLE 14): ``setup`` checks threads, exports the scheduler address and worker
count, registers the Buffer serializers, gives the worker its ``S`` resource (N units) if the
cluster did not, configures the remote clients (hashserver, database) in worker processes and
selects remote execution there (nested transformations go back to Dask), installs the
permission throttle and, in killable mode (``seamless-dask.killable``), starts the pool of
Seamless worker processes that run the code of base tasks; ``teardown`` undoes the
process-level parts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from distributed import Worker
from distributed.diagnostics.plugin import WorkerPlugin

from .errors import WorkerSetupError
from .killable import get_killable_pool_registry, killable_enabled


def _configure_remote_clients(remote_clients: Mapping[str, Any]) -> bool:
    """Point seamless_remote at the hashserver/database; False if this process has them."""
    from seamless_transformer import persistence

    if persistence.has_database_read() or persistence.has_buffer_write():
        return False  # in-process worker (dummy scheduler): share the client's configuration
    import seamless_config
    from seamless_config import select

    entries = [e for kind in ("database", "buffer") for e in remote_clients.get(kind) or []]
    in_remote = bool(entries) and all(
        e.get("remote_url") or e.get("remote_directory") for e in entries
    )
    seamless_config.set_remote_clients(dict(remote_clients), in_remote=in_remote)
    select.select_execution("remote")
    select.select_remote("daskserver")
    from seamless_transformer.executors import register_executor

    from .executor import EXECUTOR_NAME, DaskExecutor

    register_executor(EXECUTOR_NAME, DaskExecutor())
    return True


class SeamlessWorkerPlugin(WorkerPlugin):
    """Configures each Dask worker for Seamless (see module docstring)."""

    name = "seamless-worker-setup"
    idempotent = True

    def __init__(
        self, *, seamless_workers: int = 1, remote_clients: Mapping[str, Any] | None = None
    ) -> None:
        self.seamless_workers = seamless_workers
        self.remote_clients = None if remote_clients is None else dict(remote_clients)

    async def setup(self, worker: Worker) -> None:
        """Prepare ``worker`` (runs on the worker's event loop)."""
        from . import serialization  # noqa: F401  (registers Buffer serializers)
        from .permissions import PermissionManager, get_permission_registry

        nthreads = worker.state.nthreads
        seamless_workers = self.workers_of(worker)
        if nthreads < seamless_workers:
            raise WorkerSetupError(nthreads=nthreads, seamless_workers=seamless_workers)
        os.environ.setdefault("SEAMLESS_DASK_SCHEDULER", worker.scheduler.address)
        os.environ.setdefault("SEAMLESS_DASK_WORKERS", str(seamless_workers))
        if "S" not in worker.state.total_resources:
            await worker.set_resources(S=float(seamless_workers))
        if self.remote_clients:
            _configure_remote_clients(self.remote_clients)
        if killable_enabled():  # start the Seamless worker processes before the first task
            get_killable_pool_registry().get(seamless_workers)
        registry = get_permission_registry()
        if registry.manager is None:
            loop = worker.loop

            def push(value: int) -> None:
                loop.add_callback(worker.set_resources, S=float(value))

            def load() -> float:
                return worker.state.executing_count / max(1, worker.state.nthreads)

            registry.manager = PermissionManager(
                workers=seamless_workers, load_provider=load, resource_updater=push
            )

    def workers_of(self, worker: Worker) -> int:
        """The Seamless worker count of ``worker``: its own ``S`` resource when the cluster
        gave it one (seamless-dask-wrapper does, from the queue's cores and processes), else
        the count this plugin was created with."""
        static = worker.state.total_resources.get("S")
        return max(1, int(static)) if static else self.seamless_workers

    def teardown(self, worker: Worker) -> None:
        """Forget the permission manager of this process; stop its killable pool."""
        from .permissions import get_permission_registry

        get_permission_registry().reset()
        get_killable_pool_registry().reset()


__all__ = ["SeamlessWorkerPlugin"]

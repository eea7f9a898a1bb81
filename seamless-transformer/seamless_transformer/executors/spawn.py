"""The ``spawn`` executor: the code runs in the pool of spawned worker processes.

The pool is started on first use when execution ``spawn`` is selected and none runs yet
(:mod:`seamless_transformer.worker_pool`); where a pool cannot be started (outside the main
process), the code runs in this process.

Cancel and timeouts: the worker process running the transformation is terminated and replaced
by a fresh one; nothing of it is stored (see :mod:`seamless_transformer.worker_pool`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Executor

if TYPE_CHECKING:
    from ..transformation import Transformation
    from ..transformation_cache import ExecutionResult


class SpawnExecutor(Executor):
    """Sends the transformation dict and its input bytes to a spawned worker."""

    remote = False
    accepts_dependencies = False
    name = "spawn"
    #: the pool times the code itself (not the wait for a free worker)
    enforces_timeout = True
    #: cancel terminates (and replaces) the worker process running the transformation
    stops_work_on_cancel = True

    async def execute(
        self, transformation: Transformation, *, recompute: bool = False
    ) -> ExecutionResult:
        """Execute in a worker of the pool (started on first use); always executes, so
        ``recompute`` changes nothing."""
        from ..cancel import run_with_timeout
        from ..execute import execute_in_process, resolve_inputs
        from ..worker_pool import get_worker_pool_registry

        registry = get_worker_pool_registry()
        pool = registry.get()
        if pool is None:
            pool = registry.spawn(None)
        tf_dict = transformation.transformation_dict
        known = transformation.held_buffers()
        if pool is None:
            return await run_with_timeout(
                execute_in_process(tf_dict, known), transformation.timeout
            )
        pin_buffers, leaves = await resolve_inputs(tf_dict, known)
        return await pool.execute(tf_dict, pin_buffers, leaves, timeout=transformation.timeout)

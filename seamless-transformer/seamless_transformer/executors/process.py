"""The ``process`` executor: the code runs in a thread of this process.

Cancel and timeouts: a Python thread cannot be killed. Cancelling (or a timeout) abandons the
thread: the transformation is canceled (or fails with "Transformation timed out after N s") at
once and nothing of it is stored, but its code runs on in the background until it ends, and
its result is discarded. ``Transformation.cancel_outcome`` reports ``stopped=False``,
and ``ProcessExecutor.cancel()`` returns False (nothing was stopped). Use ``spawn``
for work that must be stoppable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Executor

if TYPE_CHECKING:
    from ..transformation import Transformation
    from ..transformation_cache import ExecutionResult


class ProcessExecutor(Executor):
    """Runs the transformation dict in this process (inputs resolved here)."""

    remote = False
    accepts_dependencies = False
    name = "process"
    #: a thread cannot be killed: its code runs on, its result is discarded
    stops_work_on_cancel = False

    async def execute(
        self, transformation: Transformation, *, recompute: bool = False
    ) -> ExecutionResult:
        """Execute in a fresh thread of this process (always executes: ``recompute`` changes
        nothing)."""
        from ..execute import execute_in_process

        return await execute_in_process(
            transformation.transformation_dict, transformation.held_buffers()
        )

    async def cancel(self, transformation: Transformation) -> bool:
        """False: the thread running the code cannot be stopped (it runs on in the background;
        cancelling the transformation discards its result)."""
        return False

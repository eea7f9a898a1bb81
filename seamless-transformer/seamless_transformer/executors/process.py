"""The ``process`` executor: the code runs in a thread of this process."""

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

    async def execute(self, transformation: Transformation) -> ExecutionResult:
        """Execute in a fresh thread of this process."""
        from ..execute import execute_in_process

        return await execute_in_process(
            transformation.transformation_dict, transformation.held_buffers()
        )

"""Which executor runs a transformation: the selection, and the Seamless 1.x compatibility rule.

1. A ``local`` transformation runs in this process (``process``).
2. Unless execution was selected explicitly (a command, the profile, the environment or
   ``select_execution``), a registered executor that claims unselected work gets it (1.x: a
   registered SeamlessDaskClient runs the work; never from code already running in a Dask task).
3. ``remote``: the executor registered under the selected remote target (``daskserver``,
   ``jobserver``), else the most recently registered remote executor that is available (the
   built-in ``jobserver`` one only while a jobserver is active); none is an error.
4. ``spawn``: the worker pool. ``process``: the worker pool when one was spawned (1.x), else
   this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import selection
from ..errors import RemoteBackendError
from .base import Executor, get_executor_registry

if TYPE_CHECKING:
    from ..transformation import Transformation


def choose_executor(transformation: Transformation) -> Executor:
    """The executor that runs ``transformation`` (see the module docstring)."""
    registry = get_executor_registry()
    if transformation.local:
        return _builtin("process")
    if not selection.execution_was_set_explicitly():
        for _, claimant in reversed(registry.remote_executors()):
            if claimant.claims_unselected_work():
                return claimant
    mode = selection.get_execution()
    if mode == "remote":
        target = selection.get_remote_target()
        executor = registry.get(target) if target else None
        if executor is None or not executor.remote:
            remotes = [e for _, e in registry.remote_executors() if e.available()]
            executor = remotes[-1] if remotes else None
        if executor is None:
            raise RemoteBackendError(remote=target)
        return executor
    if mode == "spawn":
        return _builtin("spawn")
    from ..worker_pool import has_spawned

    return _builtin("spawn" if has_spawned() else "process")


def _builtin(name: str) -> Executor:
    executor = get_executor_registry().get(name)
    assert executor is not None, f"built-in executor {name!r} is missing"
    return executor

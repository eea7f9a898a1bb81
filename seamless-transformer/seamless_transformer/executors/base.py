"""The execution interface: an ``Executor`` runs transformations for one execution target.

``process`` and ``spawn`` are built in; remote targets (``daskserver``, ``jobserver``) are
registered by their packages with ``register_executor(name, executor)``. ``Transformation``
keeps its state machine (construct -> compute -> run) and asks ``choose_executor`` which one runs
its work. See docs/architecture.md, "Executors".
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from seamless_config.registries import register_registry

if TYPE_CHECKING:
    from ..transformation import Transformation
    from ..transformation_cache import ExecutionResult


@runtime_checkable
class Executor(Protocol):
    """Runs transformations for one execution target (subclass it to inherit the defaults).

    ``remote``: the work runs outside this process; the transformation's input buffers are
    uploaded first, and the executor's workers store the result (buffer, then database entry),
    so this process does not persist it.

    Cancel: ``Transformation.cancel()`` (and a timeout) cancels the coroutine awaiting
    ``execute``; the executor stops the work as far as it can. Optional attributes (not protocol
    members, read with ``getattr``): ``name`` (the name it is registered under) and
    ``stops_work_on_cancel`` (True when cancelling really stops the code, e.g. by terminating
    the worker process running it; False when it runs on in the background and its result is
    discarded), reported by ``Transformation.cancel_outcome``; ``enforces_timeout`` (True: it
    applies ``transformation.timeout`` itself, e.g. not counting the wait for a free worker;
    otherwise the Transformation times the whole ``execute`` call).
    ``accepts_dependencies``: it takes transformations whose upstream results are not known
    yet (``transformation.dependencies``) and schedules them itself (Dask); otherwise the
    dependencies are computed first and the transformation is constructed before ``execute``.
    """

    remote: bool = False
    accepts_dependencies: bool = False

    async def execute(
        self, transformation: Transformation, *, recompute: bool = False
    ) -> ExecutionResult:
        """Run ``transformation``; its result checksum (and buffer, when this process has it).

        ``recompute``: a result is known for this transformation but its buffer cannot be read
        (lost, or corrupt in storage). Do not look the transformation up (memory, database,
        finished work of other clients): execute it again and store the new buffer so that it
        replaces the stored copy (the database entry is written again, too). An executor that
        always executes (``process``, ``spawn``) can ignore it.

        Raise on failure: the exception text becomes ``transformation.exception``.
        """
        ...

    async def cancel(self, transformation: Transformation) -> bool:
        """Stop the work of ``transformation``; True if something was cancelled."""
        return False

    def claims_unselected_work(self) -> bool:
        """True when it runs every transformation for which no execution mode was selected
        explicitly (Seamless 1.x: a registered SeamlessDaskClient). Default: False."""
        return False

    def available(self) -> bool:
        """False when it has nowhere to send work now (the jobserver executor without an
        active jobserver): it is then only chosen when its name is the selected target."""
        return True


class ExecutorRegistry:
    """Name -> executor; ``process`` and ``spawn`` are always there."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executors: dict[str, Executor] = {}
        self._builtins: dict[str, Executor] = {}

    def set_builtin(self, name: str, executor: Executor) -> None:
        """Register a built-in executor (kept by ``reset``)."""
        self._builtins[name] = executor
        self.register(name, executor)

    def register(self, name: str, executor: Executor) -> None:
        """Register ``executor`` under ``name``, replacing any previous one."""
        if not isinstance(executor, Executor):
            raise TypeError(
                f"register_executor({name!r}, ...): expected an Executor, not "
                f"{type(executor).__name__}"
            )
        with self._lock:
            self._executors.pop(name, None)  # re-registration moves it to the end
            self._executors[name] = executor

    def unregister(self, name: str, executor: Executor | None = None) -> None:
        """Remove ``name`` (only if it is ``executor``, when given); built-ins come back."""
        with self._lock:
            if executor is None or self._executors.get(name) is executor:
                self._executors.pop(name, None)
                if name in self._builtins:
                    self._executors[name] = self._builtins[name]

    def get(self, name: str) -> Executor | None:
        """The executor registered as ``name``, or None."""
        return self._executors.get(name)

    def remote_executors(self) -> list[tuple[str, Executor]]:
        """The registered remote executors, most recently registered last."""
        with self._lock:
            return [(n, e) for n, e in self._executors.items() if e.remote]

    def reset(self) -> None:
        """Only the built-in executors (tests)."""
        with self._lock:
            self._executors = dict(self._builtins)


_executor_registry = register_registry("seamless_transformer.executors", ExecutorRegistry())


def get_executor_registry() -> ExecutorRegistry:
    """The process-wide executor registry."""
    return _executor_registry


def register_executor(name: str, executor: Executor) -> None:
    """Register the executor of execution target ``name`` (e.g. "daskserver", "jobserver")."""
    _executor_registry.register(name, executor)


def unregister_executor(name: str, executor: Executor | None = None) -> None:
    """Unregister the executor of ``name`` (only if it is ``executor``, when given)."""
    _executor_registry.unregister(name, executor)


def get_executor(name: str) -> Executor | None:
    """The executor registered as ``name``, or None."""
    return _executor_registry.get(name)

"""Exceptions raised by seamless_dask.

Hierarchy (every class also derives from the builtin named in brackets)::

    SeamlessDaskError
    ├── WrapperConfigError [ValueError]       a seamless-dask-wrapper parameter is missing or
    │                                         invalid (names the status file and the key)
    ├── NoDaskClientError [RuntimeError]      a Dask operation needs a registered
    │                                         SeamlessDaskClient and there is none
    ├── DependencyError [RuntimeError]        an upstream transformation has an exception
    ├── WorkerSetupError [RuntimeError]       a Dask worker cannot host Seamless work
    │                                         (too few threads, ...)
    └── DaemonWorkerError [RuntimeError]      seamless-dask.killable is set, but the Dask
                                              worker is a daemon process (no children)

Re-exported (the same class object, defined once in the lowest layer that raises it)::

    seamless_remote.errors.TransformationCanceledError [RuntimeError]
                                              the transformation was canceled

It is imported on first access (module ``__getattr__``), so that ``seamless_dask.wrapper``,
which imports this module, still imports neither ``seamless_remote`` nor ``seamless``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamless_remote.errors import TransformationCanceledError


class SeamlessDaskError(Exception):
    """Base class of every error raised by seamless_dask."""


class WrapperConfigError(SeamlessDaskError, ValueError):
    """A wrapper parameter (from the launcher's status file) is missing or invalid."""

    def __init__(self, *, key: str, value: object, problem: str, path: str | None = None) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" in the 'parameters' of status file {self.path}" if self.path else ""
        return (
            f"seamless-dask-wrapper parameter {self.key!r}{where} has value {self.value!r}: "
            f"{self.problem}. Fix the queue definition in the cluster file "
            "(~/.seamless/clusters.yaml) that produced these file_parameters."
        )


class NoDaskClientError(SeamlessDaskError, RuntimeError):
    """No SeamlessDaskClient is registered in this process."""

    def __str__(self) -> str:
        return (
            "No SeamlessDaskClient is registered. Call "
            "seamless_dask.set_seamless_dask_client(SeamlessDaskClient(distributed_client)) "
            "or select 'remote: daskserver' in seamless.profile.yaml."
        )


class DependencyError(SeamlessDaskError, RuntimeError):
    """An upstream transformation has an exception, so this one cannot run."""

    def __init__(self, *, pin: str, detail: str = "") -> None:
        self.pin = pin
        self.detail = detail
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"Dependency has an exception. (pin {self.pin!r})"
        if self.detail:
            text += "\n" + self.detail
        return text


class WorkerSetupError(SeamlessDaskError, RuntimeError):
    """A Dask worker cannot host Seamless work as configured."""

    def __init__(self, *, nthreads: int, seamless_workers: int) -> None:
        self.nthreads = nthreads
        self.seamless_workers = seamless_workers
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"Dask worker threads ({self.nthreads}) must be at least the Seamless worker count "
            f"({self.seamless_workers}); raise worker_threads or lower the worker count."
        )


class DaemonWorkerError(SeamlessDaskError, RuntimeError):
    """``seamless-dask.killable`` needs Dask workers that may start child processes."""

    def __init__(self, *, process_name: str) -> None:
        self.process_name = process_name
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"seamless-dask.killable is set, but the Dask worker process {self.process_name!r} "
            "is a daemon process, which may not start the Seamless worker processes that run "
            "killable transformations; set distributed.worker.daemon: false for the Dask "
            "workers (seamless-dask-wrapper does this in Seamless mode)"
        )


CANCELED_TEXT = "Transformation was canceled"
DEPENDENCY_TEXT = "Dependency has an exception."

__all__ = [
    "CANCELED_TEXT",
    "DEPENDENCY_TEXT",
    "DaemonWorkerError",
    "DependencyError",
    "NoDaskClientError",
    "SeamlessDaskError",
    "TransformationCanceledError",
    "WorkerSetupError",
    "WrapperConfigError",
]


def __getattr__(name: str) -> Any:
    """``TransformationCanceledError``: seamless_remote's class, imported on first access."""
    if name == "TransformationCanceledError":
        from seamless_remote.errors import TransformationCanceledError

        return TransformationCanceledError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

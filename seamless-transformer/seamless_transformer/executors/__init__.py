"""Executors: ``process``, ``spawn`` and the remote targets registered by their packages.

Built in: ``process``, ``spawn`` and ``jobserver`` (which needs only seamless_remote's jobserver
client). A package that adds an execution target (seamless-dask: ``daskserver``) implements
:class:`Executor` and calls ``register_executor(name, executor)``.
See docs/architecture.md, "Executors".
"""

from __future__ import annotations

from .base import (
    Executor,
    ExecutorRegistry,
    get_executor,
    get_executor_registry,
    register_executor,
    unregister_executor,
)
from .choice import choose_executor
from .jobserver import JobserverExecutor
from .process import ProcessExecutor
from .spawn import SpawnExecutor

get_executor_registry().set_builtin("process", ProcessExecutor())
get_executor_registry().set_builtin("spawn", SpawnExecutor())
get_executor_registry().set_builtin("jobserver", JobserverExecutor())

__all__ = [
    "Executor",
    "ExecutorRegistry",
    "JobserverExecutor",
    "ProcessExecutor",
    "SpawnExecutor",
    "choose_executor",
    "get_executor",
    "get_executor_registry",
    "register_executor",
    "unregister_executor",
]

"""The Seamless 1.x module name for the spawned worker pool: ``spawn``, ``has_spawned``,
``shutdown_workers``.

seamless-core's ``close()`` finds this module in ``sys.modules`` and calls ``has_spawned()`` and
``shutdown_workers()``; the pool's own close hook (``worker_pool``) has shut it down by then, so
closing is clean and idempotent. The pool itself lives in :mod:`seamless_transformer.worker_pool`.
"""

from __future__ import annotations

from .worker_pool import has_spawned, shutdown_workers, spawn

__all__ = ["has_spawned", "shutdown_workers", "spawn"]

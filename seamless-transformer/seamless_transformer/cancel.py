"""Cancel and timeouts: what ``Transformation.cancel_outcome`` reports, and the timeout setting.

Cancelling a transformation cancels its computation task; the executor running the work reacts
to that (see each executor's ``stops_work_on_cancel``):

- ``spawn``: the worker process running it is terminated with its process group and replaced
  (the slot takes the next transformation);
- ``jobserver``: the request is cancelled, and the jobserver terminates the worker process
  running the job;
- ``process``: the code runs in a thread of this process, which cannot be killed: it runs on
  in the background, and its result is thrown away;
- ``daskserver``: the Dask futures are cancelled; a task already running on a Dask worker
  thread cannot be killed by distributed: its code runs to the end, and writes nothing; unless
  the workers are killable (the queue's ``killable: true``): then the code runs in a Seamless
  worker process under the Dask worker, which is terminated as on ``spawn``.

In every case nothing of a canceled transformation is stored (no buffer, no database entry).
A timeout (``Transformer.timeout``, ``meta["timeout"]``, or seamless-config's ``- timeout: N``)
cancels the same way and fails the transformation with "Transformation timed out after N s".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import TransformationError, TransformationTimeoutError

__all__ = ["CancelOutcome", "effective_timeout", "run_with_timeout", "validate_timeout"]

T = TypeVar("T")


@dataclass(frozen=True)
class CancelOutcome:
    """What ``Transformation.cancel()`` did (``Transformation.cancel_outcome``); True as a bool
    when the transformation was canceled.

    ``executor``: the name of the executor that was running its work (None: no work was
    running, e.g. not started yet, or waiting for its dependencies).
    ``stopped``: True when the running work was stopped (its worker process terminated), False
    when it runs on in the background (a thread cannot be killed; its result is discarded),
    None when no work was running.
    """

    canceled: bool
    executor: str | None = None
    stopped: bool | None = None

    def __bool__(self) -> bool:
        return self.canceled

    def __eq__(self, other: object) -> bool:
        if isinstance(other, bool):
            return self.canceled is other
        if isinstance(other, CancelOutcome):
            return (self.canceled, self.executor, self.stopped) == (
                other.canceled,
                other.executor,
                other.stopped,
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.canceled)


def validate_timeout(value: Any, *, where: str = "timeout") -> float | None:
    """A timeout in seconds (> 0), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise TransformationError(f"{where} must be a number of seconds > 0 or None, not {value!r}")
    return float(value)


def effective_timeout(meta: Mapping[str, Any]) -> float | None:
    """The timeout of a transformation: ``meta["timeout"]``, else seamless-config's default."""
    own = meta.get("timeout")
    if own is not None:
        return validate_timeout(own, where='meta["timeout"]')
    try:
        from seamless_config.select import get_timeout
    except ImportError:  # pragma: no cover - seamless-config is a dependency
        return None
    return get_timeout()


async def run_with_timeout(work: Awaitable[T], timeout: float | None) -> T:
    """Await ``work``; after ``timeout`` seconds cancel it (so its executor stops it) and raise
    TransformationTimeoutError ("Transformation timed out after N s")."""
    if timeout is None:
        return await work
    scope = asyncio.timeout(timeout)
    try:
        async with scope:
            return await work
    except TimeoutError:
        if scope.expired():
            raise TransformationTimeoutError(timeout) from None
        raise

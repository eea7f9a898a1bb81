"""The ``jobserver`` remote backend: transformations run on a seamless-jobserver.

With ``execution: remote`` and ``remote: jobserver`` (or no remote target, no other backend,
and a jobserver active), a transformation whose result is not cached is sent to the jobserver
that seamless_remote's ``jobserver_remote`` holds (launched by seamless_config, or defined with
``jobserver_remote.define_jobserver(url)``). Dependencies are computed first; the inputs are
uploaded before the request (the Transformation does that); the jobserver stores the result
buffer and the database entry. A jobserver error becomes the transformation's exception text,
and cancelling the transformation cancels the job on the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seamless import Checksum

from . import persistence
from .errors import TransformationError
from .remote_backend import RemoteBackend
from .transformation_cache import get_transformation_cache

if TYPE_CHECKING:
    from .transformation import Transformation

__all__ = ["JobserverBackend", "jobserver_is_active"]


def _jobserver_remote() -> Any:
    try:
        from seamless_remote import jobserver_remote
    except ImportError as exc:
        raise TransformationError(
            f"remote: jobserver needs the package seamless-remote ({exc}); pip install "
            "seamless-remote"
        ) from None
    return jobserver_remote


def jobserver_is_active() -> bool:
    """True when seamless_remote has a jobserver to send work to."""
    try:
        from seamless_remote import jobserver_remote
    except ImportError:
        return False
    return bool(jobserver_remote.has_jobserver())


class JobserverBackend(RemoteBackend):
    """Computes transformations on the active jobserver."""

    name = "jobserver"

    async def compute(self, transformation: Transformation) -> Checksum:
        """Result checksum of ``transformation``, computed (or found) by the jobserver."""
        from seamless_remote.errors import JobserverError, TransformationCanceledError

        results: dict[str, Checksum] = {}
        for pin, dependency in dict(transformation.dependencies).items():
            result = await dependency.computation()
            if result is None:
                raise TransformationError(
                    f"Dependency has an exception. (pin {pin!r})\n{dependency.exception or ''}"
                )
            results[pin] = result
        tf_checksum = transformation.construct_from(results)
        if results:  # Transformation could only look up a constructed transformation
            cached = get_transformation_cache().get_result(tf_checksum)
            if cached is None:
                cached = await persistence.get_transformation_result(tf_checksum)
            if cached is not None:
                return cached
        try:
            answer = await _jobserver_remote().run_transformation(
                transformation.build_dict(results),
                tf_checksum=tf_checksum,
                scratch=transformation.scratch,
            )
        except TransformationCanceledError:
            raise TransformationError("Transformation was canceled") from None
        except JobserverError as exc:
            if exc.status == 500:  # the transformation's own error text
                raise TransformationError(exc.message) from None
            raise
        if "result_checksum" not in answer:
            raise TransformationError(
                f"The jobserver did not compute transformation {tf_checksum.hex()}: {answer!r}"
            )
        return Checksum(answer["result_checksum"])

    async def cancel(self, transformation: Transformation) -> bool:
        """Cancel the job of ``transformation`` on the jobserver."""
        try:
            tf_checksum = transformation.transformation_checksum
        except TransformationError:
            return False
        return bool(await _jobserver_remote().cancel_transformation(tf_checksum))

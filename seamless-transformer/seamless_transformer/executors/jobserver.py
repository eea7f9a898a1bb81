"""The ``jobserver`` executor: transformations run on a seamless-jobserver.

Built in (it needs only seamless_remote's jobserver client, a lower layer). With ``execution:
remote`` and ``remote: jobserver`` (or no remote target, no other remote executor registered,
and a jobserver active), a transformation whose result is not cached is sent to the jobserver
that seamless_remote's ``jobserver_remote`` holds (launched by seamless_config, or defined with
``jobserver_remote.define_jobserver(url)`` / ``define_extern_client(..., "jobserver", ...)``).
Dependencies are computed first (``accepts_dependencies = False``); the inputs are uploaded
before the request (the Transformation does that); the jobserver stores the result buffer, and
ours also the database entry and the execution record (the released seamless-jobserver 0.3.0
leaves those to the client, so without our server's ``Seamless-Result-Stored`` header this
executor writes them). A jobserver error becomes the transformation's exception text, and
cancelling the request (``Transformation.cancel()``, a timeout) cancels the job on the server
(``JobserverClient.run_transformation``), which terminates the worker process running it.
``recompute`` (a known result whose buffer cannot be read) travels as the request header
``Seamless-Recompute``: our jobserver then executes again and replaces the stored buffer; a
Seamless 1.x jobserver ignores the header and answers from its cache (logged as a warning; the
Transformation then reports that the result cannot be read).
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import TYPE_CHECKING

from seamless import Checksum

from .. import persistence
from ..errors import TransformationError
from ..transformation_cache import ExecutionResult
from .base import Executor

if TYPE_CHECKING:
    from ..transformation import Transformation

__all__ = ["JobserverExecutor", "jobserver_is_active"]

logger = logging.getLogger(__name__)


def _jobserver_remote() -> ModuleType:
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


class JobserverExecutor(Executor):
    """Computes constructed transformations on the active jobserver."""

    remote = True
    accepts_dependencies = False
    name = "jobserver"
    #: the timeout travels in ``__meta__`` and the jobserver times the code in its worker
    enforces_timeout = True
    #: the jobserver terminates the worker process running a canceled job
    stops_work_on_cancel = True

    def available(self) -> bool:
        """A jobserver is active (only then is it chosen without ``remote: jobserver``)."""
        return jobserver_is_active()

    async def execute(
        self, transformation: Transformation, *, recompute: bool = False
    ) -> ExecutionResult:
        """The result checksum of ``transformation``, computed (or found) by the jobserver."""
        from seamless_remote.errors import JobserverError, TransformationCanceledError

        tf_checksum = transformation.checksum
        tf_dict = transformation.transformation_dict
        timeout = transformation.timeout
        if timeout is not None:  # __meta__ is not part of the checksum
            tf_dict = {
                **tf_dict,
                "__meta__": {**(tf_dict.get("__meta__") or {}), "timeout": timeout},
            }
        try:
            answer = await _jobserver_remote().run_transformation(
                tf_dict,
                tf_checksum=tf_checksum,
                scratch=transformation.scratch,
                recompute=recompute,
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
        result = Checksum(answer["result_checksum"])
        if recompute and not answer.get("recomputed"):
            logger.warning(
                "Transformation %s: the jobserver did not recompute it (a Seamless 1.x "
                "jobserver ignores the request); its answer %s may point at the same "
                "unreadable buffer",
                tf_checksum.hex(),
                result.hex(),
            )
        if not answer.get("stored_by_server") and persistence.is_persistent():
            # seamless-jobserver 0.3.0 (Seamless 1.x) leaves the database writes to the client
            await persistence.set_transformation_result(tf_checksum, result)
            await persistence.write_execution_record(
                tf_checksum, result, remote_target="jobserver", runtime=answer.get("record_runtime")
            )
        return ExecutionResult(result)

    async def cancel(self, transformation: Transformation) -> bool:
        """Cancel the job of ``transformation`` on the jobserver."""
        try:
            tf_checksum = transformation.transformation_checksum
        except TransformationError:
            return False
        return bool(await _jobserver_remote().cancel_transformation(tf_checksum))

"""Exceptions raised by seamless_jobserver.

Hierarchy::

    JobserverServerError                       base of everything raised here
    ├── BadRequestError (ValueError)           a /run-transformation body is not valid (HTTP 400)
    ├── RecordModeMismatchError                the request's `record` differs from the server's (409)
    ├── JobCanceledError                       the job was canceled (200 "Transformation was canceled")
    └── StartupError                           the server cannot start (bad parameters)
"""

from __future__ import annotations

__all__ = [
    "BadRequestError",
    "JobCanceledError",
    "JobserverServerError",
    "RecordModeMismatchError",
    "StartupError",
]


class JobserverServerError(Exception):
    """Base class of all seamless_jobserver errors."""


class BadRequestError(JobserverServerError, ValueError):
    """The body of a request is not valid JSON or not a valid payload; ``field`` names the part."""

    def __init__(self, problem: str, *, field: str | None = None) -> None:
        self.problem = problem
        self.field = field
        super().__init__(problem)

    def __str__(self) -> str:
        where = "" if self.field is None else f" (field '{self.field}')"
        return f"Bad request{where}: {self.problem}"


class RecordModeMismatchError(JobserverServerError):
    """The request's ``record`` flag differs from the server's record mode."""

    def __init__(self, *, requested: bool, server: bool) -> None:
        self.requested = requested
        self.server = server
        super().__init__(requested, server)

    def __str__(self) -> str:
        return (
            f"Jobserver record mode mismatch: the request has record={self.requested}, "
            f"the jobserver runs with record={self.server}"
        )


class JobCanceledError(JobserverServerError):
    """The job was canceled (POST /cancel-transformation)."""

    def __str__(self) -> str:
        return "Transformation was canceled"


class StartupError(JobserverServerError):
    """The server cannot start: ``what`` names the option or parameter at fault."""

    def __init__(self, what: str, problem: str) -> None:
        self.what = what
        self.problem = problem
        super().__init__(what, problem)

    def __str__(self) -> str:
        return f"{self.what}: {self.problem}"

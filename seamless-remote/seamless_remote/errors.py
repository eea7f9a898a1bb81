"""Exceptions raised by seamless_remote.

Hierarchy::

    RemoteError                                  base of everything raised here
    ├── ServerUnavailableError (ConnectionError) a server cannot be reached (names the URL)
    │   └── ClientClosedError                    seamless.close() dropped or refused a request
    ├── RemoteHTTPError                          a server answered with an unexpected status
    ├── ReadOnlyClientError (PermissionError)    a write was sent to a read-only client
    ├── CorruptBufferError (ValueError)          buffer bytes do not match their checksum
    ├── ClientDefinitionError (ValueError)       bad define_extern_client() / remote-clients entry
    ├── LaunchError                              remote-http-launcher could not start a service
    └── JobserverError                           a jobserver refused or failed a transformation
        └── TransformationCanceledError (RuntimeError)  the transformation was canceled

``TransformationCanceledError`` is the one class of that name: ``seamless_dask.errors`` (and
``seamless_dask``) re-export this object, so catching it by any of its names catches every raise.
"""

from __future__ import annotations

__all__ = [
    "ClientClosedError",
    "ClientDefinitionError",
    "CorruptBufferError",
    "JobserverError",
    "LaunchError",
    "ReadOnlyClientError",
    "RemoteError",
    "RemoteHTTPError",
    "ServerUnavailableError",
    "TransformationCanceledError",
]


class RemoteError(Exception):
    """Base class of all seamless_remote errors."""


class ServerUnavailableError(RemoteError, ConnectionError):
    """A hashserver, database or jobserver could not be reached."""

    def __init__(self, url: str, *, kind: str, reason: str, attempts: int = 1) -> None:
        self.url = url
        self.kind = kind
        self.reason = reason
        self.attempts = attempts
        super().__init__(url, kind, reason, attempts)

    def __str__(self) -> str:
        tried = "" if self.attempts <= 1 else f" after {self.attempts} attempts"
        return (
            f"Cannot reach the {self.kind} at {self.url}{tried}: {self.reason}. "
            f"Check that the server is running and that the URL is right "
            f"(connect timeout: SEAMLESS_REMOTE_CONNECT_TIMEOUT, "
            f"retry window: SEAMLESS_REMOTE_RETRY_TIMEOUT)."
        )


class ClientClosedError(ServerUnavailableError):
    """seamless.close() started: a request in flight was dropped, or a new one refused.

    Raised so that every waiter (seamless-core's buffer writer among them) ends at once
    instead of waiting for a server that may never answer; see `seamless_remote.session`.
    """

    def __init__(self, url: str, *, kind: str, request: str, in_flight: bool) -> None:
        self.request = request
        self.in_flight = in_flight
        what = "dropped while in flight" if in_flight else "refused"
        super().__init__(
            url, kind=kind, reason=f"{request} was {what}: seamless.close() has started"
        )

    def __str__(self) -> str:
        what = "dropped while in flight" if self.in_flight else "refused"
        return (
            f"{self.request} to the {self.kind} at {self.url} was {what}: "
            f"seamless.close() has started, no further requests are sent"
        )


class RemoteHTTPError(RemoteError):
    """A server answered with a status code the client did not expect."""

    def __init__(self, url: str, *, method: str, status: int, body: str) -> None:
        self.url = url
        self.method = method
        self.status = status
        self.body = body
        super().__init__(url, method, status, body)

    def __str__(self) -> str:
        body = self.body if len(self.body) <= 300 else self.body[:300] + "..."
        return f"{self.method} {self.url} returned HTTP {self.status}: {body!r}"


class ReadOnlyClientError(RemoteError, PermissionError):
    """A write (PUT, promise) was attempted through a read-only client."""

    def __init__(self, url: str, *, operation: str) -> None:
        self.url = url
        self.operation = operation
        super().__init__(url, operation)

    def __str__(self) -> str:
        return (
            f"Read-only client for {self.url} refuses {self.operation}; "
            f"define the client with readonly=False to write to it."
        )


class CorruptBufferError(RemoteError, ValueError):
    """The bytes served for a checksum hash to something else; they are never returned."""

    def __init__(self, source: str, *, checksum: str, actual: str | None) -> None:
        self.source = source
        self.checksum = checksum
        self.actual = actual
        super().__init__(source, checksum, actual)

    def __str__(self) -> str:
        found = "" if self.actual is None else f" (its content hashes to {self.actual})"
        return (
            f"Buffer {self.checksum} from {self.source} is corrupt{found}; "
            f"remove or repair the stored file."
        )


class ClientDefinitionError(RemoteError, ValueError):
    """An extern client definition or a remote-clients entry is invalid."""

    def __init__(self, name: str, *, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(name, problem)

    def __str__(self) -> str:
        return f"Remote client {self.name!r}: {self.problem}"


class LaunchError(RemoteError):
    """remote-http-launcher failed to start or reconnect a service."""

    def __init__(self, key: str, *, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(key, reason)

    def __str__(self) -> str:
        return (
            f"Could not launch or reconnect service {self.key!r}: {self.reason}. "
            f"See the launcher log under ~/.remote-http-launcher/ (rhl-logs {self.key})."
        )


class JobserverError(RemoteError):
    """The jobserver answered a transformation request with an error."""

    def __init__(self, url: str, *, status: int, message: str) -> None:
        self.url = url
        self.status = status
        self.message = message
        super().__init__(url, status, message)

    def __str__(self) -> str:
        return (
            f"Jobserver {self.url} failed the transformation (HTTP {self.status}): {self.message}"
        )


class TransformationCanceledError(JobserverError, RuntimeError):
    """The transformation was canceled before it produced a result.

    Raised when the jobserver reports the job as canceled (``url``, ``status`` and ``message`` of
    its reply); ``tf_checksum`` (hex) names the transformation when it is known. Defined here, in
    the lowest layer that raises it, and re-exported by ``seamless_dask.errors`` (same object).
    """

    def __init__(
        self, url: str, *, status: int, message: str, tf_checksum: str | None = None
    ) -> None:
        self.tf_checksum = tf_checksum
        super().__init__(url, status=status, message=message)

"""The HTTP client core shared by the hashserver, database and jobserver clients.

Every request goes through `Client._request`, which
- takes its timeouts from the environment (see `seamless_remote.settings`);
- on the first contact with a server, turns a connection failure into one
  `ServerUnavailableError` that names the URL (no aiohttp stack); a timeout is never retried;
- once the server has answered, retries connection errors and 502/503/504 replies with
  exponential backoff and jitter for up to SEAMLESS_REMOTE_RETRY_TIMEOUT seconds, so that a
  restarted server is used again without user action, and clients that lost it together do not
  come back in lockstep (each retry is logged at INFO);
- for a launched service (`reconnect` set), first asks remote-http-launcher to reconnect or
  relaunch it (it may have exited after its inactivity timeout) and follows its new URL;
- once seamless.close() has started, is refused, or dropped when in flight, with
  `ClientClosedError` (`seamless_remote.session`), so nothing waits for a server at shutdown.

This module also holds the Seamless 1.x entry points `define_extern_client` and
`close_all_clients` (the latter is called by `seamless.close()`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
from multidict import CIMultiDictProxy

from .errors import ClientClosedError, ServerUnavailableError
from .session import get_http_session_registry
from .settings import RetryPolicy, Timeouts, get_retry_policy, get_timeouts

__all__ = ["Client", "Reply", "close_all_clients", "define_extern_client"]

logger = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({502, 503, 504})
_TRANSPORT_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


@dataclass(frozen=True)
class Reply:
    """A fully read HTTP reply."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def text(self) -> str:
        return self.body.decode(errors="replace")


def _describe_timeout(timeouts: Timeouts) -> str:
    return (
        f"the request timed out (connect {timeouts.connect} s, read {timeouts.read} s, "
        f"total {timeouts.total} s; see SEAMLESS_REMOTE_*_TIMEOUT)"
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"connection failed ({exc.os_error.strerror or exc.os_error})"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


class Client:
    """Base class: a server URL, a read-only flag and the retrying request method."""

    kind: ClassVar[str] = "server"

    def __init__(self, url: str, *, readonly: bool = True) -> None:
        self.url = url.rstrip("/")
        self.readonly = readonly
        self._alive = False
        self.reconnect: Callable[[], str] | None = None
        # Set by seamless-core's buffer writer during interpreter shutdown.
        self._shutdown = False

    def __repr__(self) -> str:
        mode = "ro" if self.readonly else "rw"
        return f"{type(self).__name__}({self.url!r}, {mode})"

    async def _request(
        self,
        method: str,
        path: str = "",
        *,
        data: bytes | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        healthcheck: bool = False,
    ) -> Reply:
        """Send one request with the retry policy of the module docstring."""
        url = f"{self.url}/{path}" if path else f"{self.url}/"
        timeouts = get_timeouts()
        timeout = aiohttp.ClientTimeout(
            total=timeouts.healthcheck if healthcheck else timeouts.total,
            connect=timeouts.connect,
            sock_connect=timeouts.connect,
            sock_read=timeouts.read,
        )
        registry = get_http_session_registry()
        async with registry.request(f"{method} {url}", url=self.url, kind=self.kind):
            return await self._attempts(method, url, timeout, data, json, headers)

    async def _attempts(
        self,
        method: str,
        url: str,
        timeout: aiohttp.ClientTimeout,
        data: bytes | None,
        json: Any,
        headers: dict[str, str] | None,
    ) -> Reply:
        """The attempts of one request (retries, reconnect) under the module's policy."""
        timeouts = get_timeouts()
        policy = get_retry_policy()
        started = time.monotonic()
        attempt = 0
        reconnected = False
        registry = get_http_session_registry()
        while True:
            attempt += 1
            if registry.closing:  # a retry after seamless.close() started
                raise ClientClosedError(
                    self.url, kind=self.kind, request=f"{method} {url}", in_flight=True
                )
            session = await registry.get_session()
            try:
                async with session.request(
                    method, url, data=data, json=json, headers=headers, timeout=timeout
                ) as response:
                    reply = Reply(response.status, response.headers, await response.read())
            except TimeoutError:
                raise ServerUnavailableError(
                    self.url, kind=self.kind, reason=_describe_timeout(timeouts), attempts=attempt
                ) from None
            except _TRANSPORT_ERRORS as exc:
                reason = _describe(exc)
                if self.reconnect is not None and not reconnected:
                    reconnected = True
                    old_base = self.url
                    self.url = (await asyncio.to_thread(self.reconnect)).rstrip("/")
                    url = self.url + url[len(old_base) :]
                    continue
                delay = policy.delay(attempt)
                if not self._may_retry(started, delay, policy):
                    raise ServerUnavailableError(
                        self.url, kind=self.kind, reason=reason, attempts=attempt
                    ) from None
                self._log_retry(method, url, reason, attempt, delay)
                await asyncio.sleep(delay)
                continue
            if reply.status in _RETRY_STATUSES:
                delay = policy.delay(attempt)
                if self._may_retry(started, delay, policy):
                    self._log_retry(method, url, f"HTTP {reply.status}", attempt, delay)
                    await asyncio.sleep(delay)
                    continue
            self._alive = True
            return reply

    def _may_retry(self, started: float, delay: float, policy: RetryPolicy) -> bool:
        if not self._alive:
            return False
        return time.monotonic() - started + delay <= policy.window

    def _log_retry(self, method: str, url: str, reason: str, attempt: int, delay: float) -> None:
        logger.info(
            "%s %s %s: %s; retry %d in %.2f s", self.kind, method, url, reason, attempt, delay
        )

    async def healthcheck(self) -> bool:
        """True if GET /healthcheck answers 2xx."""
        reply = await self._request("GET", "healthcheck", healthcheck=True)
        return 200 <= reply.status < 300

    def ensure_initialized_sync(self) -> None:
        """Called by seamless-core before its shutdown flush; the URL is always known here."""

    def _close_sessions(self) -> None:
        """Called by seamless-core's shutdown flush."""
        get_http_session_registry().close_all()

    def _close_sessions_for_thread(self, thread: threading.Thread) -> None:
        """Called by seamless-core's buffer writer thread when it stops."""
        get_http_session_registry().close_for_thread(thread)


def define_extern_client(
    name: str,
    type: str,  # Seamless 1.x signature
    *,
    url: str | None = None,
    directory: str | None = None,
    readonly: bool = True,
) -> None:
    """Register a named client ("hashserver", "bufferfolder", "database" or "jobserver").

    It is used once `buffer_remote.activate(extern_clients=[name])`,
    `database_remote.activate(extern_clients=[name])` or
    `jobserver_remote.activate(extern_clients=[name])` names it. The same function is
    available as `buffer_remote.define_extern_client` (and so on), as in Seamless 1.x.
    """
    from .registry import get_remote_registry

    get_remote_registry().define_extern_client(
        name, type, url=url, directory=directory, readonly=readonly
    )


def close_all_clients() -> None:
    """Close every HTTP session (seamless.close() calls this)."""
    get_http_session_registry().close_all()

"""Tunables read from environment variables at the point of use (never cached at import).

| variable | default | meaning |
|---|---|---|
| SEAMLESS_REMOTE_CONNECT_TIMEOUT | 10 | seconds to open a connection |
| SEAMLESS_REMOTE_READ_TIMEOUT | 1200 | seconds between two received chunks (the hashserver hashes before sending) |
| SEAMLESS_REMOTE_TOTAL_TIMEOUT | none | seconds for a whole request |
| SEAMLESS_REMOTE_HEALTHCHECK_TIMEOUT | 10 | seconds for a /healthcheck request |
| SEAMLESS_REMOTE_RETRY_TIMEOUT | 60 | seconds during which connection errors to a server that answered before are retried |
| SEAMLESS_REMOTE_RETRY_DELAY | 0.1 | first backoff delay; doubles per attempt, capped at 5 s; each wait is a random value between half and all of it |
| SEAMLESS_DATABASE_MAX_INFLIGHT | 30 | database requests in flight per event loop (0: unbounded) |
| SEAMLESS_BUFFER_FAST_PATH | on | "off"/"0"/"false": never write buffers straight into a hashserver's directory |

"none", "off", "false" or a value <= 0 disables a timeout.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

__all__ = [
    "RetryPolicy",
    "Timeouts",
    "get_database_max_inflight",
    "get_fast_path_enabled",
    "get_retry_policy",
    "get_timeouts",
]

_DISABLED_WORDS = {"", "none", "off", "false", "no"}


def _read_seconds(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _DISABLED_WORDS:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"Environment variable {name}={raw!r} is not a number of seconds; "
            f"set it to e.g. 10, or to 'none' to disable"
        ) from None
    return value if value > 0 else None


@dataclass(frozen=True)
class Timeouts:
    """Timeouts in seconds; None means no limit."""

    connect: float | None
    read: float | None
    total: float | None
    healthcheck: float | None


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how fast connection errors are retried."""

    window: float
    first_delay: float
    max_delay: float = 5.0

    def nominal_delay(self, attempt: int) -> float:
        """The backoff before retry number `attempt` (1-based), without jitter."""
        return min(self.max_delay, self.first_delay * (2 ** (attempt - 1)))

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """The wait before retry number `attempt`: a random value between half and all of the
        nominal backoff ("equal jitter"), so that clients that lost a server at the same moment
        do not all retry in lockstep when it comes back."""
        nominal = self.nominal_delay(attempt)
        return nominal * (0.5 + 0.5 * (rng or random).random())


def get_timeouts() -> Timeouts:
    """Timeouts from the SEAMLESS_REMOTE_*_TIMEOUT variables."""
    return Timeouts(
        connect=_read_seconds("SEAMLESS_REMOTE_CONNECT_TIMEOUT", 10.0),
        read=_read_seconds("SEAMLESS_REMOTE_READ_TIMEOUT", 1200.0),
        total=_read_seconds("SEAMLESS_REMOTE_TOTAL_TIMEOUT", None),
        healthcheck=_read_seconds("SEAMLESS_REMOTE_HEALTHCHECK_TIMEOUT", 10.0),
    )


def get_retry_policy() -> RetryPolicy:
    """Retry policy from SEAMLESS_REMOTE_RETRY_TIMEOUT / SEAMLESS_REMOTE_RETRY_DELAY."""
    window = _read_seconds("SEAMLESS_REMOTE_RETRY_TIMEOUT", 60.0) or 0.0
    first = _read_seconds("SEAMLESS_REMOTE_RETRY_DELAY", 0.1) or 0.1
    return RetryPolicy(window=window, first_delay=first)


def get_database_max_inflight() -> int:
    """Bound on concurrent database requests per event loop; 0 means unbounded."""
    raw = os.environ.get("SEAMLESS_DATABASE_MAX_INFLIGHT", "30").strip()
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(
            f"Environment variable SEAMLESS_DATABASE_MAX_INFLIGHT={raw!r} is not an integer; "
            f"set it to e.g. 30, or 0 for no bound"
        ) from None
    return max(value, 0)


def get_fast_path_enabled() -> bool:
    """False when SEAMLESS_BUFFER_FAST_PATH turns the local fast path off for this process."""
    raw = os.environ.get("SEAMLESS_BUFFER_FAST_PATH", "on").strip().lower()
    if raw in ("off", "0", "false", "no"):
        return False
    if raw in ("on", "1", "true", "yes", ""):
        return True
    raise ValueError(
        f"Environment variable SEAMLESS_BUFFER_FAST_PATH={raw!r} is not understood; "
        f"set it to 'on' or 'off'"
    )

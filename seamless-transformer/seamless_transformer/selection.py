"""What seamless_config selected: execution mode, remote target, nparallel (read at use time).

seamless-config is a dependency of this package: a value it cannot give is its error, raised
as such (never a silent fallback to in-process execution).
"""

from __future__ import annotations

import seamless_config
from seamless_config import select
from seamless_config.errors import ConfigurationError

EXECUTION_MODES = ("process", "spawn", "remote")


def get_execution() -> str:
    """The selected execution mode: "process", "spawn" or "remote"."""
    mode = select.get_execution()
    if mode not in EXECUTION_MODES:
        raise ConfigurationError(
            f"execution mode {mode!r} is not one of {', '.join(EXECUTION_MODES)}",
            key="execution",
            value=mode,
        )
    return mode


def execution_was_set_explicitly() -> bool:
    """True when ``execution`` came from a command, the profile, the environment or
    ``select_execution`` (not from a default)."""
    return bool(select.execution_was_set_explicitly())


def get_remote_target() -> str | None:
    """The selected remote target ("daskserver", "jobserver") or None."""
    return select.get_remote()


def get_nparallel(default: int | None = None) -> int:
    """``nparallel`` from seamless_config; ``default`` (if given) when it is not set, else the
    ConfigurationError saying how to set it."""
    if default is not None and select.get_nparallel() is None:
        return default
    return int(seamless_config.get_nparallel())

"""What seamless_config selected: execution mode, remote target, nparallel (read at use time).

seamless_config is imported lazily and only looked at when it has been imported already or
when a value is asked for; without it everything falls back to in-process execution.
"""

from __future__ import annotations

EXECUTION_MODES = ("process", "spawn", "remote")


def get_execution() -> str:
    """The selected execution mode: "process", "spawn" or "remote" ("process" without config)."""
    try:
        from seamless_config import select
    except ImportError:
        return "process"
    try:
        mode = select.get_execution()
    except Exception:
        return "process"
    return mode if mode in EXECUTION_MODES else "process"


def execution_was_set_explicitly() -> bool:
    """True when ``execution`` came from a command, the profile, the environment or
    ``select_execution`` (not from a default)."""
    try:
        from seamless_config import select
    except ImportError:
        return False
    return bool(select.execution_was_set_explicitly())


def get_remote_target() -> str | None:
    """The selected remote target ("daskserver", "jobserver") or None."""
    try:
        from seamless_config import select
    except ImportError:
        return None
    try:
        return select.get_remote()
    except Exception:
        return None


def get_nparallel(default: int | None = None) -> int:
    """``nparallel`` from seamless_config; ``default`` (if given) when it is not set."""
    try:
        import seamless_config

        return int(seamless_config.get_nparallel())
    except Exception:
        if default is not None:
            return default
        raise

"""Session state of the configuration: workdir, initialization, frozen-by-remote-clients."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass

from .registries import register_registry

__all__ = ["SessionState", "caller_directory", "get_session_state"]


@dataclass
class SessionState:
    """What init()/set_stage() have done so far in this process."""

    workdir: str | None = None
    set_workdir_called: bool = False
    initialized: bool = False
    remote_clients_set: bool = False
    activated: tuple[str | None, str | None] | None = None
    """(stage, substage) of the last activation, None before the first one."""

    def reset(self) -> None:
        # re-running the dataclass __init__ restores every default (mypy: unsound in general)
        self.__init__()  # type: ignore[misc]


_session_state = register_registry("seamless_config.session", SessionState())


def get_session_state() -> SessionState:
    """The process-wide session state (reset() restores a fresh process)."""
    return _session_state


def caller_directory() -> str | None:
    """Directory of the first calling module outside seamless_config; None if it has no file."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    frame = inspect.currentframe()
    try:
        while frame is not None:
            filename = frame.f_globals.get("__file__")
            if filename is None:
                if frame.f_globals.get("__name__", "").startswith("seamless_config"):
                    frame = frame.f_back
                    continue
                return None
            directory = os.path.dirname(os.path.abspath(filename))
            if directory != package_dir and not directory.startswith(package_dir + os.sep):
                return directory
            frame = frame.f_back
        return None
    finally:
        del frame

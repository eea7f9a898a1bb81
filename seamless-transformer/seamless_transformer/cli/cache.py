"""The persistent cache the CLIs need: find a configuration, activate it, check what it offers.

A configuration is ``SEAMLESS_CACHE=DIR``, ``SEAMLESS_REMOTE_CLIENTS`` (inherited from a
cluster), or ``seamless.yaml`` / ``seamless.profile.yaml`` in the current directory.
``seamless-run`` needs a writable database; ``seamless-upload`` a writable hashserver;
``seamless-download`` a hashserver or buffer folder to read from.
"""

from __future__ import annotations

import os
from typing import Literal

from ..errors import SeamlessTransformerError

Requirement = Literal["database", "buffer_write", "buffer_read"]

_MISSING = (
    "a persistent cache is required: set SEAMLESS_CACHE=DIR, or run in a directory "
    "with seamless.yaml / seamless.profile.yaml"
)
_LACKING = {
    "database": "the configuration selects no persistent cache (no writable database)",
    "buffer_write": "the configuration selects no writable hashserver",
    "buffer_read": "the configuration selects no hashserver or buffer folder to read from",
}
_FIX = "set SEAMLESS_CACHE=DIR or select a cluster with a hashserver and a database"


class NoPersistentCacheError(SeamlessTransformerError, RuntimeError):
    """No configuration, or one without the servers a CLI needs (``requirement``)."""

    def __init__(self, *, requirement: Requirement | None, hint: str = "") -> None:
        self.requirement = requirement
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.requirement is None:
            message = _MISSING
        else:
            message = f"{_LACKING[self.requirement]}; {_FIX}"
        return f"{message} ({self.hint})" if self.hint else message


def has_configuration() -> bool:
    """A persistent cache is configured (environment or configuration files in the cwd)."""
    if os.environ.get("SEAMLESS_CACHE", "").strip() or os.environ.get("SEAMLESS_REMOTE_CLIENTS"):
        return True
    return any(os.path.exists(f) for f in ("seamless.yaml", "seamless.profile.yaml"))


def _satisfied(requirement: Requirement) -> bool:
    from ..persistence import has_buffer_write, is_persistent

    if requirement == "database":
        return is_persistent()
    if requirement == "buffer_write":
        return has_buffer_write()
    try:
        from seamless_remote import buffer_remote
    except ImportError:
        return False
    return bool(buffer_remote.has_read_server())


def check_configured(*, hint: str = "") -> None:
    """Raise NoPersistentCacheError when no persistent cache is configured (nothing activated)."""
    if not has_configuration():
        raise NoPersistentCacheError(requirement=None, hint=hint)


def activate_persistent_cache(*, require: Requirement = "database") -> None:
    """Activate the configured cache; raise NoPersistentCacheError if it lacks ``require``."""
    check_configured()
    import seamless_config
    from seamless_config.extern_clients import set_remote_clients_from_env

    if not set_remote_clients_from_env():
        seamless_config.init(workdir=os.getcwd())
    if not _satisfied(require):
        raise NoPersistentCacheError(requirement=require)

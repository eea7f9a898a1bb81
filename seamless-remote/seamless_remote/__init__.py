"""HTTP clients for the Seamless hashserver and database, read folders and launched services.

Submodules (Seamless 1.x names): `buffer_remote`, `database_remote`, `jobserver_remote`,
`daskserver_remote`, `client`. They are imported on first attribute access, so that
`import seamless_remote` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "buffer_remote",
    "client",
    "close_all_clients",
    "daskserver_remote",
    "database_remote",
    "define_extern_client",
    "errors",
    "jobserver_remote",
]

_SUBMODULES = {
    "buffer_remote",
    "client",
    "daskserver_remote",
    "database_remote",
    "errors",
    "jobserver_remote",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("define_extern_client", "close_all_clients"):
        return getattr(importlib.import_module(f"{__name__}.client"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

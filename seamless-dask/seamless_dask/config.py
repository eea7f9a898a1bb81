"""The seamless-dask tunables: one dask.config namespace, declared in seamless-dask.yaml.

Values are read at the point of use with :func:`get_setting` (never cached at import time), so
``dask.config.set({"seamless-dask.future-cache.ttl": "1s"})`` takes effect at once.
"""

from __future__ import annotations

import pathlib
from typing import Any

import dask.config
import yaml

NAMESPACE = "seamless-dask"
DEFAULTS_PATH = pathlib.Path(__file__).with_name("seamless-dask.yaml")
SCHEMA_PATH = pathlib.Path(__file__).with_name("seamless-dask-schema.yaml")


def load_defaults() -> dict[str, Any]:
    """The defaults file as a mapping (top key: the namespace)."""
    with DEFAULTS_PATH.open() as f:
        return yaml.safe_load(f)


def load_schema() -> dict[str, Any]:
    """The schema file as a mapping (top key: the namespace)."""
    with SCHEMA_PATH.open() as f:
        return yaml.safe_load(f)


def register_defaults() -> None:
    """Merge our defaults into dask.config (idempotent; user settings keep priority)."""
    dask.config.update_defaults(load_defaults())


def get_setting(key: str) -> Any:
    """Value of ``seamless-dask.<key>``."""
    register_defaults_once()
    return dask.config.get(f"{NAMESPACE}.{key}")


def get_seconds(key: str) -> float:
    """A duration setting in seconds (``"10s"``, ``"50ms"`` or a number)."""
    value = get_setting(key)
    return float(dask.utils.parse_timedelta(value, default="seconds"))


def register_defaults_once() -> None:
    """Register the defaults unless dask.config already has the namespace's defaults."""
    if not any(NAMESPACE in d for d in dask.config.defaults):
        register_defaults()


__all__ = [
    "NAMESPACE",
    "get_seconds",
    "get_setting",
    "load_defaults",
    "load_schema",
    "register_defaults",
    "register_defaults_once",
]

"""``SEAMLESS_CACHE=DIR``: a synthetic local cluster with a hashserver and a database under DIR.

Both services bind 127.0.0.1. Their launch keys carry a short digest of DIR, so switching
SEAMLESS_CACHE to another directory never reuses the servers of the first one.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from .errors import ConfigurationError
from .names import launcher_directory

SEAMLESS_CACHE_CLUSTER = "__SEAMLESS_CACHE__"


def get_seamless_cache() -> str | None:
    """The normalised SEAMLESS_CACHE directory (``~`` expanded, absolute), or None.

    A directory that remote-http-launcher would refuse as the services' workdir (a space,
    ``$``, ``;``, quotes, ...) is refused here, with a ConfigurationError naming the variable.
    """
    value = os.environ.get("SEAMLESS_CACHE", "")
    if not value.strip():
        return None
    directory = os.path.abspath(os.path.expanduser(value.strip()))
    try:
        launcher_directory(directory, what="SEAMLESS_CACHE")
    except ConfigurationError as exc:
        raise ConfigurationError(
            exc.message, key=f"SEAMLESS_CACHE={value!r}", hint=exc.hint
        ) from None
    return directory


def cache_cluster_definition(directory: str) -> dict[str, Any]:
    """Cluster definition of the synthetic ``__SEAMLESS_CACHE__`` cluster for ``directory``."""
    return {
        SEAMLESS_CACHE_CLUSTER: {
            "type": "local",
            "frontends": [
                {
                    "hostname": "localhost",
                    "hashserver": {"bufferdir": directory, "network_interface": "127.0.0.1"},
                    "database": {"database_dir": directory, "network_interface": "127.0.0.1"},
                }
            ],
        },
        "local_cluster": SEAMLESS_CACHE_CLUSTER,
    }


def cache_key_label(directory: str) -> str:
    """The cluster part of a SEAMLESS_CACHE launch key: the cluster name plus a digest of DIR."""
    normalised = os.path.normpath(os.path.abspath(os.path.expanduser(directory)))
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:12]
    return f"{SEAMLESS_CACHE_CLUSTER}-{digest}"

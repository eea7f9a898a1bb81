"""Fixtures for seamless_remote tests.

The real hashserver / seamless-database fixtures come from the generated `_servers.py`
(canonical copy: common/testing/servers.py). This file only adds the isolation fixture.
"""

from __future__ import annotations

import os

import pytest
from _servers import database, hashserver, remote_clients  # noqa: F401


@pytest.fixture(autouse=True)
def _clean_remote_state(monkeypatch):
    """Clear SEAMLESS_* variables and reset the registries around every test."""
    for name in list(os.environ):
        if name.startswith("SEAMLESS_"):
            monkeypatch.delenv(name)
    from seamless_config.launching import get_launch_registry
    from seamless_remote.registry import get_remote_registry
    from seamless_remote.session import get_session_registry

    get_remote_registry().reset()
    get_launch_registry().reset()
    yield
    get_remote_registry().reset()
    get_launch_registry().reset()
    get_session_registry().reset()

"""Fixtures for seamless_transformer: persistent mode on the session's real servers.

The real-server fixtures and the reset of every registry (around each test) come from the
installed harness (the seamless-testing pytest plugin, common/testing).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def persistent(remote_clients_session: dict[str, Any]) -> dict[str, Any]:
    """This process uses the session's real hashserver and database (persistent mode)."""
    import seamless_config

    seamless_config.set_remote_clients(remote_clients_session)
    return remote_clients_session


def pytest_sessionfinish(session, exitstatus):  # pytest hook signature
    """Close Seamless once, at the end (it is terminal for the process)."""
    import seamless

    seamless.close()

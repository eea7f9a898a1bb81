"""Test isolation for seamless_transformer: clean SEAMLESS_* variables, fresh registries.

The real hashserver / seamless-database fixtures come from the generated ``_servers.py``
(canonical copy: common/testing/servers.py).
"""

from __future__ import annotations

import os

import pytest
from _servers import (  # noqa: F401
    database,
    database_session,
    hashserver,
    hashserver_session,
    remote_clients,
    remote_clients_session,
)


def _reset_all() -> None:
    import seamless_config
    from seamless_remote.registry import get_remote_registry
    from seamless_remote.session import get_session_registry
    from seamless_transformer.executors import get_executor_registry
    from seamless_transformer.tasks.records import get_plan_record_registry
    from seamless_transformer.transformation_cache import get_transformation_cache

    get_transformation_cache().reset()
    get_plan_record_registry().reset()
    get_executor_registry().reset()
    seamless_config.reset()
    get_remote_registry().reset()
    get_session_registry().reset()


@pytest.fixture(autouse=True)
def _clean_transformer_state(monkeypatch: pytest.MonkeyPatch):
    for name in list(os.environ):
        if name.startswith("SEAMLESS_"):
            monkeypatch.delenv(name)
    _reset_all()
    yield
    _reset_all()


@pytest.fixture
def persistent(remote_clients_session):  # noqa: F811 - the fixture from _servers
    """This process uses the session's real hashserver and database (persistent mode)."""
    import seamless_config

    seamless_config.set_remote_clients(remote_clients_session)
    return remote_clients_session


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook signature
    """Close Seamless once, at the end (it is terminal for the process)."""
    import seamless

    seamless.close()

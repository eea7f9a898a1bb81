"""Fixtures for seamless-jobserver tests: a real jobserver on the session's hashserver and
database (the harness fixtures of the seamless-testing pytest plugin, common/testing)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from seamless_testing.servers import JobserverHandle, run_jobserver


def _reset_all() -> None:
    import seamless_config
    from seamless_remote.registry import get_remote_registry
    from seamless_remote.session import get_session_registry
    from seamless_transformer.executors import get_executor_registry
    from seamless_transformer.transformation_cache import get_transformation_cache

    get_transformation_cache().reset()
    get_executor_registry().reset()
    seamless_config.reset()
    get_remote_registry().reset()
    get_session_registry().reset()


@pytest.fixture(autouse=True)
def _clean_client_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as a client: no SEAMLESS_* variables, fresh registries per test."""
    for name in list(os.environ):
        if name.startswith("SEAMLESS_"):
            monkeypatch.delenv(name)
    _reset_all()
    yield
    _reset_all()


@pytest.fixture(scope="module")
def jobserver_module(
    remote_clients_session: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[JobserverHandle]:
    """A jobserver with 2 workers on the session's hashserver and database."""
    log = tmp_path_factory.mktemp("jobserver") / "jobserver.log"
    with run_jobserver(remote_clients_session, workers=2, log_path=log) as handle:
        yield handle


@pytest.fixture
def side_effects(tmp_path: Path) -> Path:
    """A file that transformations append to, one line per execution."""
    path = tmp_path / "side-effects.txt"
    path.touch()
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:  # noqa: ARG001
    """Close Seamless once, at the end (it is terminal for the process)."""
    import seamless

    seamless.close()

"""Fixtures for seamless-jobserver tests: a real jobserver on the session's hashserver and
database. The server fixtures and the reset of every registry around each test come from the
installed harness (the seamless-testing pytest plugin, common/testing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from seamless_testing.servers import JobserverHandle, run_jobserver


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close Seamless once, at the end (it is terminal for the process)."""
    import seamless

    seamless.close()

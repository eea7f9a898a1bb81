"""Fixtures for seamless-jobserver tests: the real hashserver, database and jobserver
(tests/_servers.py), plus helpers that speak the jobserver's wire protocol."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _servers import (  # noqa: F401  (pytest fixtures)
    JobserverHandle,
    database,
    database_session,
    hashserver,
    hashserver_session,
    remote_clients,
    remote_clients_session,
    run_jobserver,
)


@pytest.fixture(scope="module")
def jobserver_module(
    remote_clients_session: dict[str, Any],  # noqa: F811  (the fixture imported above)
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

"""The pytest plugin of the Seamless monorepo (loaded through the ``pytest11`` entry point).

- Real-server fixtures: ``hashserver`` / ``database`` / ``remote_clients`` (one per test) and
  ``hashserver_session`` / ``database_session`` / ``remote_clients_session`` (one per session),
  built on :mod:`seamless_testing.servers`.
- One autouse fixture, ``seamless_clean_state``, around every test: it removes every
  ``SEAMLESS_*`` environment variable and resets every registry declared in
  ``seamless_config.registries`` (before and after the test).
- The harness self-check: one extra test item, ``seamless-registry-check``, that fails when a
  module of our packages holds process-wide state with no declared reset
  (:mod:`seamless_testing.registry_check`). The ini option ``seamless_registry_packages`` says
  which import packages it checks (default: the five that are installed).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .registry_check import PACKAGES, find_undeclared_state
from .servers import ServerHandle, remote_clients_dict, run_database, run_hashserver

__all__ = [
    "RegistryCheckItem",
    "database",
    "database_session",
    "hashserver",
    "hashserver_session",
    "remote_clients",
    "remote_clients_session",
    "reset_declared_registries",
    "seamless_clean_state",
]

CHECK_NAME = "seamless-registry-check"
_REGISTRIES_MODULE = "seamless_config.registries"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "seamless_registry_packages",
        type="linelist",
        default=list(PACKAGES),
        help="import packages whose module-level state the harness self-check inspects "
        "(those not installed are skipped)",
    )


def reset_declared_registries() -> list[str]:
    """Reset every registry declared so far; the names reset (none before any was imported).

    A registry is declared when its module is imported, and ``seamless_config.registries`` is
    imported first; until then no registry exists and there is nothing to reset.
    """
    registries = sys.modules.get(_REGISTRIES_MODULE)
    if registries is None:
        return []
    return registries.reset_registries()


@pytest.fixture(autouse=True)
def seamless_clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ``SEAMLESS_*`` variables and fresh registries, before and after every test."""
    for name in list(os.environ):
        if name.startswith("SEAMLESS_"):
            monkeypatch.delenv(name)
    reset_declared_registries()
    yield
    reset_declared_registries()


class RegistryCheckItem(pytest.Item):
    """The harness self-check, run as the last test of the session."""

    def __init__(self, *, packages: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.packages = packages

    def runtest(self) -> None:
        problems = find_undeclared_state(self.packages)
        if problems:
            raise RegistryCheckError(problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RegistryCheckError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return Path(__file__), 0, f"{CHECK_NAME}: {', '.join(self.packages)}"


class RegistryCheckError(AssertionError):
    """Process-wide state without a declared reset was found."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} module-level object(s) hold process-wide state that the harness "
            "cannot reset between tests:\n" + "\n".join(f"- {p}" for p in problems)
        )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Append the self-check (tryfirst, so that ``-k`` and ``-m`` can still deselect it)."""
    if importlib.util.find_spec("seamless_config") is None:
        return  # no package of ours here, so no registry either
    packages = [
        name
        for name in config.getini("seamless_registry_packages")
        if importlib.util.find_spec(name) is not None
    ]
    if packages and items:
        items.append(RegistryCheckItem.from_parent(session, name=CHECK_NAME, packages=packages))


@pytest.fixture
def hashserver(tmp_path: Path) -> Iterator[ServerHandle]:
    """A writable hashserver for one test, storing buffers under ``tmp_path``."""
    with run_hashserver(
        tmp_path / "hashserver-buffers", log_path=tmp_path / "hashserver.log"
    ) as handle:
        yield handle


@pytest.fixture
def database(tmp_path: Path) -> Iterator[ServerHandle]:
    """A writable seamless-database for one test, with its file under ``tmp_path``."""
    with run_database(tmp_path / "seamless.db", log_path=tmp_path / "database.log") as handle:
        yield handle


@pytest.fixture
def remote_clients(
    hashserver: ServerHandle, database: ServerHandle
) -> dict[str, list[dict[str, Any]]]:
    """The remote-clients dict for this test's ``hashserver`` and ``database``."""
    return remote_clients_dict(hashserver, database)


@pytest.fixture(scope="session")
def hashserver_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A writable hashserver shared by the whole test session."""
    root = tmp_path_factory.mktemp("hashserver-session")
    with run_hashserver(root / "buffers", log_path=root / "hashserver.log") as handle:
        yield handle


@pytest.fixture(scope="session")
def database_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A writable seamless-database shared by the whole test session."""
    root = tmp_path_factory.mktemp("database-session")
    with run_database(root / "seamless.db", log_path=root / "database.log") as handle:
        yield handle


@pytest.fixture(scope="session")
def remote_clients_session(
    hashserver_session: ServerHandle, database_session: ServerHandle
) -> dict[str, list[dict[str, Any]]]:
    """The remote-clients dict for the session-wide servers."""
    return remote_clients_dict(hashserver_session, database_session)

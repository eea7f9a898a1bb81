"""Fixtures for seamless-jobserver tests: the real hashserver and database (tests/_servers.py)."""

from _servers import (  # noqa: F401  (pytest fixtures)
    database,
    database_session,
    hashserver,
    hashserver_session,
    remote_clients,
    remote_clients_session,
)

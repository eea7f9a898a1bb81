"""database_remote: activation and the module-level result / record functions."""

from __future__ import annotations

import asyncio

import pytest
from seamless import Checksum
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote import database_remote
from seamless_remote.client import define_extern_client

TF = calculate_checksum(b"tf")
RESULT = calculate_checksum(b"result")


def _activate(database, *, readonly=False):
    define_extern_client("db", "database", url=database.url, readonly=readonly)
    database_remote.activate(no_main=True, extern_clients=["db"])


def test_round_trip_through_the_module(database):
    _activate(database)
    assert database_remote.has_read_server() and database_remote.has_write_server()
    assert database_remote.inspect_extern_clients() == [
        {"readonly": False, "url": database.url, "remote_url": database.url}
    ]

    async def main():
        assert await database_remote.get_transformation_result(TF) is None
        assert await database_remote.set_transformation_result(TF, RESULT) is True
        assert await database_remote.get_transformation_result(Checksum(TF)) == Checksum(RESULT)
        assert await database_remote.get_rev_transformations(RESULT) == [Checksum(TF)]
        record = database_remote.minimal_execution_record(TF, RESULT, remote_target=None)
        assert await database_remote.set_execution_record(TF, RESULT, record) is True
        assert await database_remote.get_execution_record(TF) == record
        assert await database_remote.undo_transformation_result(TF, RESULT) is True
        assert await database_remote.get_transformation_result(TF) is None
        assert len(await database_remote.get_irreproducible_records(TF)) == 1

    asyncio.run(main())


def test_read_only_database_is_not_written(database):
    _activate(database, readonly=True)
    assert database_remote.has_read_server() and not database_remote.has_write_server()
    assert asyncio.run(database_remote.set_transformation_result(TF, RESULT)) is False


def test_no_database_means_none():
    assert asyncio.run(database_remote.get_transformation_result(TF)) is None
    assert asyncio.run(database_remote.get_rev_transformations(RESULT)) is None


def test_disabled_flag(database, monkeypatch):
    monkeypatch.setattr(database_remote, "DISABLED", True)
    _activate(database)
    assert not database_remote.has_read_server()


def test_wrong_client_type(database):
    define_extern_client("hs", "hashserver", url=database.url)
    with pytest.raises(ValueError, match="expected database"):
        database_remote.activate(no_main=True, extern_clients=["hs"])


def test_minimal_record_write_is_best_effort(caplog):
    """A database that cannot be reached: the record write logs and returns False."""
    import logging

    from seamless_testing.servers import free_port

    define_extern_client(
        "dead-db", "database", url=f"http://127.0.0.1:{free_port()}", readonly=False
    )
    database_remote.activate(no_main=True, extern_clients=["dead-db"])
    with caplog.at_level(logging.WARNING, logger="seamless_remote.database_remote"):
        stored = asyncio.run(
            database_remote.write_minimal_record(TF, RESULT, remote_target="jobserver")
        )
    assert stored is False
    assert "best-effort minimal execution-record write failed" in caplog.text


def test_minimal_record_round_trip(database):
    from seamless_remote.execution_record import MINIMAL_RECORD_KEYS

    _activate(database)

    async def main():
        assert await database_remote.write_minimal_record(
            TF, RESULT, remote_target="jobserver", wall_time_seconds=1.5
        )
        return await database_remote.get_execution_record(TF)

    record = asyncio.run(main())
    assert set(record) == set(MINIMAL_RECORD_KEYS)
    assert record["remote_target"] == "jobserver" and record["wall_time_seconds"] == 1.5

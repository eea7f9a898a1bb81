"""DatabaseClient against a real seamless-database: results, reverse lookups, records."""

from __future__ import annotations

import asyncio

import pytest
from seamless import Checksum
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote.database_client import DatabaseClient
from seamless_remote.errors import ReadOnlyClientError
from seamless_remote.execution_record import MINIMAL_RECORD_KEYS, minimal_execution_record

TF1 = calculate_checksum(b"transformation 1")
TF2 = calculate_checksum(b"transformation 2")
RESULT = calculate_checksum(b"result")


def test_results_and_reverse_lookups(database):
    async def main():
        client = DatabaseClient(database.url, readonly=False)
        assert await client.get_transformation_result(TF1) is None
        assert await client.get_rev_transformations(RESULT) is None
        await client.set_transformation_result(TF1, RESULT)
        await client.set_transformation_result(TF2, RESULT)
        assert await client.get_transformation_result(TF1) == Checksum(RESULT)
        rev = await client.get_rev_transformations(RESULT)
        assert sorted(cs.hex() for cs in rev) == sorted([TF1, TF2])

    asyncio.run(main())


def test_minimal_execution_record(database):
    record = minimal_execution_record(
        TF1, RESULT, remote_target="daskserver", wall_time_seconds=0.5
    )
    assert tuple(record) == MINIMAL_RECORD_KEYS

    async def main():
        client = DatabaseClient(database.url, readonly=False)
        assert await client.get_execution_record(TF1) is None
        assert await client.set_execution_record(TF1, RESULT, record) is True
        assert await client.set_execution_record(TF1, RESULT, record) is True  # idempotent
        assert await client.get_execution_record(TF1) == record
        # the record PUT also created the transformation row
        assert await client.get_transformation_result(TF1) == Checksum(RESULT)
        other = dict(record, wall_time_seconds=9.0)
        assert await client.set_execution_record(TF1, RESULT, other) is False

    asyncio.run(main())


def test_undo_moves_result_to_irreproducible(database):
    async def main():
        client = DatabaseClient(database.url, readonly=False)
        await client.set_transformation_result(TF1, RESULT)
        assert await client.undo_transformation_result(TF1, RESULT) is True
        assert await client.get_transformation_result(TF1) is None
        rows = await client.get_irreproducible_records(TF1)
        assert [row["result"] for row in rows] == [RESULT]

    asyncio.run(main())


def test_read_only_client_refuses_writes(database):
    async def main():
        client = DatabaseClient(database.url, readonly=True)
        with pytest.raises(ReadOnlyClientError):
            await client.set_transformation_result(TF1, RESULT)
        assert await client.get_transformation_result(TF1) is None

    asyncio.run(main())


def test_requests_in_flight_are_bounded(database, monkeypatch):
    monkeypatch.setenv("SEAMLESS_DATABASE_MAX_INFLIGHT", "3")
    tfs = [calculate_checksum(str(i).encode()) for i in range(40)]

    async def main():
        client = DatabaseClient(database.url, readonly=False)
        await asyncio.gather(*(client.set_transformation_result(tf, RESULT) for tf in tfs))
        results = await asyncio.gather(*(client.get_transformation_result(tf) for tf in tfs))
        assert results == [Checksum(RESULT)] * len(tfs)
        return client.peak_in_flight

    assert asyncio.run(main()) == 3

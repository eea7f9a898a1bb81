"""A Dask execution writes the minimal execution record of Seamless 1.x (reference 1.12)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from seamless.transformer import delayed

from seamless_remote import database_remote
from seamless_remote.execution_record import MINIMAL_RECORD_KEYS


@delayed
def burn(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


@pytest.mark.timeout(120)
def test_dask_execution_writes_a_minimal_record(persistent: Any, dask_remote: Any) -> None:
    tf = burn(200_000)
    assert tf.run() == sum(i * i for i in range(200_000))
    record = asyncio.run(database_remote.get_execution_record(tf.checksum))
    assert record is not None, "no execution record in the database"
    assert set(record) == set(MINIMAL_RECORD_KEYS)
    assert record["tf_checksum"] == tf.checksum.hex()
    assert record["result_checksum"] == tf.result_checksum.hex()
    assert record["execution_mode"] == "remote" and record["remote_target"] == "daskserver"
    assert record["schema_version"] == 1
    assert record["wall_time_seconds"] > 0
    assert record["cpu_time_user_seconds"] > 0
    assert record["memory_peak_bytes"] > 1_000_000
    assert record["gpu_memory_peak_bytes"] is None

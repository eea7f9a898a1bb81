"""A result whose stored buffer is lost or corrupt is recomputed by the jobserver (DESIGN.md,
point 14).

Real hashserver, seamless-database and seamless-jobserver (its status-file parameters name the
hashserver's directory: the local fast path); every read in a NEW client process
(seamless_testing.lost_results), so that the result checksum comes from the database and the
buffer from the hashserver. The jobserver lives across the clients and remembers what it
computed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seamless_testing.lost_results import (
    corrupt,
    executions,
    run_client,
    stored_file,
    stored_file_holding,
)
from seamless_testing.servers import ServerHandle, remote_clients_dict, run_jobserver

pytestmark = pytest.mark.timeout(400)


def test_removed_then_corrupt_result_buffer_is_recomputed_on_the_jobserver(
    tmp_path: Path, hashserver: ServerHandle, database: ServerHandle
) -> None:
    clients = remote_clients_dict(hashserver, database, directory=True)
    marker = tmp_path / "executions.txt"
    with run_jobserver(clients, workers=1, log_path=tmp_path / "jobserver.log") as js:
        backend = f"jobserver={js.url}"
        first = run_client(backend, "single", marker, clients)
        assert first.value == 81 and executions(marker) == ["power"]
        result = first.upstream
        stored_file(hashserver.directory, result).unlink()

        # the jobserver still holds the buffer it computed: written again, not recomputed
        second = run_client(backend, "single", marker, clients)
        assert second.value == 81 and executions(marker) == ["power"]
        assert "cannot be read" in second.log and result in second.log
        assert stored_file(hashserver.directory, result).read_bytes() == b"81\n"

        # a plausible but wrong value (read-only, as the hashserver stores it): never returned
        corrupt(stored_file(hashserver.directory, result), b"82\n")
        third = run_client(backend, "single", marker, clients)
        assert third.value == 81 and executions(marker) == ["power"]
        assert "corrupt" in third.log and "recomputing" in third.log
        assert stored_file(hashserver.directory, result).read_bytes() == b"81\n"

        # a restarted jobserver holds nothing: it executes again, and its write repairs the file
        js.restart()
        corrupt(stored_file(hashserver.directory, result), b"82\n")
        fourth = run_client(backend, "single", marker, clients)
        assert fourth.value == 81 and executions(marker) == ["power"] * 2
        assert "corrupt" in fourth.log and "recomputing" in fourth.log
        assert stored_file(hashserver.directory, result).read_bytes() == b"81\n"

        fifth = run_client(backend, "single", marker, clients)
        assert fifth.value == 81 and executions(marker) == ["power"] * 2
        assert "recomputing" not in fifth.log


def test_lost_upstream_result_is_recomputed_on_the_jobserver(
    tmp_path: Path, hashserver: ServerHandle, database: ServerHandle
) -> None:
    """The upstream result is an input of the downstream one."""
    clients = remote_clients_dict(hashserver, database, directory=True)
    marker = tmp_path / "executions.txt"
    with run_jobserver(clients, workers=1, log_path=tmp_path / "jobserver.log") as js:
        backend = f"jobserver={js.url}"
        first = run_client(backend, "chain", marker, clients)
        assert first.value == 82 and executions(marker) == ["power", "plus_one"]
        corrupt(stored_file(hashserver.directory, first.upstream), b"80\n")
        # the downstream result is cached: nothing to do
        second = run_client(backend, "chain", marker, clients)
        assert second.value == 82 and len(executions(marker)) == 2
        # with the downstream buffer lost too (and a jobserver that holds nothing), the
        # downstream needs the upstream buffer
        stored_file_holding(hashserver.directory, b"82\n").unlink()
        js.restart()
        third = run_client(backend, "chain", marker, clients)
        assert third.value == 82
        assert executions(marker) == ["power", "plus_one"] * 2
        assert third.log.count("recomputing") == 2, third.log
        assert stored_file(hashserver.directory, first.upstream).read_bytes() == b"81\n"

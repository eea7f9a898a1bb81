"""Clear errors, timeouts from the environment, and reconnection after a server restart."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time

import pytest
from seamless import Checksum
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote.buffer_client import BufferClient
from seamless_remote.database_client import DatabaseClient
from seamless_remote.errors import ServerUnavailableError
from seamless_remote.settings import get_retry_policy, get_timeouts


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("cls", [BufferClient, DatabaseClient])
def test_server_down_at_first_use_gives_one_clear_error(cls):
    url = _closed_port_url()
    started = time.monotonic()
    with pytest.raises(ServerUnavailableError) as info:
        if cls is BufferClient:
            asyncio.run(cls(url).get("0" * 64))
        else:
            asyncio.run(cls(url).get_transformation_result("0" * 64))
    assert time.monotonic() - started < 5
    error = info.value
    assert error.url == url and url in str(error)
    assert error.kind in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_read_timeout_from_environment(hashserver, monkeypatch):
    monkeypatch.setenv("SEAMLESS_REMOTE_READ_TIMEOUT", "0.5")
    cs = calculate_checksum(b"promised but never uploaded")

    async def main():
        await BufferClient(hashserver.url, readonly=False).promise(cs)
        started = time.monotonic()
        with pytest.raises(ServerUnavailableError, match="timed out"):
            await BufferClient(hashserver.url).get(cs)
        assert time.monotonic() - started < 5

    asyncio.run(main())


def test_settings_defaults_and_overrides(monkeypatch):
    timeouts = get_timeouts()
    assert (timeouts.connect, timeouts.read, timeouts.total) == (10.0, 1200.0, None)
    monkeypatch.setenv("SEAMLESS_REMOTE_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("SEAMLESS_REMOTE_READ_TIMEOUT", "off")
    timeouts = get_timeouts()
    assert (timeouts.connect, timeouts.read) == (3.0, None)
    monkeypatch.setenv("SEAMLESS_REMOTE_CONNECT_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SEAMLESS_REMOTE_CONNECT_TIMEOUT"):
        get_timeouts()
    policy = get_retry_policy()
    assert [policy.nominal_delay(n) for n in (1, 2, 3)] == [0.1, 0.2, 0.4]
    assert policy.nominal_delay(20) == policy.max_delay


def test_retry_delays_are_jittered_within_half_to_all_of_the_backoff():
    policy = get_retry_policy()
    rng = random.Random(12)
    for attempt in (1, 2, 3, 20):
        nominal = policy.nominal_delay(attempt)
        delays = [policy.delay(attempt, rng=rng) for _ in range(200)]
        assert all(nominal / 2 <= d <= nominal for d in delays)
        # clients retrying the same attempt do not wait the same time
        assert max(delays) - min(delays) > nominal / 4
    # the default source of randomness is the random module, not a fixed sequence
    assert len({policy.delay(3) for _ in range(20)}) > 1


async def _until_retried(caplog: pytest.LogCaptureFixture, url: str, timeout: float = 30) -> None:
    """Poll (to a deadline) until a client logged a retry of a request to ``url``."""
    deadline = time.monotonic() + timeout
    while not any(
        r.name == "seamless_remote.client" and url in r.getMessage() and "retry" in r.getMessage()
        for r in caplog.records
    ):
        assert time.monotonic() < deadline, f"no retry of {url} was logged in {timeout} s"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(120)
def test_hashserver_restart_mid_run_loses_no_writes(hashserver, caplog):
    caplog.set_level(logging.INFO, logger="seamless_remote.client")
    contents = [f"buffer {i}\n".encode() for i in range(40)]
    checksums = [calculate_checksum(c) for c in contents]

    async def main():
        client = BufferClient(hashserver.url, readonly=False)
        for cs, content in zip(checksums[:20], contents[:20], strict=True):
            await client.write(cs, content)
        await asyncio.to_thread(hashserver.stop)
        writes = asyncio.gather(
            *(
                client.write(cs, content)
                for cs, content in zip(checksums[20:], contents[20:], strict=True)
            )
        )
        await _until_retried(caplog, hashserver.url)
        assert not writes.done()  # retrying while the server is down, not failing
        await asyncio.to_thread(hashserver.start)
        assert await writes == [True] * 20
        fetched = await asyncio.gather(*(client.get(cs) for cs in checksums))
        assert fetched == contents

    asyncio.run(main())


@pytest.mark.timeout(120)
def test_database_restart_mid_run_loses_no_writes(database, caplog):
    caplog.set_level(logging.INFO, logger="seamless_remote.client")
    tfs = [calculate_checksum(f"tf {i}".encode()) for i in range(30)]
    result = calculate_checksum(b"result")

    async def main():
        client = DatabaseClient(database.url, readonly=False)
        for tf in tfs[:10]:
            await client.set_transformation_result(tf, result)
        database.restart()  # blocking on purpose: the loop is idle meanwhile
        await asyncio.to_thread(database.stop)
        writes = asyncio.gather(*(client.set_transformation_result(tf, result) for tf in tfs[10:]))
        await _until_retried(caplog, database.url)
        assert not writes.done()  # retrying while the server is down, not failing
        await asyncio.to_thread(database.start)
        await writes
        answers = await asyncio.gather(*(client.get_transformation_result(tf) for tf in tfs))
        assert answers == [Checksum(result)] * len(tfs)

    asyncio.run(main())

"""One aiohttp session per event loop, released when loops end and on seamless.close()."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings

from seamless import Checksum
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote import buffer_remote
from seamless_remote.buffer_client import BufferClient
from seamless_remote.client import define_extern_client
from seamless_remote.session import get_session_registry


def test_one_session_per_loop_shared_by_clients(hashserver):
    async def sessions():
        first = await get_session_registry().get_session()
        await BufferClient(hashserver.url).has(["0" * 64])
        assert await get_session_registry().get_session() is first
        return first

    a, b = asyncio.run(sessions()), asyncio.run(sessions())
    assert a is not b
    # asyncio.run shuts its loop down, and the session goes with it
    assert a.closed and b.closed


def test_repeated_sync_resolves_leave_no_open_session(hashserver):
    content = b'"resolved many times"\n'
    cs = calculate_checksum(content)
    asyncio.run(BufferClient(hashserver.url, readonly=False).write(cs, content))
    define_extern_client("hs", "hashserver", url=hashserver.url)
    buffer_remote.activate(no_main=True, extern_clients=["hs"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for _ in range(5):
            # each call runs in a fresh event loop of seamless-core
            assert Checksum(cs).resolve("str") == "resolved many times"
    registry = get_session_registry()
    assert all(state.session.closed for state in registry._states.values())


SEAMLESS_CLOSE = """
import asyncio, seamless, sys
from seamless_remote.buffer_client import BufferClient
from seamless_remote.session import get_session_registry
loop = asyncio.new_event_loop()
loop.run_until_complete(BufferClient(sys.argv[1]).has(["0" * 64]))
(state,) = get_session_registry()._states.values()
assert not state.session.closed
seamless.close()
print(state.session.closed)
"""


def test_seamless_close_closes_sessions(hashserver):
    out = subprocess.run(
        [sys.executable, "-c", SEAMLESS_CLOSE, hashserver.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"

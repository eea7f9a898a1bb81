"""One aiohttp session per event loop, released when loops end and on seamless.close()."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import warnings

import pytest
from seamless import Checksum
from seamless.checksum.calculate_checksum import calculate_checksum
from seamless_testing.servers import run_hashserver

from seamless_remote import buffer_remote
from seamless_remote.buffer_client import BufferClient
from seamless_remote.client import define_extern_client
from seamless_remote.session import get_http_session_registry


def test_one_session_per_loop_shared_by_clients(hashserver):
    async def sessions():
        first = await get_http_session_registry().get_session()
        await BufferClient(hashserver.url).has(["0" * 64])
        assert await get_http_session_registry().get_session() is first
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
    registry = get_http_session_registry()
    assert all(state.session.closed for state in registry._states.values())


SEAMLESS_CLOSE = """
import asyncio, seamless, sys
from seamless_remote.buffer_client import BufferClient
from seamless_remote.session import get_http_session_registry
loop = asyncio.new_event_loop()
loop.run_until_complete(BufferClient(sys.argv[1]).has(["0" * 64]))
(state,) = get_http_session_registry()._states.values()
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


STOPPED_SERVER_CLOSE = """
import asyncio, json, os, sys, threading, time
import seamless
from seamless import Buffer
from seamless.caching import buffer_writer
from seamless_remote import buffer_remote
from seamless_remote.client import define_extern_client
from seamless_remote.session import get_http_session_registry

define_extern_client("hs", "hashserver", url=sys.argv[1], readonly=False)
buffer_remote.activate(no_main=True, extern_clients=["hs"])
(client,) = buffer_remote._write_server_clients
# one answered request: from now on the client retries connection errors (the trap at close)
assert asyncio.run(client.healthcheck())
print("ready", flush=True)
sys.stdin.readline()  # the test has stopped the hashserver (SIGSTOP)

# 1. seamless-core's buffer writer thread: its loop sends our request to the stopped server
small = Buffer(b"written by the buffer writer thread\\n")
small.get_checksum()
buffer_writer.register(small)
# 2. a PUT larger than the socket buffers on a loop of its own: its sending never finishes
big = os.urandom(64 * 2**20)
big_cs = Buffer(big).get_checksum().hex()
outcome = {}

def upload():
    try:
        asyncio.run(client.write(big_cs, big))
        outcome["big"] = "written"
    except BaseException as exc:
        outcome["big"] = type(exc).__name__ + ": " + str(exc)

thread = threading.Thread(target=upload)
thread.start()
wanted = ("promise/" + small.get_checksum().hex(), "/" + big_cs)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    inflight = [d for s in list(get_http_session_registry()._states.values()) for d in s.inflight.values()]
    if all(any(w in d for d in inflight) for w in wanted):
        break
    time.sleep(0.05)
print(json.dumps({"inflight": inflight}), flush=True)
started = time.monotonic()
seamless.close()
seconds = time.monotonic() - started
thread.join(30)
print(json.dumps({"close_seconds": seconds, "big": outcome.get("big"),
                  "small": small.get_checksum().hex(), "big_cs": big_cs}), flush=True)
"""


def _stop_server_for(child: subprocess.Popen, server_pid: int) -> bool:
    """Once the child is ready, stop its server (SIGSTOP) and tell the child to go on."""
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    os.kill(server_pid, signal.SIGSTOP)
    child.stdin.write("go\n")
    child.stdin.flush()
    return True


@pytest.mark.timeout(240)
def test_close_returns_when_the_hashserver_stops_answering_mid_write(tmp_path):
    """seamless.close() while the buffer writer thread and another loop wait on a hashserver
    that was stopped (SIGSTOP): both requests are dropped, close() returns in bounded time and
    names what it dropped. Without the drop, the writer thread never ends (its request is
    retried on a fresh session after close_all, then waits up to the 1200 s read timeout)."""
    with run_hashserver(tmp_path / "buffers") as server:
        assert server.process is not None
        child = subprocess.Popen(
            [sys.executable, "-c", STOPPED_SERVER_CLOSE, server.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stopped = False
        try:
            stopped = _stop_server_for(child, server.process.pid)
            try:
                out, err = child.communicate(timeout=150)
            except subprocess.TimeoutExpired:
                child.kill()
                out, err = child.communicate()
                pytest.fail(f"seamless.close() did not return\nstdout:\n{out}\nstderr:\n{err}")
        finally:
            if child.poll() is None:
                child.kill()
            if stopped:
                os.kill(server.process.pid, signal.SIGCONT)
    assert child.returncode == 0, err
    lines = out.strip().splitlines()
    inflight = json.loads(lines[0])["inflight"]
    report = json.loads(lines[-1])
    small, big_cs = report["small"], report["big_cs"]
    # both requests were in flight when close() started ...
    assert any(f"promise/{small}" in d for d in inflight), inflight
    assert any(d.endswith(f"/{big_cs}") for d in inflight), inflight
    # ... close() returned in bounded time (seamless-core's sync flush waits about 3 + 6 s)
    assert report["close_seconds"] < 60, report
    # ... the big upload failed with the shutdown error, not a timeout
    assert report["big"].startswith("ClientClosedError"), report
    # ... and what was dropped is named: our requests, and seamless-core's unwritten buffer
    assert "dropping 2 request(s) still in flight" in err, err
    assert f"promise/{small}" in err and big_cs in err, err
    assert f"unwritten buffers: {small}" in err, err


RESUMED_SERVER_CLOSE = """
import asyncio, json, sys, time
import seamless
from seamless import Buffer
from seamless.caching import buffer_writer
from seamless_remote import buffer_remote
from seamless_remote.client import define_extern_client
from seamless_remote.session import get_http_session_registry

define_extern_client("hs", "hashserver", url=sys.argv[1], readonly=False)
buffer_remote.activate(no_main=True, extern_clients=["hs"])
(client,) = buffer_remote._write_server_clients
assert asyncio.run(client.healthcheck())
print("ready", flush=True)
sys.stdin.readline()  # the test has stopped the hashserver (SIGSTOP)
small = Buffer(b"written while close() waits\\n")
cs = small.get_checksum().hex()
buffer_writer.register(small)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    inflight = [d for s in list(get_http_session_registry()._states.values())
                for d in s.inflight.values()]
    if any(cs in d for d in inflight):
        break
    time.sleep(0.05)
print(json.dumps({"inflight": inflight, "cs": cs}), flush=True)
sys.stdin.readline()  # the test resumes the hashserver (SIGCONT) as soon as close() starts
print("closing", flush=True)
seamless.close()
print("closed", flush=True)
"""


@pytest.mark.timeout(240)
def test_close_lets_a_request_in_flight_finish_when_the_server_answers(tmp_path):
    """A request in flight when seamless.close() starts is not dropped if its server answers
    within the grace period: nothing is reported dropped and the buffer is on the server."""
    with run_hashserver(tmp_path / "buffers") as server:
        assert server.process is not None
        child = subprocess.Popen(
            [sys.executable, "-c", RESUMED_SERVER_CLOSE, server.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stopped = False
        try:
            stopped = _stop_server_for(child, server.process.pid)
            assert child.stdout is not None and child.stdin is not None
            first = json.loads(child.stdout.readline())
            cs = first["cs"]
            assert any(cs in d for d in first["inflight"]), first
            child.stdin.write("close\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "closing"
            os.kill(server.process.pid, signal.SIGCONT)
            stopped = False
            out, err = child.communicate(timeout=150)
        finally:
            if child.poll() is None:
                child.kill()
            if stopped:
                os.kill(server.process.pid, signal.SIGCONT)
        assert child.returncode == 0, err
        assert out.strip().splitlines()[-1] == "closed"
        assert "dropping" not in err, err
        assert "unwritten buffers" not in err, err
        assert (tmp_path / "buffers" / cs).exists() or any(
            p.name == cs for p in (tmp_path / "buffers").rglob(cs)
        ), sorted(p.name for p in (tmp_path / "buffers").rglob("*"))

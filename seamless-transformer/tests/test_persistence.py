"""Persistent mode against the real hashserver and seamless-database.

Two separate processes: the second gets cache hits for work done by the first. The buffer is
written before the database entry, so a result in the database always resolves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request

import pytest
from seamless import Checksum
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_transformer import delayed, direct
from seamless_transformer.execute import run_transformation_dict
from seamless_transformer.transformation_cache import get_transformation_cache

CLIENT_SCRIPT = textwrap.dedent(
    """
    import faulthandler, json, os, sys
    import seamless, seamless_config
    seamless_config.set_remote_clients(json.loads(os.environ["TEST_REMOTE_CLIENTS"]))
    from seamless.transformer import direct
    from seamless_transformer.transformation_cache import get_transformation_cache

    @direct
    def power(base, exponent):
        return base ** exponent

    value = power(3, 4)
    print(json.dumps({"value": value, "stats": get_transformation_cache().stats}), flush=True)
    # a hang in close() shows where it waits (stderr) instead of only the test's timeout
    faulthandler.dump_traceback_later(60, exit=True)
    seamless.close()
    """
)


def _db_get(url: str, checksum: str) -> str | None:
    body = json.dumps({"type": "transformation", "checksum": checksum}).encode()
    request = urllib.request.Request(url, data=body, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def _buffer_get(url: str, checksum: str) -> bytes | None:
    try:
        with urllib.request.urlopen(f"{url}/{checksum}", timeout=10) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def _run_client(tmp_path, remote_clients) -> dict:
    script = tmp_path / "client.py"
    script.write_text(CLIENT_SCRIPT)
    env = {"TEST_REMOTE_CLIENTS": json.dumps(remote_clients), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(180)
def test_second_process_gets_cache_hit(tmp_path, remote_clients):
    first = _run_client(tmp_path, remote_clients)
    assert first["value"] == 81
    assert first["stats"]["executed"] == 1
    second = _run_client(tmp_path, remote_clients)
    assert second["value"] == 81
    assert second["stats"]["executed"] == 0
    assert second["stats"]["database_hits"] == 1


def test_buffer_then_database_entry(persistent):
    db_url = persistent["database"][0]["url"]
    buffer_url = persistent["buffer"][0]["url"]

    @delayed
    def concat(a, b):
        return a + "-" + b

    tf = concat("x", "y")
    assert tf.run() == "x-y"
    stored = _db_get(db_url, tf.checksum.hex())
    assert stored == tf.result_checksum.hex()
    assert _buffer_get(buffer_url, stored) == b'"x-y"\n'


def test_database_hit_in_fresh_cache(persistent):
    @direct
    def triple(x):
        return 3 * x

    assert triple(14) == 42
    cache = get_transformation_cache()
    cache.reset()
    from seamless.caching.buffer_cache import get_buffer_cache

    get_buffer_cache().weak_cache.clear()
    assert triple(14) == 42
    assert cache.stats["database_hits"] == 1
    assert cache.stats["executed"] == 0


def test_scratch_result_is_not_uploaded(persistent):
    db_url = persistent["database"][0]["url"]
    buffer_url = persistent["buffer"][0]["url"]

    @delayed
    def big(n):
        return "s" * n

    big.scratch = True
    tf = big(1234)
    assert len(tf.run()) == 1234
    assert _db_get(db_url, tf.checksum.hex()) == tf.result_checksum.hex()
    assert _buffer_get(buffer_url, tf.result_checksum.hex()) is None


def test_is_cached(persistent):
    @delayed
    def inc(x):
        return x + 1

    tf = inc(1)
    assert tf.is_cached() is False
    tf.compute()
    assert inc(1).is_cached() is True


def test_run_transformation_dict_worker_entry_point(persistent):
    db_url = persistent["database"][0]["url"]
    buffer_url = persistent["buffer"][0]["url"]

    @delayed
    def square(x):
        return x * x

    tf = square(12)
    tf_checksum = tf.construct()
    tf_dict = tf.build_dict()
    # a worker only gets the dict: the input buffers come from the hashserver
    import asyncio

    asyncio.run(tf.write_buffers())
    get_transformation_cache().reset()
    result = run_transformation_dict(tf_dict, tf_checksum=tf_checksum)
    assert isinstance(result, Checksum)
    assert _db_get(db_url, tf_checksum.hex()) == result.hex()
    assert _buffer_get(buffer_url, result.hex()) == b"144\n"


DROPPED_AT_CLOSE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    import seamless, seamless_config
    seamless_config.set_remote_clients(json.loads(os.environ["TEST_REMOTE_CLIENTS"]))
    from seamless.caching import buffer_writer
    from seamless.transformer import delayed
    from seamless_remote.session import get_http_session_registry

    @delayed
    def gated_square(x, gate):
        import os, time
        while not os.path.exists(gate):
            time.sleep(0.05)
        return x * x

    tf = gated_square(12345, sys.argv[1])
    tf_checksum = tf.construct().hex()
    tf.start()
    deadline = time.monotonic() + 60  # inputs and the dict go out through the buffer writer
    while buffer_writer._entries and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps({"tf": tf_checksum, "queued": len(buffer_writer._entries)}), flush=True)
    sys.stdin.readline()  # the hashserver is stopped now, and the gate is open

    def inflight():
        states = list(get_http_session_registry()._states.values())
        return [d for s in states for d in s.inflight.values()]

    while not any(d.startswith("PUT ") for d in inflight()) and time.monotonic() < deadline + 60:
        time.sleep(0.05)
    print(json.dumps({"inflight": inflight()}), flush=True)
    seamless.close()
    print(json.dumps({"status": tf.status, "exception": tf.exception}), flush=True)
    """
)


@pytest.mark.timeout(300)
def test_a_result_write_dropped_at_close_leaves_no_database_entry(
    tmp_path, hashserver, database, remote_clients
):
    """seamless.close() while the result buffer's PUT waits on a stopped hashserver: the write
    is dropped, so the database entry (written only after the buffer) is never written."""
    gate = tmp_path / "gate"
    script = tmp_path / "client.py"
    script.write_text(DROPPED_AT_CLOSE_SCRIPT)
    env = {
        "TEST_REMOTE_CLIENTS": json.dumps(remote_clients),
        "PATH": "/usr/bin:/bin",
        "SEAMLESS_BUFFER_FAST_PATH": "off",
    }
    child = subprocess.Popen(
        [sys.executable, str(script), str(gate)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid = hashserver.process.pid
    stopped = False
    try:
        assert child.stdout is not None and child.stdin is not None
        first = json.loads(child.stdout.readline())
        assert first["queued"] == 0, first  # only the result buffer is still to be written
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        gate.touch()
        child.stdin.write("go\n")
        child.stdin.flush()
        try:
            out, err = child.communicate(timeout=200)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            pytest.fail(f"seamless.close() did not return\nstdout:\n{out}\nstderr:\n{err}")
    finally:
        if child.poll() is None:
            child.kill()
        if stopped:
            os.kill(pid, signal.SIGCONT)
    assert child.returncode == 0, err
    inflight, last = (json.loads(line) for line in out.strip().splitlines()[-2:])
    puts = [d for d in inflight["inflight"] if d.startswith("PUT ")]
    assert puts, inflight  # the result buffer's PUT was in flight when close() started
    assert "dropping" in err and puts[0] in err, err
    # the transformation failed (its result could not be stored) ...
    assert last["status"] != "Status: OK", last
    # ... and the database has no entry for it, now that the hashserver answers again
    assert _db_get(database.url, first["tf"]) is None


def _db_get_record(url: str, checksum: str) -> dict | None:
    body = json.dumps({"type": "metadata", "checksum": checksum}).encode()
    request = urllib.request.Request(url, data=body, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def test_result_with_record_is_one_request_and_falls_back_to_the_entry(persistent):
    """store_result_with_record: the record carries the transformation entry; when the
    database refuses the record (another one is stored), the entry is written on its own."""
    import asyncio

    from seamless import Buffer

    from seamless_transformer import persistence

    db_url = persistent["database"][0]["url"]
    buffer_url = persistent["buffer"][0]["url"]
    result_buffer = Buffer(b"7\n")
    result = result_buffer.get_checksum()
    fresh = Checksum(calculate_checksum(b"a fresh transformation\n"))
    asyncio.run(
        persistence.store_result_with_record(
            fresh, result, result_buffer, scratch=False, remote_target="test", runtime=None
        )
    )
    assert _buffer_get(buffer_url, result.hex()) == b"7\n"
    assert _db_get(db_url, fresh.hex()) == result.hex()
    record = _db_get_record(db_url, fresh.hex())
    assert record is not None and record["result_checksum"] == result.hex()

    # a record that names another result is refused (409): the entry is still written
    other = Checksum(calculate_checksum(b"another transformation\n"))
    other_result = Buffer(b"8\n")
    asyncio.run(
        persistence.store_result_with_record(
            other,
            other_result.get_checksum(),
            other_result,
            scratch=False,
            remote_target="test",
            runtime=None,
        )
    )
    refused = Buffer(b"9\n")
    asyncio.run(
        persistence.store_result_with_record(
            other, refused.get_checksum(), refused, scratch=False, remote_target="t", runtime=None
        )
    )
    assert _db_get(db_url, other.hex()) == refused.get_checksum().hex()

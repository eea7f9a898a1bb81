"""SEAMLESS_CACHE end to end through remote-http-launcher (HOME points at a temp dir).

Every step runs in its own Python process, as a user would: one process writes, others read
through the same launched hashserver and database, or through the remote-clients dict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from seamless_testing.servers import stop_launched_services

BIN = Path(sys.executable).parent

WRITE = """
import asyncio, json, seamless, seamless_config
seamless_config.init()
from seamless import Buffer
from seamless_remote import buffer_remote, database_remote
async def main():
    buffer = Buffer(b"written by process A\\n")
    tf = Buffer(b"a transformation\\n").get_checksum()
    assert await buffer.write() is True
    assert await database_remote.set_transformation_result(tf, buffer.get_checksum())
    return buffer.get_checksum().hex(), tf.hex()
cs, tf = asyncio.run(main())
print(json.dumps({
    "checksum": cs, "tf": tf,
    "folders": [str(c.directory) for c in buffer_remote._read_folders_clients],
    "remote_clients": seamless_config.collect_remote_clients("__SEAMLESS_CACHE__"),
}))
seamless.close()
"""

READ = """
import asyncio, json, sys, seamless, seamless_config
seamless_config.init()
from seamless import Checksum
from seamless_remote import database_remote
cs, tf = sys.argv[1], sys.argv[2]
content = Checksum(cs).resolve().content.decode()
result = asyncio.run(database_remote.get_transformation_result(tf))
rev = asyncio.run(database_remote.get_rev_transformations(cs))
print(json.dumps({"content": content, "result": result.hex(), "rev": [c.hex() for c in rev]}))
seamless.close()
"""

READ_WITH_REMOTE_CLIENTS = """
import json, sys, seamless
from seamless_config.extern_clients import set_remote_clients_from_env
assert set_remote_clients_from_env()
from seamless import Checksum
from seamless_remote import buffer_remote
print(json.dumps({
    "content": Checksum(sys.argv[1]).resolve().content.decode(),
    "write_servers": [c.url for c in buffer_remote._write_server_clients],
}))
seamless.close()
"""

RELAUNCH = """
import asyncio, json, os, signal, sys, time, seamless, seamless_config
seamless_config.init()
from seamless_remote import buffer_remote
from seamless_remote.buffer_client import BufferClient
cs = sys.argv[1]
(client,) = buffer_remote._read_server_clients
old_url = client.url
state = os.path.join(os.environ["HOME"], ".remote-http-launcher", "server")
(name,) = [n for n in os.listdir(state) if n.startswith("hashserver") and n.endswith(".json")]
with open(os.path.join(state, name)) as f:
    pid = json.load(f)["pid"]
os.kill(pid, signal.SIGTERM)
for _ in range(100):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(0.1)
content = asyncio.run(client.get(cs))
print(json.dumps({"content": content.decode(), "old_url": old_url, "new_url": client.url}))
seamless.close()
"""


@pytest.fixture
def cache_env(tmp_path):
    """Environment of a user with SEAMLESS_CACHE and a private HOME; stops what was launched."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env.update(
        HOME=str(home),
        SEAMLESS_CACHE=str(tmp_path / "cache"),
        PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    yield env, work
    stop_launched_services(home)


def _run(script: str, env: dict[str, str], cwd: Path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(300)
def test_seamless_cache_end_to_end(cache_env, tmp_path):
    env, work = cache_env
    written = _run(WRITE, env, work)
    cs, tf = written["checksum"], written["tf"]
    cache = tmp_path / "cache"
    # the hashserver of the cache directory stored it, and it doubles as a read folder
    assert list(cache.rglob(cs)), "buffer not stored under SEAMLESS_CACHE"
    assert written["folders"] and Path(written["folders"][0]).is_relative_to(cache)

    read = _run(READ, env, work, cs, tf)
    assert read == {"content": "written by process A\n", "result": cs, "rev": [tf]}

    # a worker that only gets the remote-clients dict reaches the same servers
    remote_clients = written["remote_clients"]
    assert remote_clients["buffer"] and remote_clients["database"]
    worker_env = {k: v for k, v in env.items() if k != "SEAMLESS_CACHE"}
    worker_env["SEAMLESS_REMOTE_CLIENTS"] = json.dumps(remote_clients)
    worker = _run(READ_WITH_REMOTE_CLIENTS, worker_env, work, cs)
    assert worker["content"] == "written by process A\n"
    assert worker["write_servers"]

    # seamless-resolve, configured by SEAMLESS_CACHE alone
    out = tmp_path / "out.bin"
    proc = subprocess.run(
        [str(BIN / "seamless-resolve"), cs, "--output", str(out)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == b"written by process A\n"


@pytest.mark.timeout(300)
def test_a_launched_service_that_died_is_relaunched(cache_env):
    env, work = cache_env
    cs = _run(WRITE, env, work)["checksum"]
    result = _run(RELAUNCH, env, work, cs)
    assert result["content"] == "written by process A\n"
    assert result["new_url"].startswith("http://127.0.0.1:")

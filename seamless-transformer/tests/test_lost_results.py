"""A result whose stored buffer is lost or corrupt is recomputed, never a permanent failure.

Real hashserver and seamless-database; every read happens in a new client process, so the
result comes from the database and its buffer from the hashserver, not from memory.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CLIENT_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import seamless, seamless_config
    seamless_config.set_remote_clients(json.loads(os.environ["TEST_REMOTE_CLIENTS"]))
    from seamless.transformer import delayed
    from seamless_transformer.transformation_cache import get_transformation_cache

    @delayed
    def power(base, exponent):
        return base ** exponent

    @delayed
    def plus_one(x):
        return x + 1

    upstream = power(3, 4)
    tf = plus_one(upstream) if sys.argv[1] == "chain" else upstream
    value = tf.run()
    print(json.dumps({
        "value": value,
        "result": upstream.result_checksum.hex(),
        "stats": get_transformation_cache().stats,
    }))
    seamless.close()
    """
)


def _run_client(tmp_path: Path, remote_clients: dict, mode: str = "single") -> tuple[dict, str]:
    script = tmp_path / "client.py"
    script.write_text(CLIENT_SCRIPT)
    env = {"TEST_REMOTE_CLIENTS": json.dumps(remote_clients), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, str(script), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def _stored_file(directory: Path, checksum: str) -> Path:
    found = [p for p in directory.rglob(checksum) if p.is_file()]
    assert len(found) == 1, f"expected one stored file for {checksum} in {directory}: {found}"
    return found[0]


def _overwrite(path: Path, content: bytes) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # the hashserver stores buffers read-only
    path.write_bytes(content)


@pytest.mark.timeout(300)
def test_removed_then_corrupt_result_buffer_is_recomputed(tmp_path, hashserver, remote_clients):
    first, _ = _run_client(tmp_path, remote_clients)
    assert first["value"] == 81 and first["stats"]["executed"] == 1
    stored = _stored_file(hashserver.directory, first["result"])
    assert stored.read_bytes() == b"81\n"

    stored.unlink()
    second, log = _run_client(tmp_path, remote_clients)
    assert second["value"] == 81
    assert second["stats"]["database_hits"] == 1 and second["stats"]["executed"] == 1
    assert "cannot be read" in log and "recomputing" in log and first["result"] in log
    assert _stored_file(hashserver.directory, first["result"]).read_bytes() == b"81\n"

    # A plausible but wrong value: it must never be returned.
    _overwrite(_stored_file(hashserver.directory, first["result"]), b"82\n")
    third, log = _run_client(tmp_path, remote_clients)
    assert third["value"] == 81
    assert third["stats"]["executed"] == 1
    assert "corrupt" in log and "recomputing" in log


@pytest.mark.timeout(300)
def test_lost_upstream_result_is_recomputed(tmp_path, hashserver, remote_clients):
    """The upstream result is an input of the downstream one: its lost buffer is recomputed."""
    first, _ = _run_client(tmp_path, remote_clients, "chain")
    assert first["value"] == 82 and first["stats"]["executed"] == 2
    _stored_file(hashserver.directory, first["result"]).unlink()
    # the downstream result is cached: nothing to do
    second, log = _run_client(tmp_path, remote_clients, "chain")
    assert second["value"] == 82 and second["stats"]["executed"] == 0
    # with the downstream result lost too, the downstream needs the upstream buffer
    downstream = [
        p for p in hashserver.directory.rglob("*") if p.is_file() and p.read_bytes() == b"82\n"
    ]
    assert len(downstream) == 1
    downstream[0].unlink()
    third, log = _run_client(tmp_path, remote_clients, "chain")
    assert third["value"] == 82
    assert third["stats"]["executed"] == 2
    assert log.count("recomputing") == 2
    assert _stored_file(hashserver.directory, first["result"]).read_bytes() == b"81\n"

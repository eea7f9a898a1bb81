"""seamless-resolve: --help, checksum parsing, clear failures, fetching via SEAMLESS_REMOTE_CLIENTS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote.buffer_client import BufferClient
from seamless_remote.cli.resolve import parse_checksum

RESOLVE = str(Path(sys.executable).parent / "seamless-resolve")


def _run(args, *, env=None, cwd=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    return subprocess.run(
        [RESOLVE, *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help():
    out = _run(["--help"])
    assert out.returncode == 0 and "--output" in out.stdout


def test_parse_checksum(tmp_path):
    cs = "ab" * 32
    assert parse_checksum(cs.upper()) == cs
    (tmp_path / "x.CHECKSUM").write_text(f"# a comment\n\n{cs}\n")
    assert parse_checksum(str(tmp_path / "x")) == cs
    with pytest.raises(ValueError, match="neither"):
        parse_checksum("nope")


def test_bad_checksum_and_no_cluster_are_clear(tmp_path):
    assert _run(["nope"]).returncode == 2
    out = _run(["ab" * 32], env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert out.returncode == 1
    assert "without a cluster" in out.stderr and "Traceback" not in out.stderr


def test_fetch_through_remote_clients(hashserver, tmp_path):
    content = b"fetched by the CLI\n"
    cs = calculate_checksum(content)
    asyncio.run(BufferClient(hashserver.url, readonly=False).write(cs, content))
    env = {
        "HOME": str(tmp_path),
        "SEAMLESS_REMOTE_CLIENTS": json.dumps(
            {"buffer": [{"readonly": True, "remote_url": hashserver.url}], "database": []}
        ),
    }
    out = _run([cs, "--output", str(tmp_path / "out")], env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "out").read_bytes() == content
    out = _run([cs], env=env, cwd=tmp_path)
    assert out.stdout == content.decode()
    missing = _run([calculate_checksum(b"absent")], env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "no configured server" in missing.stderr

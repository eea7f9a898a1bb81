"""Lost and corrupt result buffers: a client process and the helpers of the recompute tests.

The tests of "a lost or corrupt result buffer is recomputed" (DESIGN.md, point 14) read every
result in a NEW client process, so the result checksum comes from the database and its buffer
from the hashserver, never from memory. The client is this module, run as a script::

    python -m seamless_testing.lost_results BACKEND MODE MARKER

``BACKEND``: ``local``, ``dask=<scheduler address>`` or ``jobserver=<url>``; ``MODE``: ``single``
(``power(3, 4)``) or ``chain`` (``plus_one(power(3, 4))``); ``MARKER``: a file the transformation
code appends its name to at every execution (so executions are counted wherever they ran).
The remote-clients dict comes from the environment variable ``SEAMLESS_TEST_REMOTE_CLIENTS``.
It prints one JSON line: ``value``, ``upstream`` (the result checksum of ``power(3, 4)``) and
``stats`` (this process's transformation cache statistics).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "ClientRun",
    "corrupt",
    "executions",
    "run_client",
    "stored_file",
    "stored_file_holding",
]

REMOTE_CLIENTS_ENV = "SEAMLESS_TEST_REMOTE_CLIENTS"


class ClientRun:
    """What one client process printed (its JSON line) and logged (stderr)."""

    def __init__(self, answer: dict[str, Any], log: str) -> None:
        self.value: Any = answer["value"]
        self.upstream: str = answer["upstream"]
        self.stats: dict[str, int] = answer["stats"]
        self.log = log


def run_client(
    backend: str,
    mode: str,
    marker: Path,
    remote_clients: dict[str, Any],
    *,
    timeout: float = 240.0,
) -> ClientRun:
    """Run the client in a new process; fails (AssertionError) when it exits non-zero."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS")},
        REMOTE_CLIENTS_ENV: json.dumps(remote_clients),
    }
    done = subprocess.run(
        [sys.executable, "-m", "seamless_testing.lost_results", backend, mode, str(marker)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"client ({backend}, {mode}) failed:\n{done.stderr[-4000:]}"
    return ClientRun(json.loads(done.stdout.strip().splitlines()[-1]), done.stderr)


def executions(marker: Path) -> list[str]:
    """The names of the transformations executed so far (one line per execution)."""
    return marker.read_text().split() if marker.exists() else []


def stored_file(directory: Path, checksum: str) -> Path:
    """The one file in the hashserver's ``directory`` that stores ``checksum``."""
    found = [p for p in Path(directory).rglob(checksum) if p.is_file()]
    assert len(found) == 1, f"expected one stored file for {checksum} in {directory}: {found}"
    return found[0]


def stored_file_holding(directory: Path, content: bytes) -> Path:
    """The one file in the hashserver's ``directory`` whose content is ``content``."""
    found = [p for p in Path(directory).rglob("*") if p.is_file() and p.read_bytes() == content]
    assert len(found) == 1, f"expected one stored file holding {content!r} in {directory}: {found}"
    return found[0]


def corrupt(path: Path, content: bytes) -> None:
    """Overwrite a stored buffer (the hashserver stores them read-only) with ``content``,
    keeping it read-only as the hashserver would."""
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(content)
    os.chmod(path, 0o444)


# ---------------------------------------------------------------------------- the client


def power(base: int, exponent: int, marker: str) -> int:
    with open(marker, "a") as stream:
        stream.write("power\n")
    return base**exponent


def plus_one(x: int, marker: str) -> int:
    with open(marker, "a") as stream:
        stream.write("plus_one\n")
    return x + 1


def _main(backend: str, mode: str, marker: str) -> None:
    import seamless

    import seamless_config
    from seamless_config import select

    seamless_config.set_remote_clients(json.loads(os.environ[REMOTE_CLIENTS_ENV]))
    from seamless.transformer import delayed

    from seamless_transformer.transformation_cache import get_transformation_cache

    dask_client = None
    if backend.startswith("dask="):
        import distributed

        from seamless_dask.client import SeamlessDaskClient
        from seamless_dask.transformer_client import set_seamless_dask_client

        select.select_execution("remote")
        select.select_remote("daskserver")
        dask_client = distributed.Client(
            backend.split("=", 1)[1], timeout="20s", set_as_default=False
        )
        set_seamless_dask_client(SeamlessDaskClient(dask_client, register_plugin=False))
    elif backend.startswith("jobserver="):
        from seamless_remote import jobserver_remote

        select.select_execution("remote")
        select.select_remote("jobserver")
        jobserver_remote.define_jobserver(backend.split("=", 1)[1])
    elif backend != "local":
        raise SystemExit(f"unknown backend {backend!r}")

    upstream = delayed(power)(3, 4, marker)
    tf = delayed(plus_one)(upstream, marker) if mode == "chain" else upstream
    value = tf.run()
    upstream_result = upstream.compute()  # found in memory or in the database by now
    answer = {
        "value": value,
        "upstream": None if upstream_result is None else upstream_result.hex(),
        "stats": dict(get_transformation_cache().stats),
    }
    print(json.dumps(answer), flush=True)
    if dask_client is not None:
        set_seamless_dask_client(None)
        dask_client.close()
    seamless.close()


if __name__ == "__main__":
    _main(*sys.argv[1:4])

"""Several clients, one scheduler, one database: identical work runs once; no deadlock."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from seamless.transformer import delayed

HERE = Path(__file__).parent


@delayed
def count_execution(marker, delay):
    import os
    import time

    with open(marker, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(delay)
    return 42


@delayed
def add(a, b):
    return a + b


@delayed
def slow_add(a, b, delay):
    import time

    time.sleep(delay)
    return a + b


def _run_clients(
    dask_remote: Any, remote_clients: dict, mode: str, marker: Path, n: int = 2
) -> list[dict]:
    start_at = time.time() + 6  # both processes start their work at the same moment
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "dask_client_script.py"),
                dask_remote.dummy_handle.address,
                json.dumps(remote_clients),
                mode,
                str(marker),
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
        assert proc.returncode == 0 and lines, out + err[-3000:]
        results.append(json.loads(lines[-1][len("RESULT ") :]))
    return results


@pytest.mark.timeout(240)
def test_two_processes_same_transformation_runs_once(
    persistent: Any, dask_remote: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "executions.txt"
    results = _run_clients(dask_remote, persistent, "same", marker)
    assert [r["value"] for r in results] == [42, 42]
    assert len(marker.read_text().splitlines()) == 1  # executed exactly once
    # and the result is in the database: a third computation is a hit
    assert count_execution(str(marker), 1.5).run() == 42
    assert len(marker.read_text().splitlines()) == 1


@pytest.mark.timeout(240)
def test_chain_of_20_from_two_clients_at_once(
    persistent: Any, dask_remote: Any, tmp_path: Path
) -> None:
    results = _run_clients(dask_remote, persistent, "chain", tmp_path / "unused")
    assert [r["value"] for r in results] == [210, 210]


@pytest.mark.timeout(180)
def test_fan_out_of_8_from_one_shared_upstream(dask_remote: Any) -> None:
    assert dask_remote.seamless_workers == 2
    upstream = slow_add(1, 1, 0.5)
    dependents = [slow_add(upstream, i, 0.2) for i in range(8)]
    for tf in dependents:
        tf.start()
    assert [tf.run() for tf in dependents] == [2 + i for i in range(8)]

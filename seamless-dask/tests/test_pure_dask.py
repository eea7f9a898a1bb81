"""Pure-Dask mode end to end: seamless_config launches seamless-dask-wrapper via remote-http-launcher."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from seamless_testing.servers import private_home_env, stop_launched_services

from seamless_dask import _status_file

HERE = Path(__file__).parent


def _write_config(home: Path, project: Path, port_start: int) -> None:
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(
        f"""
local_cluster: pdtest
pdtest:
  type: local
  workers: 1
  frontends:
    - daskserver: {{network_interface: 127.0.0.1, port_start: {port_start}, port_end: {port_start + 99}}}
  default_queue: q
  queues:
    q: {{walltime: "01:00:00", memory: 1GiB, cores: 2, unknown_task_duration: 1m,
        target_duration: 5m, maximum_jobs: 1, worker_threads: 2}}
"""
    )
    project.mkdir()
    (project / "seamless.yaml").write_text("- project: pdproj\n")
    (project / "seamless.profile.yaml").write_text(
        "- cluster: pdtest\n- execution: remote\n- persistent: false\n- remote: daskserver\n"
    )


@pytest.mark.timeout(240)
def test_pure_dask_end_to_end(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    start = _status_file.pick_free_ports(1)[0]
    start = start if start < 65000 else start - 1000
    _write_config(home, project, start)
    env = private_home_env(home)
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / "pure_dask_script.py")],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        assert lines, proc.stdout + proc.stderr
        result = json.loads(lines[-1][len("RESULT ") :])
    finally:
        keys = stop_launched_services(home)
    assert result["client"] and result["submit"] == 42 and result["delayed"] == 20
    assert result["scheduler"].startswith("tcp://127.0.0.1:")
    port = int(result["scheduler"].rsplit(":", 1)[1])
    assert start <= port <= start + 99
    assert result["nthreads"] == [2]  # worker_threads from the queue, no Seamless override
    assert result["resources"] == [{}]  # no S resource in pure-Dask mode
    assert result["imported"] == []  # neither seamless nor our Seamless packages
    assert keys == ["pure-daskserver-pdtest-q"]  # no hashserver, no database launched
    assert result["guard"] and result["guard"].startswith("PureDaskModeError")
    # the dashboard link: on stderr by default; through the application's handler (and only
    # there) once it configured logging
    links = re.findall(r"^Dask dashboard: http://127\.0\.0\.1:(\d+)$", proc.stderr, re.M)
    assert len(links) == 1 and start <= int(links[0]) <= start + 99, proc.stderr
    link = f"Dask dashboard: http://127.0.0.1:{links[0]}"
    assert proc.stderr.count("Dask dashboard:") == 1, proc.stderr
    assert proc.stdout.count("Dask dashboard:") == 1, proc.stdout
    assert f"APP seamless_config.notices {link}\n" in proc.stdout
    assert "pure-Dask" in result["guard"] or "pure" in result["guard"].lower()

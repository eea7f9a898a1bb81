"""The README's configuration example with a jobserver added to its cluster and
`remote: jobserver`: seamless_config.init() really launches the hashserver, the database and
seamless-jobserver through remote-http-launcher (private HOME); the work runs on the jobserver
and its execution record is read back. seamless-run uses the same jobserver."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from seamless_testing.servers import private_home_env, stop_launched_services

HERE = Path(__file__).parent
SCRIPT = HERE / "readme_config_script.py"
SEAMLESS_RUN = str(Path(sys.executable).parent / "seamless-run")
COMMAND = "cat words.txt | tr a-z A-Z"

# The README's clusters.yaml, plus `jobserver:` on the frontend; the port ranges are moved to
# random ranges (the services pick free ports inside them).
CLUSTERS_YAML = """\
local_cluster: workstation
workstation:
  type: local
  workers: 2
  frontends:
    - hashserver: {{bufferdir: ~/sl/buffers, network_interface: 127.0.0.1, port_start: {hs}, port_end: {hs_end}}}
      database:   {{database_dir: ~/sl/db, network_interface: 127.0.0.1, port_start: {db}, port_end: {db_end}}}
      daskserver: {{network_interface: 127.0.0.1, port_start: {dk}, port_end: {dk_end}}}
      jobserver:  {{network_interface: 127.0.0.1, port_start: {js}, port_end: {js_end}}}
  default_queue: local
  queues:
    local: {{walltime: "01:00:00", memory: 8GB, unknown_task_duration: 1m, target_duration: 5m, maximum_jobs: 1}}
"""

SEAMLESS_YAML = """\
- project: atlas
- cluster: workstation
- execution: remote
- remote: jobserver
"""


def _write_config(home: Path, project: Path) -> None:
    base = random.randrange(20000, 60000, 400)
    ports = {"hs": base, "db": base + 100, "dk": base + 200, "js": base + 300}
    ranges = {**ports, **{f"{k}_end": v + 99 for k, v in ports.items()}}
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(CLUSTERS_YAML.format(**ranges))
    project.mkdir()
    (project / "seamless.yaml").write_text(SEAMLESS_YAML)
    (project / "words.txt").write_text("jobserver\n")


def _run(argv: list[str], project: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _result(stdout: str) -> Any:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, stdout
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.mark.timeout(400)
def test_readme_configuration_with_a_jobserver(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "atlas"
    _write_config(home, project)
    env = private_home_env(home)
    try:
        result = _result(_run([sys.executable, str(SCRIPT)], project, env))
        assert _run([SEAMLESS_RUN, COMMAND], project, env).strip() == "JOBSERVER"
        run_tf = _run([SEAMLESS_RUN, "--dry", COMMAND], project, env).split()[-1]
        run_record = _result(_run([sys.executable, str(SCRIPT), run_tf], project, env))
        keys = stop_launched_services(home)
    finally:
        stop_launched_services(home)
    assert result["value"] == 42 and result["direct"] == 42
    assert result["remote"] == "jobserver" and result["jobserver"]
    assert result["pid"] != result["my_pid"]  # ran in a jobserver worker process
    record = result["record"]
    assert record is not None, "no execution record"
    assert record["tf_checksum"] == result["tf"]
    assert record["execution_mode"] == "remote" and record["remote_target"] == "jobserver"
    assert record["wall_time_seconds"] > 0
    assert run_record is not None, "seamless-run's transformation has no execution record"
    assert run_record["tf_checksum"] == run_tf and run_record["remote_target"] == "jobserver"
    assert sorted(keys) == [
        "database-workstation-rw-atlas",
        "hashserver-workstation-rw-atlas",
        "jobserver-workstation-rw-atlas",
    ]

"""A failed set_stage changes nothing: selection, stage and active clients are rolled back.

Real services through remote-http-launcher under a private HOME: the default stage launches a
hashserver and database; stage ``bad`` launches its own hashserver and database, then the
jobserver start fails (its conda environment cannot be found). Afterwards the process must be
exactly as before: stage, selection, and the buffer/database clients of the default stage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from seamless_testing.servers import stop_launched_services

CHILD = textwrap.dedent(
    """
    import json, sys
    import seamless, seamless_config
    from seamless_config import select
    from seamless_remote.registry import get_remote_registry

    seamless_config.set_workdir(sys.argv[1])
    seamless_config.init()

    def snapshot():
        registry = get_remote_registry()
        return {
            "stage": select.get_stage(),
            "cluster": select.get_selected_cluster(),
            "execution": select.get_execution(),
            "remote": select.get_remote(),
            "buffer": [c.url for c in registry.buffer_write_servers],
            "database": [c.url for c in registry.database_write],
        }

    before = snapshot()
    try:
        seamless_config.set_stage("bad")
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    after = snapshot()
    seamless_config.set_stage(None)  # the previous stage still works: no change, no relaunch
    print(json.dumps({"before": before, "after": after, "error": error, "again": snapshot()}))
    seamless.close()
    """
)


@pytest.fixture
def private_home(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    yield home
    stop_launched_services(home)


@pytest.mark.timeout(300)
def test_failed_service_start_rolls_back(tmp_path: Path, private_home: Path) -> None:
    (private_home / ".seamless").mkdir()
    (private_home / ".seamless" / "clusters.yaml").write_text(
        textwrap.dedent(
            f"""
            local_cluster: box
            box:
              type: local
              workers: 1
              frontends:
                - hashserver: {{bufferdir: {tmp_path / "buffers"}}}
                  database: {{database_dir: {tmp_path / "db"}}}
                  jobserver: {{conda: no-such-env, network_interface: 127.0.0.1,
                              port_start: 40000, port_end: 40999}}
            """
        )
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "seamless.yaml").write_text(
        "- cluster: box\n- project: p\n- execution: process\n"
        "- stage bad:\n    - execution: remote\n    - remote: jobserver\n"
    )
    (tmp_path / "child.py").write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(private_home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    out = subprocess.run(
        [sys.executable, str(tmp_path / "child.py"), str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["error"] is not None and "jobserver" in report["error"], report
    before = report["before"]
    assert before["stage"] is None and before["buffer"] and before["database"]
    assert report["after"] == before
    assert report["again"] == before
    # the stage-bad services were started (then left to their idle timeout): the rollback
    # really had clients to undo
    launched = {p.stem for p in (private_home / ".remote-http-launcher" / "server").glob("*.json")}
    assert any("STAGE-bad" in key and key.startswith("hashserver") for key in launched), launched

"""Launching services safely: hostile configuration never runs, one set of services per cache.

Every test runs real processes under a private HOME and stops what it launched by PID.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from _servers import stop_launched_services

BIN = Path(sys.executable).parent


def _expression(marker: Path) -> str:
    """Creates ``marker`` through os.system when evaluated as an f-string part, even without builtins."""
    return (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
        f".__init__.__globals__['system']('touch {marker}')"
    )


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(home)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _server_states(home: Path) -> list[dict]:
    directory = home / ".remote-http-launcher" / "server"
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


INIT = "import seamless, seamless_config\nseamless_config.init()\nseamless.close()\n"


@pytest.mark.timeout(240)
def test_hostile_project_is_refused_on_the_real_launch_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    marker = tmp_path / "MARKER"
    clusters = {
        "local_cluster": "ws",
        "ws": {
            "type": "local",
            "frontends": [
                {
                    "hashserver": {"bufferdir": str(tmp_path / "buffers")},
                    "database": {"database_dir": str(tmp_path / "db")},
                }
            ],
        },
    }
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(clusters))
    project = tmp_path / "project"
    project.mkdir()
    config = project / "seamless.yaml"
    try:
        # control: a plain project really launches the hashserver and the database
        config.write_text(
            yaml.safe_dump([{"cluster": "ws"}, {"execution": "process"}, {"project": "ok"}])
        )
        done = subprocess.run(
            [sys.executable, "-c", INIT],
            cwd=project,
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        assert len(_server_states(home)) == 2
        stop_launched_services(home)
        for evil in ("p{" + _expression(marker) + "}", "p$(touch " + str(marker) + ")", ".."):
            config.write_text(
                yaml.safe_dump([{"cluster": "ws"}, {"execution": "process"}, {"project": evil}])
            )
            done = subprocess.run(
                [sys.executable, "-c", INIT],
                cwd=project,
                env=_env(home),
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert done.returncode != 0
            assert f"{config}: entry 3 (project): project name may not" in done.stderr
            assert not marker.exists()
        # a SEAMLESS_CACHE directory whose name is template syntax: refused, nothing runs
        cache = tmp_path / ("c{" + _expression(marker) + "}")
        done = subprocess.run(
            [sys.executable, "-c", INIT],
            cwd=tmp_path,
            env=_env(home, SEAMLESS_CACHE=str(cache)),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode != 0 and "SEAMLESS_CACHE" in done.stderr
        assert not marker.exists()
    finally:
        stop_launched_services(home)

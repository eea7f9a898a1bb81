"""The README's main job: the pi demo twice, on SEAMLESS_CACHE and in Dask mode.

Each run is a new process, as a user runs it; the services are launched through
remote-http-launcher under a private HOME and stopped by PID at the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from seamless_testing.servers import stop_launched_services, wait_for_exit

REPO = Path(__file__).resolve().parents[1]
# a number of points that is not a multiple of the demo's block size (a million) on purpose
SMALL = ["--chunks", "3", "--points", "400001", "--nparallel", "2"]
SUMMARY = re.compile(
    r"executed: (?P<executed>\d+), cache hits: database (?P<db>\d+), memory \d+; "
    r"execution: (?P<execution>.+)"
)
PI = re.compile(r"pi ~= (?P<pi>[\d.]+)")


@pytest.fixture
def demo_env(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    yield env
    stop_launched_services(home)


def _run(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=600, cwd=REPO
    )
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    return out.stdout


def _summaries(stdout: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in SUMMARY.finditer(stdout)]


@pytest.mark.timeout(600)
def test_pi_demo_second_run_is_all_cache_hits(demo_env, tmp_path):
    demo_env["SEAMLESS_CACHE"] = str(tmp_path / "cache")
    first = _run(["examples/pi_pipeline.py", *SMALL], demo_env)
    second = _run(["examples/pi_pipeline.py", *SMALL], demo_env)
    (s1,), (s2,) = _summaries(first), _summaries(second)
    assert (s1["executed"], s1["db"]) == ("4", "0")
    assert (s2["executed"], s2["db"]) == ("0", "4")
    assert PI.search(first)["pi"] == PI.search(second)["pi"]
    assert 3.1 < float(PI.search(first)["pi"]) < 3.2
    assert "all 4 steps were cache hits" in second


@pytest.mark.timeout(900)
def test_dask_demo_runs_the_pipeline_on_dask_then_from_the_database(demo_env, tmp_path):
    stdout = _run(["examples/dask_demo.py", "--workdir", str(tmp_path / "demo"), *SMALL], demo_env)
    first, second = _summaries(stdout)
    assert first["execution"].startswith("remote, on Dask")
    assert (first["executed"], first["db"]) == ("4", "0")
    assert (second["executed"], second["db"]) == ("0", "4")
    launched = tmp_path / "demo" / "home" / ".remote-http-launcher" / "server"
    pids = [json.loads(p.read_text()).get("pid") for p in launched.glob("*.json")]
    assert pids, "the demo launched no services"
    for pid in filter(None, pids):
        assert wait_for_exit(int(pid), timeout=30), f"launched service {pid} still runs"

"""Launching services safely: hostile configuration never runs, one set of services per cache.

Every test runs real processes under a private HOME and stops what it launched by PID.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from seamless_testing.servers import stop_launched_services

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


# ------------------------------------------------------------------ one set of services per cache

CONCURRENT = """
import asyncio, json, os, sys, time
import seamless, seamless_config
from seamless import Buffer
go, ready, index = sys.argv[1], sys.argv[2], sys.argv[3]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.005)
seamless_config.init()
from seamless_remote import buffer_remote, database_remote
async def main():
    buffer = Buffer(f"written by process {index}\\n".encode())
    tf = Buffer(f"transformation {index}\\n".encode()).get_checksum()
    assert await buffer.write() is True
    assert await database_remote.set_transformation_result(tf, buffer.get_checksum())
    result = await database_remote.get_transformation_result(tf)
    back = await buffer_remote.get_buffer(result)
    return buffer.get_checksum().hex(), result.hex(), back.content.decode()
checksum, result, content = asyncio.run(main())
print(json.dumps({
    "checksum": checksum, "result": result, "content": content,
    "hashservers": [c.url for c in buffer_remote._read_server_clients],
    "databases": [c.url for c in database_remote._read_database_clients],
}))
seamless.close()
"""


def _stop_all(home: Path) -> None:
    """Stop what the launcher knows of, then any server process left under ``home`` (by PID)."""
    stop_launched_services(home)
    for pids in _service_processes(home).values():
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _service_processes(home: Path) -> dict[str, list[int]]:
    """Hashserver / database processes whose status file lies under ``home`` (from /proc)."""
    state = str(home / ".remote-http-launcher" / "server")
    found: dict[str, list[int]] = {"hashserver": [], "seamless-database": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv if a]
        if not any(state in w for w in words):
            continue
        for name in found:
            if any(Path(w).name == name for w in words[:2]):
                found[name].append(int(entry.name))
    return found


@pytest.mark.timeout(600)
def test_eight_processes_on_one_empty_cache_share_one_set_of_services(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    cache = tmp_path / "cache"
    env = _env(home, SEAMLESS_CACHE=str(cache))
    go = tmp_path / "go"
    procs = []
    try:
        for i in range(8):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        CONCURRENT,
                        str(go),
                        str(tmp_path / f"ready{i}"),
                        str(i),
                    ],
                    env=env,
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + 300
        while not all((tmp_path / f"ready{i}").exists() for i in range(8)):
            assert time.monotonic() < deadline, "the processes did not start"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.05)
        go.touch()  # all eight call seamless_config.init() now
        outputs = [p.communicate(timeout=400) for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err[-3000:]
        results = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
        for i, result in enumerate(results):
            assert result["content"] == f"written by process {i}\n"
            assert result["result"] == result["checksum"]
        assert len({tuple(r["hashservers"]) for r in results}) == 1
        assert len({tuple(r["databases"]) for r in results}) == 1
        # exactly one hashserver and one database serve the cache
        running = _service_processes(home)
        assert len(running["hashserver"]) == 1, running
        assert len(running["seamless-database"]) == 1, running
        states = _server_states(home)
        assert sorted(s["command"].split()[0].rsplit("/", 1)[-1] for s in states) == [
            "hashserver",
            "seamless-database",
        ]
        # every buffer is in the one hashserver
        url = results[0]["hashservers"][0]
        for i, result in enumerate(results):
            with urllib.request.urlopen(f"{url}/{result['checksum']}", timeout=30) as reply:
                assert reply.read() == f"written by process {i}\n".encode()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        _stop_all(home)


@pytest.mark.timeout(300)
def test_two_threads_that_find_a_dead_server_relaunch_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import remote_http_launcher

    import seamless_config
    from seamless_remote.launched import relaunch
    from seamless_remote.registry import get_remote_registry

    home = tmp_path / "home"
    home.mkdir()
    for name, value in _env(home, SEAMLESS_CACHE=str(tmp_path / "cache")).items():
        monkeypatch.setenv(name, value)
    seamless_config.reset()
    try:
        seamless_config.init()
        (service,) = get_remote_registry().buffer_launched
        (pid,) = _service_processes(home)["hashserver"]
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _service_processes(home)["hashserver"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        runs = []
        real_run = remote_http_launcher.run

        def counting_run(conf, **kwargs):
            runs.append(conf["key"])
            return real_run(conf, **kwargs)

        monkeypatch.setattr(remote_http_launcher, "run", counting_run)
        barrier = threading.Barrier(2)
        urls: list[str] = []

        def find_it_dead() -> None:
            barrier.wait()
            urls.append(relaunch(service))

        threads = [threading.Thread(target=find_it_dead) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        assert len(urls) == 2 and urls[0] == urls[1]
        assert len(runs) == 1, runs
        assert len(_service_processes(home)["hashserver"]) == 1
        with urllib.request.urlopen(f"{urls[0]}/healthcheck", timeout=30) as reply:
            assert reply.status == 200
    finally:
        seamless_config.reset()
        _stop_all(home)

"""Processes sharing a SEAMLESS_CACHE compute a transformation once (lock per checksum).

The hashserver and database are the real ones, launched by ``seamless_config.init()`` through
remote-http-launcher under a private HOME, and stopped by PID at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from seamless_testing.servers import stop_launched_services

CHILD = textwrap.dedent(
    """
    import json, sys
    import seamless, seamless_config
    seamless_config.init()
    from seamless.transformer import direct
    from seamless_transformer.transformation_cache import get_transformation_cache

    @direct
    def counted(x, counter, delay_file):
        import time
        with open(counter, "a") as f:
            f.write("executed\\n")
        with open(delay_file) as f:  # read at run time: not part of the checksum
            time.sleep(float(f.read()))
        return 2 * x

    value = counted(int(sys.argv[1]), sys.argv[2], sys.argv[3])
    print(json.dumps({"value": value, "stats": get_transformation_cache().stats}), flush=True)
    seamless.close()
    """
)


@pytest.fixture
def cache_env(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(home)
    env["SEAMLESS_CACHE"] = str(tmp_path / "cache")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    (tmp_path / "child.py").write_text(CHILD)
    yield env
    stop_launched_services(home)


def _start(tmp_path: Path, env: dict[str, str], x: int, seconds: float) -> subprocess.Popen:
    counter = tmp_path / f"counter-{x}"
    delay = tmp_path / f"delay-{x}"
    delay.write_text(str(seconds))
    return subprocess.Popen(
        [sys.executable, str(tmp_path / "child.py"), str(x), str(counter), str(delay)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err[-4000:]
    return json.loads(out.strip().splitlines()[-1])


def _executions(tmp_path: Path, x: int) -> int:
    counter = tmp_path / f"counter-{x}"
    return len(counter.read_text().splitlines()) if counter.exists() else 0


@pytest.mark.timeout(600)
def test_eight_processes_compute_once(tmp_path, cache_env):
    assert _result(_start(tmp_path, cache_env, 0, 0))["value"] == 0  # launches the services
    processes = [_start(tmp_path, cache_env, 21, 2.0) for _ in range(8)]
    results = [_result(p) for p in processes]
    assert [r["value"] for r in results] == [42] * 8
    assert _executions(tmp_path, 21) == 1
    assert sorted(r["stats"]["executed"] for r in results) == [0] * 7 + [1]
    locks = tmp_path / "cache" / ".transformation-locks"
    assert not locks.exists() or not any(locks.iterdir())  # every lock file was removed


@pytest.mark.timeout(600)
def test_lock_of_a_killed_process_does_not_block(tmp_path, cache_env):
    assert _result(_start(tmp_path, cache_env, 0, 0))["value"] == 0
    holder = _start(tmp_path, cache_env, 5, 3600)
    deadline = time.monotonic() + 120
    while _executions(tmp_path, 5) == 0:  # the holder is computing, with the lock held
        assert holder.poll() is None, holder.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=60)
    locks = tmp_path / "cache" / ".transformation-locks"
    assert len(list(locks.iterdir())) == 1  # the dead holder's lock file is left behind
    # the same transformation (the delay is read at run time): its lock is free again
    second = _result(_start(tmp_path, cache_env, 5, 0))
    assert second["value"] == 10 and second["stats"]["executed"] == 1
    assert _executions(tmp_path, 5) == 2
    assert not any(locks.iterdir())

"""Ctrl-C during TransformationList.run() is a KeyboardInterrupt, and the cache stays consistent.

A child process runs a TransformationList against the real hashserver and database; once its
transformations are executing, the test sends it SIGINT, as a terminal does on Ctrl-C.
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

CHILD = textwrap.dedent(
    """
    import faulthandler, json, os, signal, sys, time
    # as in a terminal, even when the test runner was started with SIGINT ignored (background)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # the test sends SIGUSR1 before giving up on this process: every thread's stack to stderr
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    import seamless, seamless_config
    seamless_config.set_remote_clients(json.loads(os.environ["TEST_REMOTE_CLIENTS"]))
    from seamless.transformer import delayed
    from seamless_transformer import TransformationList

    @delayed
    def slow_double(i, marker_dir):
        import os, time
        open(os.path.join(marker_dir, f"started-{i}"), "w").close()
        time.sleep(0.4)
        return 2 * i

    marker_dir = sys.argv[2]
    items = TransformationList(
        [slow_double(i, marker_dir) for i in range(40)], nparallel=4, show_progress=False
    )
    if sys.argv[1] in ("handler", "async-handler"):
        try:
            if sys.argv[1] == "handler":
                items.run()
            else:
                import asyncio
                asyncio.run(items.task())
        except KeyboardInterrupt:
            print("caught KeyboardInterrupt", flush=True)
            sys.exit(3)
        except BaseException as exc:
            print(f"caught {type(exc).__name__}: {exc}", flush=True)
            sys.exit(4)
        print("finished without interruption", flush=True)
        sys.exit(5)
    values = items.run()
    print(json.dumps(values), flush=True)
    seamless.close()
    """
)


def _child(tmp_path: Path, remote_clients: dict, mode: str, markers: Path) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {"TEST_REMOTE_CLIENTS": json.dumps(remote_clients), "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(markers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _communicate(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """``process.communicate(timeout)``; on a timeout the child's stacks are in the failure."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)
        time.sleep(2)
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the child did not exit within {timeout} s\nstdout:\n{out}\nstderr:\n{err}")


def _interrupt_when_running(process: subprocess.Popen, markers: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(list(markers.glob("started-*"))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the transformations never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode", ["handler", "async-handler"])
def test_sigint_raises_keyboard_interrupt(tmp_path, remote_clients, mode):
    """Sync run() and asyncio.run(task()): the user's ``except KeyboardInterrupt`` runs."""
    markers = tmp_path / "markers-handler"
    markers.mkdir()
    process = _child(tmp_path, remote_clients, mode, markers)
    _interrupt_when_running(process, markers, 6)
    out, err = _communicate(process, 120)
    assert "caught KeyboardInterrupt" in out, (out, err)
    assert process.returncode == 3, (out, err)
    assert "aclose()" not in err


@pytest.mark.timeout(300)
def test_sigint_without_handler_exits_as_interrupted_and_cache_stays_consistent(
    tmp_path, remote_clients
):
    markers = tmp_path / "markers-plain"
    markers.mkdir()
    process = _child(tmp_path, remote_clients, "plain", markers)
    _interrupt_when_running(process, markers, 6)
    out, err = _communicate(process, 120)
    # Python's own Ctrl-C exit: killed by SIGINT, traceback ending in KeyboardInterrupt
    assert process.returncode == -signal.SIGINT, (process.returncode, err)
    assert "\nKeyboardInterrupt\n" in err, err  # the traceback's last line
    assert "RuntimeError" not in err
    # a fresh process sees only complete results: every cached one resolves correctly, and
    # the items finished before the interrupt (at least 2 of the 6 started) are not redone
    for marker in markers.iterdir():
        marker.unlink()
    again = _child(tmp_path, remote_clients, "plain", markers)
    out, err = _communicate(again, 240)
    assert again.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == [2 * i for i in range(40)]
    assert len(os.listdir(markers)) <= 38


SPAWN_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import seamless_config
    seamless_config.init()  # no servers: the in-process cache
    from seamless.transformer import TransformationList, delayed
    import seamless_transformer
    seamless_transformer.spawn(2)

    @delayed
    def slow(i, marker_dir):
        import os, time
        with open(os.path.join(marker_dir, f"started-{i}"), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(1.5)
        return i * i

    items = TransformationList([slow(i, sys.argv[1]) for i in range(12)], nparallel=2)
    print(items.run(), flush=True)
    """
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:\tZ") for line in f)
    except OSError:
        return False


@pytest.mark.timeout(300)
def test_sigint_to_the_pid_of_a_spawn_user_ends_it_and_its_workers(tmp_path):
    """SIGINT to the PID only (kill -INT, a batch system, a supervisor), not to the group: the
    process with spawn() workers exits by SIGINT and its workers end too (it used to hang in
    multiprocessing's atexit join of its workers, which kept running)."""
    markers = tmp_path / "markers-spawn"
    markers.mkdir()
    script = tmp_path / "spawn_child.py"
    script.write_text(SPAWN_CHILD)
    process = subprocess.Popen(
        [sys.executable, str(script), str(markers)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _interrupt_when_running(process, markers, 4)  # two done, two running
    out, err = _communicate(process, 120)
    assert process.returncode == -signal.SIGINT, (process.returncode, err)
    workers = {int(m.read_text()) for m in markers.iterdir() if m.read_text().isdigit()}
    assert workers and process.pid not in workers, workers
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), [p for p in workers if _alive(p)]

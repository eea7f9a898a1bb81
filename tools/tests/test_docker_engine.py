"""tools/docker-engine.sh: the engine is shared by concurrent test runs (reference-counted).

Pure logic of the script, so ``dockerd``, ``docker`` and ``debootstrap`` are stand-ins on PATH:
the fake dockerd writes its pidfile, says it runs (the fake ``docker info`` answers while it
lives) and exits on SIGTERM. The runs are ``sleep`` processes whose PIDs are registered.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "docker-engine.sh"

FAKE_DOCKERD = """#!/bin/bash
# stand-in for dockerd: --pidfile F is honoured, the launch is counted, SIGTERM ends it
while [ $# -gt 0 ]; do
    if [ "$1" = --pidfile ]; then pidfile="$2"; shift; fi
    shift
done
echo $$ >> "$FAKE_DIR/launches"
sleep 0.3  # an engine takes a moment to answer: two starts at once would both launch one
echo $$ > "$pidfile"
echo $$ > "$FAKE_DIR/running"
trap 'rm -f "$FAKE_DIR/running"; exit 0' TERM
while true; do sleep 0.05; done
"""

FAKE_DOCKER = """#!/bin/bash
# stand-in for the docker CLI: `docker info` answers while the fake engine lives
[ "$1" = info ] || exit 2
[ -f "$FAKE_DIR/running" ] && kill -0 "$(cat "$FAKE_DIR/running")" 2> /dev/null
"""


class Engine:
    """The script under test with its stand-ins, a private state directory and runs."""

    def __init__(self, root: Path) -> None:
        self.fake = root / "fake"
        self.state = root / "state"
        bindir = root / "bin"
        for directory in (self.fake, bindir):
            directory.mkdir()
        for name, text in (
            ("dockerd", FAKE_DOCKERD),
            ("docker", FAKE_DOCKER),
            ("debootstrap", "#!/bin/bash\nexit 0\n"),
        ):
            (bindir / name).write_text(text)
            (bindir / name).chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_DIR": str(self.fake),
            "SEAMLESS_DOCKER_STATE": str(self.state),
        }
        self.runs: list[subprocess.Popen[bytes]] = []

    def new_run(self) -> int:
        """A live process standing for one test run; its PID."""
        run = subprocess.Popen(["sleep", "300"])
        self.runs.append(run)
        return run.pid

    def command(self, action: str, run: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", str(SCRIPT), action, str(run)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def call(self, action: str, run: int) -> str:
        """Run ``docker-engine.sh ACTION RUN``; its stderr (asserting success)."""
        process = self.command(action, run)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        return err

    def launches(self) -> list[int]:
        path = self.fake / "launches"
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def answers(self) -> bool:
        result = subprocess.run(["docker", "info"], env=self.env, check=False)
        return result.returncode == 0

    def registered(self) -> list[str]:
        runs = self.state / "runs"
        return sorted(p.name for p in runs.iterdir()) if runs.is_dir() else []

    def cleanup(self) -> None:
        for run in self.runs:
            run.kill()
            run.wait()
        for pid in self.launches():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    handle = Engine(tmp_path)
    try:
        yield handle
    finally:
        handle.cleanup()


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.timeout(120)
def test_the_engine_stops_when_the_last_run_using_it_stops(engine: Engine) -> None:
    first, second = engine.new_run(), engine.new_run()
    assert "starting dockerd" in engine.call("start", first)
    assert "reusing the running engine" in engine.call("start", second)
    (dockerd,) = engine.launches()
    assert engine.registered() == sorted([str(first), str(second)])
    err = engine.call("stop", first)
    assert f"other test runs still use the engine (pid {second})" in err, err
    assert engine.answers() and not _gone(dockerd, 0.5)
    assert f"stopping dockerd (pid {dockerd})" in engine.call("stop", second)
    assert _gone(dockerd) and not engine.answers()
    assert engine.registered() == []


@pytest.mark.timeout(120)
def test_a_run_killed_with_sigkill_does_not_keep_the_engine(engine: Engine) -> None:
    first, second = engine.new_run(), engine.new_run()
    engine.call("start", first)
    engine.call("start", second)
    (dockerd,) = engine.launches()
    os.kill(second, signal.SIGKILL)  # the second run dies without calling stop
    assert "stopping dockerd" in engine.call("stop", first)
    assert _gone(dockerd)
    assert engine.registered() == []  # the dead run's registration was dropped


@pytest.mark.timeout(120)
def test_a_reused_pid_does_not_count_as_a_live_run(engine: Engine) -> None:
    run = engine.new_run()
    engine.call("start", run)
    (dockerd,) = engine.launches()
    # a registration left by a dead run whose PID now belongs to another process (this one)
    (engine.state / "runs" / str(os.getpid())).write_text("1\n")
    assert "stopping dockerd" in engine.call("stop", run)
    assert _gone(dockerd)


@pytest.mark.timeout(120)
def test_two_runs_starting_at_once_start_one_engine(engine: Engine) -> None:
    first, second = engine.new_run(), engine.new_run()
    starts = [engine.command("start", first), engine.command("start", second)]
    for process in starts:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert len(engine.launches()) == 1
    engine.call("stop", first)
    engine.call("stop", second)
    assert _gone(engine.launches()[0])


@pytest.mark.timeout(120)
def test_an_engine_this_script_did_not_start_is_left_alone(engine: Engine) -> None:
    pidfile = engine.fake / "external.pid"
    external = subprocess.Popen(["dockerd", "--pidfile", str(pidfile)], env=engine.env)
    try:
        deadline = time.monotonic() + 30
        while not engine.answers():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        run = engine.new_run()
        assert "reusing the running engine" in engine.call("start", run)
        assert "leaving the engine alone" in engine.call("stop", run)
        assert external.poll() is None and engine.answers()
    finally:
        external.terminate()
        external.wait(10)

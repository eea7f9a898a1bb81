"""seamless-run: argtyping, --dry golden checksum, persistent cache required, cache hits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from seamless_transformer.cli.bash_job import ArgTypingError, build_bash_job
from seamless_transformer.cli.run import main

BASH_GOLDEN = "c9afa37294c01d8b3e595103ae0dee7292125a93c9e85fa8334093bd92d3e79a"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("hello\nworld\n")
    return tmp_path


def test_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "--dry" in capsys.readouterr().out


def test_dry_golden_checksum(workdir, capsys):
    assert main(["--dry", "-j", "job", "cat a.txt | tac"]) == 0
    assert capsys.readouterr().out.strip() == BASH_GOLDEN
    import hashlib

    assert hashlib.sha256((workdir / "job" / "transformation.json").read_bytes()).hexdigest() == (
        BASH_GOLDEN
    )
    assert (workdir / "job" / "command.txt").read_text() == "cat a.txt | tac\n"


def test_checksum_sidecar_replaces_the_file(workdir, capsys):
    import hashlib

    digest = hashlib.sha256(b"hello\nworld\n").hexdigest()
    os.remove(workdir / "a.txt")
    (workdir / "a.txt.CHECKSUM").write_text(digest + "\n")
    assert main(["--dry", "cat a.txt | tac"]) == 0
    assert capsys.readouterr().out.strip() == BASH_GOLDEN


def test_argtyping_rules(workdir):
    job = build_bash_job("paste a.txt 0.5")
    assert set(job.pins) == {"a.txt"}
    assert job.formats["a.txt"] == {"filesystem": {"mode": "file", "optional": True}}
    with pytest.raises(ArgTypingError, match="R1"):
        build_bash_job("cat missing.txt")
    assert build_bash_job("cat missing.txt", rule1=False).pins == {}
    (workdir / "plain").write_text("x")
    assert "plain" in build_bash_job("cat plain").pins  # the first argument may be a file
    with pytest.raises(ArgTypingError, match="R2"):
        build_bash_job("paste a.txt plain")
    with pytest.raises(ArgTypingError, match="R3"):
        build_bash_job("ls nodir/")
    (workdir / "d").mkdir()
    (workdir / "d" / "f.txt").write_text("1\n")
    job = build_bash_job("ls d/")
    assert job.pins["d"][0] == "mixed"
    assert job.formats["d"]["celltype"] == "deepfolder"
    assert "a.txt" in build_bash_job("echo START; cat a.txt", primary=2).pins


def test_persistent_cache_required(workdir, capsys):
    assert main(["cat a.txt"]) == 1
    assert "persistent cache is required" in capsys.readouterr().err


@pytest.mark.timeout(180)
def test_run_twice_second_is_cache_hit(workdir, remote_clients_session):
    (workdir / "d").mkdir()
    (workdir / "d" / "x.txt").write_text("3\n1\n2\n")
    # SEAMLESS_REMOTE_CLIENTS is the view from inside the cluster: remote_url
    inside = {
        kind: [dict(entry, remote_url=entry["url"]) for entry in entries]
        for kind, entries in remote_clients_session.items()
    }
    env = dict(os.environ, SEAMLESS_REMOTE_CLIENTS=json.dumps(inside))
    command = [sys.executable, "-m", "seamless_transformer.cli.run", "-v"]

    def run(cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            command + [cmd], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
        )

    first = run("cat a.txt | tac")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "world\nhello\n"
    report = json.loads(first.stderr.strip().splitlines()[-1])
    assert report["transformation"] == BASH_GOLDEN
    assert report["cache"]["executed"] == 1
    second = run("cat a.txt | tac")
    assert second.stdout == "world\nhello\n"
    assert json.loads(second.stderr.strip().splitlines()[-1])["cache"]["database_hits"] == 1
    directory = run("sort -n d/x.txt; ls d/")
    assert directory.returncode == 0, directory.stderr
    assert directory.stdout == "1\n2\n3\nx.txt\n"
    failing = run("cat a.txt; exit 4")
    assert failing.returncode == 1
    assert "Return code 4" in failing.stderr


def _processes_running(argv: list[str]) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if [part.decode(errors="replace") for part in cmdline] == argv:
            found.append(int(entry))
    return found


@pytest.mark.timeout(180)
def test_ctrl_c_prints_one_line_and_dies_by_sigint(workdir, remote_clients_session):
    """SIGINT while the command runs: one line on stderr, no traceback, death by SIGINT."""
    import signal
    import time

    inside = {
        kind: [dict(entry, remote_url=entry["url"]) for entry in entries]
        for kind, entries in remote_clients_session.items()
    }
    env = dict(os.environ, SEAMLESS_REMOTE_CLIENTS=json.dumps(inside))
    marker = ["sleep", f"{60 + os.getpid() % 1000 / 1000:.3f}"]  # unique to this test run
    child = subprocess.Popen(
        [sys.executable, "-m", "seamless_transformer.cli.run", " ".join(marker)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _processes_running(marker):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        for pid in _processes_running(marker):
            os.kill(pid, signal.SIGKILL)
    assert child.returncode == -signal.SIGINT, err
    assert err.strip().splitlines()[-1] == "seamless-run: interrupted", err
    assert "Traceback" not in err, err

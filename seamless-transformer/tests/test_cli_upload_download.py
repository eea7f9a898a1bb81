"""seamless-upload / seamless-download against a real hashserver and database."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from seamless import Checksum

from seamless_transformer.cli import download, upload
from seamless_transformer.values import to_deep_buffers

TIMEOUT = 120


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"  # apart from the servers' files in tmp_path
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def cli_env(hashserver, database) -> dict[str, str]:
    """The environment of a CLI subprocess that uses this test's servers."""
    clients = {
        "buffer": [{"url": hashserver.url, "readonly": False, "remote_url": hashserver.url}],
        "database": [{"url": database.url, "readonly": False, "remote_url": database.url}],
    }
    return dict(os.environ, SEAMLESS_REMOTE_CLIENTS=json.dumps(clients))


def run(
    module: str, args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"seamless_transformer.cli.{module}", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
    )


def stored_path(hashserver, checksum: str) -> Path:
    """Where the hashserver keeps a buffer (prefix layout)."""
    return hashserver.directory / checksum[:2] / checksum


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha\n",
        "sub/b.bin": bytes(range(256)) * 10,
        "sub/deeper/c.txt": b"gamma\n",
        "dup.txt": b"alpha\n",
    }
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    return files


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    for module, flag in ((upload, "FILE|DIR"), (download, "--stdout")):
        with pytest.raises(SystemExit) as info:
            module.main(["--help"])
        assert info.value.code == 0
        assert flag in capsys.readouterr().out


def test_persistent_cache_required(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "a.txt").write_text("x")
    assert upload.main(["a.txt"]) == 1
    assert "persistent cache is required" in capsys.readouterr().err
    assert not (workdir / "a.txt.CHECKSUM").exists()
    (workdir / "a.txt.CHECKSUM").write_text(hashlib.sha256(b"x").hexdigest() + "\n")
    os.remove(workdir / "a.txt")
    assert download.main(["a.txt"]) == 1
    assert "persistent cache is required" in capsys.readouterr().err
    assert not (workdir / "a.txt").exists()


@pytest.mark.timeout(180)
def test_file_round_trip(workdir: Path, cli_env: dict[str, str], hashserver) -> None:
    content = b"hello\nworld\n" * 1000
    (workdir / "data.bin").write_bytes(content)
    up = run("upload", ["data.bin"], cli_env, workdir)
    assert up.returncode == 0, up.stderr
    expected = Checksum(hashlib.sha256(content).digest())
    assert Checksum.load(str(workdir / "data.bin")) == expected
    assert (workdir / "data.bin.CHECKSUM").read_text() == expected.hex() + "\n"
    assert up.stdout.decode() == f"{expected.hex()}  data.bin\n"
    assert stored_path(hashserver, expected.hex()).read_bytes() == content

    os.remove(workdir / "data.bin")
    down = run("download", ["data.bin"], cli_env, workdir)
    assert down.returncode == 0, down.stderr
    assert (workdir / "data.bin").read_bytes() == content
    again = run("download", ["data.bin.CHECKSUM", "-v"], cli_env, workdir)
    assert again.returncode == 0, again.stderr
    assert b"1 already up to date" in again.stderr

    bare = run("download", [expected.hex(), "-o", "copy.bin"], cli_env, workdir)
    assert bare.returncode == 0, bare.stderr
    assert (workdir / "copy.bin").read_bytes() == content
    out = run("download", [expected.hex(), "--stdout"], cli_env, workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == content
    lonely = run("download", [expected.hex()], cli_env, workdir)
    assert lonely.returncode == 2
    assert b"-o FILE or --stdout" in lonely.stderr


@pytest.mark.timeout(180)
def test_directory_round_trip(workdir: Path, cli_env: dict[str, str]) -> None:
    (workdir / "tree").mkdir()
    files = make_tree(workdir / "tree")
    up = run("upload", ["tree/"], cli_env, workdir)
    assert up.returncode == 0, up.stderr
    index = json.loads((workdir / "tree.INDEX").read_text())
    assert index == {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
    # the deepfolder checksum that seamless-run / a deepfolder pin computes
    index_buffer, _ = to_deep_buffers(files, "deepfolder")
    assert Checksum.load(str(workdir / "tree")) == index_buffer.get_checksum()
    assert (workdir / "tree.INDEX").read_bytes() == index_buffer.content
    from seamless_transformer.cli.bash_job import build_bash_job

    assert build_bash_job("ls tree/").pins["tree"][2] == index_buffer.get_checksum()

    import shutil

    shutil.rmtree(workdir / "tree")
    down = run("download", ["tree"], cli_env, workdir)
    assert down.returncode == 0, down.stderr
    for relative, content in files.items():
        assert (workdir / "tree" / relative).read_bytes() == content
    # without the local index: the index buffer comes from the hashserver
    shutil.rmtree(workdir / "tree")
    os.remove(workdir / "tree.INDEX")
    down = run("download", ["tree", "--directory"], cli_env, workdir)
    assert down.returncode == 0, down.stderr
    for relative, content in files.items():
        assert (workdir / "tree" / relative).read_bytes() == content


@pytest.mark.timeout(180)
def test_second_upload_sends_nothing(workdir: Path, cli_env: dict[str, str], hashserver) -> None:
    (workdir / "tree").mkdir()
    files = make_tree(workdir / "tree")
    (workdir / "x.txt").write_bytes(b"x\n")
    first = run("upload", ["tree", "x.txt"], cli_env, workdir)
    assert first.returncode == 0, first.stderr
    # tree: four files, two identical (three buffers) plus its index; and x.txt
    assert b"5 buffer(s) uploaded" in first.stderr
    stored = {
        cs: stored_path(hashserver, cs).stat().st_mtime_ns
        for cs in [hashlib.sha256(v).hexdigest() for v in files.values()]
    }
    second = run("upload", ["tree", "x.txt"], cli_env, workdir)
    assert second.returncode == 0, second.stderr
    assert b"0 buffer(s) uploaded" in second.stderr
    assert b"6 already stored" in second.stderr  # per file (dup.txt twice) and the index
    for cs, mtime in stored.items():
        assert stored_path(hashserver, cs).stat().st_mtime_ns == mtime
    # a changed file is uploaded again, and its sidecar updated
    (workdir / "x.txt").write_bytes(b"changed\n")
    third = run("upload", ["x.txt"], cli_env, workdir)
    assert third.returncode == 0, third.stderr
    assert b"1 buffer(s) uploaded" in third.stderr
    assert (workdir / "x.txt.CHECKSUM").read_text().strip() == hashlib.sha256(
        b"changed\n"
    ).hexdigest()


@pytest.mark.timeout(180)
def test_download_refuses_a_corrupt_buffer(
    workdir: Path, cli_env: dict[str, str], hashserver
) -> None:
    content = b"precious\n"
    (workdir / "p.txt").write_bytes(content)
    assert run("upload", ["p.txt"], cli_env, workdir).returncode == 0
    stored = stored_path(hashserver, hashlib.sha256(content).hexdigest())
    stored.chmod(stored.stat().st_mode | stat.S_IWUSR)
    stored.write_bytes(b"tampered\n")
    os.remove(workdir / "p.txt")
    down = run("download", ["p.txt"], cli_env, workdir)
    assert down.returncode == 1
    assert b"p.txt" in down.stderr
    assert not (workdir / "p.txt").exists()
    assert sorted(os.listdir(workdir)) == ["p.txt.CHECKSUM"]  # no temporary file left behind


@pytest.mark.timeout(180)
def test_upload_errors_name_the_file(workdir: Path, cli_env: dict[str, str]) -> None:
    missing = run("upload", ["nothere.txt"], cli_env, workdir)
    assert missing.returncode == 2
    assert b"nothere.txt: no such file or directory" in missing.stderr
    (workdir / "a.txt").write_text("a")
    absent = run("download", ["b.txt"], cli_env, workdir)
    assert absent.returncode == 2
    assert b"b.txt" in absent.stderr
    (workdir / "b.txt.CHECKSUM").write_text(hashlib.sha256(b"never uploaded").hexdigest() + "\n")
    unknown = run("download", ["b.txt"], cli_env, workdir)
    assert unknown.returncode == 1
    assert b"b.txt: no configured server has buffer" in unknown.stderr
    assert not (workdir / "b.txt").exists()

"""The local fast path (BufferFolderWriter, FastPath) against a real hashserver.

Atomicity is checked with several writer processes and a reader process that hashes every
file it finds while they write; corruption and lock files with hand-made files in the
hashserver's own directory; the fallback to HTTP with a client process that cannot write there.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote import buffer_remote
from seamless_remote.buffer_client import BufferClient
from seamless_remote.client import define_extern_client
from seamless_remote.errors import CorruptBufferError
from seamless_remote.folder_client import BufferFolderClient
from seamless_remote.folder_writer import PREFIX_SENTINEL, BufferFolderWriter, FastPath
from seamless_remote.registry import LaunchedService

pytestmark = pytest.mark.timeout(120)


def _stored_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and p.name != PREFIX_SENTINEL]


def _activate_fast_path(hashserver, directory=None) -> BufferClient:
    define_extern_client(
        "hs",
        "hashserver",
        url=hashserver.url,
        directory=str(directory or hashserver.directory),
        readonly=False,
    )
    buffer_remote.activate(no_main=True, extern_clients=["hs"])
    (client,) = buffer_remote._write_server_clients
    return client


def test_fast_path_write_is_served_by_the_hashserver(hashserver):
    content = b"written straight into the hashserver's directory\n" * 100
    cs = calculate_checksum(content)
    assert (hashserver.directory / PREFIX_SENTINEL).exists()  # the server's default layout

    async def main():
        client = _activate_fast_path(hashserver)
        assert await buffer_remote.write_buffer(cs, content)
        assert client.fast_path is not None and client.fast_path.usable is True
        path = hashserver.directory / cs[:2] / cs
        assert path.read_bytes() == content
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        reader = BufferClient(hashserver.url)
        assert await reader.get(cs) == content  # served over HTTP, verified
        assert await reader.buffer_lengths([cs]) == [len(content)]
        assert await reader.has([cs]) == [True]
        leftovers = [p.name for p in _stored_files(hashserver.directory) if p.name != cs]
        assert leftovers == []  # no temporary files, the probe buffer removed

    asyncio.run(main())


def test_compressed_form_has_its_buffer_length_sidecar(hashserver):
    content = b"compressible " * 10_000
    cs = calculate_checksum(content)
    writer = BufferFolderWriter(hashserver.directory)
    assert writer.write_sync(cs, content, compression="zstd") is True
    folder = hashserver.directory / cs[:2]
    assert (folder / (cs + ".BUFFERLENGTH")).read_text() == str(len(content))
    assert (folder / (cs + ".zst")).stat().st_size < len(content)
    assert not (folder / cs).exists()
    assert writer.write_sync(cs, content) is False  # already stored (compressed)

    async def main():
        reader = BufferClient(hashserver.url)
        assert await reader.get(cs) == content
        assert await reader.buffer_lengths([cs]) == [len(content)]

    asyncio.run(main())


def test_write_refuses_content_that_does_not_match(tmp_path):
    cs = calculate_checksum(b"the real content\n")
    with pytest.raises(CorruptBufferError):
        BufferFolderWriter(tmp_path).write_sync(cs, b"something else\n")
    assert _stored_files(tmp_path) == []


def test_flat_layout_without_sentinel(tmp_path):
    content = b"flat layout\n"
    cs = calculate_checksum(content)
    writer = BufferFolderWriter(tmp_path)
    assert writer.layout == "flat"
    assert writer.write_sync(cs, content)
    assert (tmp_path / cs).read_bytes() == content


_WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from seamless.checksum.calculate_checksum import calculate_checksum
    from seamless_remote.folder_writer import BufferFolderWriter

    directory, mode, count, size, start_at = sys.argv[1:6]
    count, size, start_at = int(count), int(size), float(start_at)
    writer = BufferFolderWriter(directory)
    contents = [bytes([i % 251]) * (size - i) for i in range(count)]
    while time.time() < start_at:
        time.sleep(0.001)
    wrote = 0
    if mode == "public":
        for content in contents:
            wrote += writer.write_sync(calculate_checksum(content), content)
    else:  # "race": every writer places the same file again and again (no exists check)
        content = contents[0]
        cs = calculate_checksum(content)
        folder = writer.target_folder(cs)
        folder.mkdir(exist_ok=True)
        for _ in range(count):
            writer._place(folder, folder / cs, content)
            wrote += 1
    print(json.dumps(wrote))
    """
)

_READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from seamless.checksum.calculate_checksum import calculate_checksum

    directory, duration = Path(sys.argv[1]), float(sys.argv[2])
    seen = bad = 0
    deadline = time.time() + duration
    while time.time() < deadline:
        for path in directory.glob("*/*"):
            if len(path.name) != 64:
                continue  # temporary files are not buffers
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            seen += 1
            if calculate_checksum(data) != path.name:
                bad += 1
    print(json.dumps({"seen": seen, "bad": bad}))
    """
)


def _run_writers_and_reader(directory: Path, mode: str, count: int, size: int) -> tuple:
    start_at = time.time() + 2.0
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(directory), mode, str(count), str(size)]
            + [str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(directory), "8"], stdout=subprocess.PIPE, text=True
    )
    wrote = [json.loads(w.communicate(timeout=90)[0]) for w in writers]
    assert all(w.returncode == 0 for w in writers)
    result = json.loads(reader.communicate(timeout=90)[0])
    return wrote, result


def test_concurrent_writers_never_expose_a_partial_file(hashserver):
    """Three processes write the same 20 buffers while a fourth reads every file it finds."""
    count, size = 20, 2_000_000
    wrote, read = _run_writers_and_reader(hashserver.directory, "public", count, size)
    assert sum(wrote) >= count  # every buffer was written at least once
    assert read["seen"] > 0 and read["bad"] == 0
    stored = [p for p in _stored_files(hashserver.directory) if len(p.name) == 64]
    assert len(stored) == count
    assert all(calculate_checksum(p.read_bytes()) == p.name for p in stored)
    assert [p for p in _stored_files(hashserver.directory) if p.name.endswith(".tmp")] == []


def test_racing_writers_of_one_checksum_replace_it_atomically(hashserver):
    """Three processes rename fresh copies onto one name 15 times each; readers see whole files."""
    wrote, read = _run_writers_and_reader(hashserver.directory, "race", 15, 3_000_000)
    assert wrote == [15, 15, 15]
    assert read["seen"] > 0 and read["bad"] == 0

    async def main():
        content = bytes([0]) * 3_000_000
        assert await BufferClient(hashserver.url).get(calculate_checksum(content)) == content

    asyncio.run(main())


def test_corrupt_file_is_never_returned(hashserver):
    content = b"the right bytes\n"
    cs = calculate_checksum(content)
    folder = hashserver.directory / cs[:2]
    folder.mkdir()
    (folder / cs).write_bytes(b"wrong bytes!!!!\n")  # same length

    async def main():
        _activate_fast_path(hashserver)
        with pytest.raises(CorruptBufferError):
            await buffer_remote.get_buffer(cs)  # folder and server both refuse it
        # a fast-path write repairs it (an HTTP PUT would not: the file exists)
        await buffer_remote.write_buffer(cs, content)
        assert (await buffer_remote.get_buffer(cs)).content == content
        assert await BufferClient(hashserver.url).get(cs) == content

    asyncio.run(main())
    # a stored file of the wrong length is replaced too
    (folder / cs).unlink()
    (folder / cs).write_bytes(b"truncat")
    assert BufferFolderWriter(hashserver.directory).write_sync(cs, content) is True
    assert asyncio.run(BufferFolderClient(hashserver.directory).get(cs)) == content


def test_corrupt_compressed_file_is_never_returned(tmp_path):
    content = b"compressed and then damaged\n" * 10
    cs = calculate_checksum(content)
    (tmp_path / (cs + ".zst")).write_bytes(b"not zstd at all")
    with pytest.raises(CorruptBufferError):
        asyncio.run(BufferFolderClient(tmp_path).get(cs))


def test_reader_waits_for_a_file_being_written_in_place(tmp_path):
    """A `<file>.LOCK` means: being written; a half-written file is waited for, not refused."""
    content = b"written in place under a lock file\n" * 1000
    cs = calculate_checksum(content)
    path, lock = tmp_path / cs, tmp_path / (cs + ".LOCK")
    lock.touch()
    path.write_bytes(content[:1000])
    finished = {}

    def finish() -> None:
        time.sleep(0.6)
        path.write_bytes(content)
        finished["at"] = time.monotonic()
        lock.unlink()

    thread = threading.Thread(target=finish)
    thread.start()
    try:
        assert asyncio.run(BufferFolderClient(tmp_path).get(cs)) == content
    finally:
        thread.join()
    assert "at" in finished


def test_writer_waits_while_the_folder_is_locked(tmp_path):
    content = b"waits for the lock\n"
    cs = calculate_checksum(content)
    lock = tmp_path / ".LOCK"
    lock.touch()
    removed = {}

    def unlock() -> None:
        time.sleep(0.5)
        removed["at"] = time.monotonic()
        lock.unlink()

    thread = threading.Thread(target=unlock)
    thread.start()
    try:
        assert BufferFolderWriter(tmp_path).write_sync(cs, content)
        done = time.monotonic()
    finally:
        thread.join()
    assert done >= removed["at"]
    # a stale lock (older than the hashserver's lock timeout) is ignored
    lock.touch()
    os.utime(lock, (time.time() - 1000, time.time() - 1000))
    other = b"not blocked by a stale lock\n"
    assert BufferFolderWriter(tmp_path).write_sync(calculate_checksum(other), other)


def test_a_directory_the_server_does_not_serve_is_not_used(hashserver, tmp_path):
    elsewhere = tmp_path / "not-the-servers-directory"
    elsewhere.mkdir()
    content = b"must reach the server\n"
    cs = calculate_checksum(content)

    async def main():
        client = _activate_fast_path(hashserver, directory=elsewhere)
        assert await buffer_remote.write_buffer(cs, content)
        assert client.fast_path.usable is False
        assert await BufferClient(hashserver.url).get(cs) == content

    asyncio.run(main())
    assert _stored_files(elsewhere) == []


_UNWRITABLE_CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys
    from seamless_remote import buffer_remote
    from seamless_remote.client import define_extern_client

    url, directory = sys.argv[1:3]
    content = b"sent over HTTP because the directory is read-only here\\n"

    async def main():
        define_extern_client("hs", "hashserver", url=url, directory=directory, readonly=False)
        buffer_remote.activate(no_main=True, extern_clients=["hs"])
        (client,) = buffer_remote._write_server_clients
        ok = await buffer_remote.write_buffer(
            __import__("seamless").Buffer(content).get_checksum(), content
        )
        return {"ok": ok, "usable": client.fast_path.usable}

    print(json.dumps(asyncio.run(main())))
    """
)


def _without_dac_override() -> None:
    """preexec_fn: drop CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so root obeys file modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_unwritable_directory_falls_back_to_http(hashserver):
    directory = hashserver.directory
    for path in [directory, *directory.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-c", _UNWRITABLE_CLIENT, hashserver.url, str(directory)],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_without_dac_override if os.geteuid() == 0 else None,
        )
    finally:
        directory.chmod(0o775)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"ok": True, "usable": False}
    content = b"sent over HTTP because the directory is read-only here\n"
    cs = calculate_checksum(content)
    assert (directory / cs[:2] / cs).read_bytes() == content  # stored by the server itself


def test_fast_path_can_be_turned_off(hashserver, monkeypatch):
    monkeypatch.setenv("SEAMLESS_BUFFER_FAST_PATH", "off")
    client = _activate_fast_path(hashserver)
    assert client.fast_path is None
    service = LaunchedService(
        tool="hashserver",
        cluster="c",
        key="k",
        readonly=False,
        url=hashserver.url,
        remote_url=hashserver.url,
        directory="/d",
        remote_directory="/d",
        fast_path=False,
    )
    assert "directory" not in service.as_entry() and "remote_directory" not in service.as_entry()


def test_concurrent_first_writes_share_one_probe(hashserver):
    calls = []

    async def counting_confirm(checksums):
        calls.append(list(checksums))
        return await BufferClient(hashserver.url).buffer_lengths(checksums)

    async def main():
        fast_path = FastPath(hashserver.directory, counting_confirm)
        contents = [f"buffer {i}\n".encode() for i in range(20)]
        results = await asyncio.gather(
            *(fast_path.write(calculate_checksum(c), c) for c in contents)
        )
        assert results == [True] * 20
        assert len(calls) == 1

    asyncio.run(main())

"""buffer_remote: activation of extern clients, read order, writes, and seamless-core on top."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from seamless import Buffer, CacheMissError, Checksum
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote import buffer_remote
from seamless_remote.buffer_client import BufferClient
from seamless_remote.client import define_extern_client
from seamless_remote.errors import ClientDefinitionError, CorruptBufferError


def _activate(hashserver, *, folder=None, readonly=False):
    define_extern_client("hs", "hashserver", url=hashserver.url, readonly=readonly)
    names = ["hs"]
    if folder is not None:
        define_extern_client("folder", "bufferfolder", directory=str(folder))
        names.insert(0, "folder")
    buffer_remote.activate(no_main=True, extern_clients=names)


def test_activation_of_extern_clients(hashserver, tmp_path):
    assert not buffer_remote.has_read_server() and not buffer_remote.has_write_server()
    _activate(hashserver, folder=tmp_path)
    assert buffer_remote.has_read_server() and buffer_remote.has_write_server()
    assert [c.url for c in buffer_remote._write_server_clients] == [hashserver.url]
    assert len(buffer_remote._read_folders_clients) == 1
    assert buffer_remote.inspect_extern_clients() == [
        {"readonly": True, "directory": str(tmp_path), "remote_directory": str(tmp_path)},
        {"readonly": False, "url": hashserver.url, "remote_url": hashserver.url},
    ]
    assert buffer_remote.inspect_launched_clients() == []
    buffer_remote.deactivate()
    assert not buffer_remote.has_read_server()


def test_read_only_activation_has_no_write_server(hashserver):
    _activate(hashserver, readonly=True)
    assert buffer_remote.has_read_server() and not buffer_remote.has_write_server()
    assert asyncio.run(buffer_remote.write_buffer(calculate_checksum(b"x"), b"x")) is False


def test_disabled_flag_makes_activate_a_no_op(hashserver, monkeypatch):
    monkeypatch.setattr(buffer_remote, "DISABLED", True)
    _activate(hashserver)
    assert not buffer_remote.has_read_server()


def test_bad_definitions_are_clear_errors():
    with pytest.raises(ClientDefinitionError, match="unknown type 'ftp'"):
        define_extern_client("x", "ftp", url="http://127.0.0.1:1")
    with pytest.raises(ClientDefinitionError, match="needs directory"):
        define_extern_client("x", "bufferfolder", url="http://127.0.0.1:1")
    with pytest.raises(ClientDefinitionError, match="not defined"):
        buffer_remote.activate(no_main=True, extern_clients=["nobody"])
    define_extern_client("db", "database", url="http://127.0.0.1:1")
    with pytest.raises(ClientDefinitionError, match="expected hashserver or bufferfolder"):
        buffer_remote.activate(no_main=True, extern_clients=["db"])


def test_write_read_and_lengths(hashserver, tmp_path):
    _activate(hashserver, folder=tmp_path)
    content = b"through buffer_remote\n"
    cs = Checksum(calculate_checksum(content))

    async def main():
        assert await buffer_remote.get_buffer(cs) is None
        await buffer_remote.promise(cs)
        assert await buffer_remote.write_buffer(cs, Buffer(content)) is True
        buffer = await buffer_remote.get_buffer(cs)
        assert isinstance(buffer, Buffer) and buffer.content == content
        assert await buffer_remote.get_buffer_lengths([cs, "0" * 64]) == [len(content), None]

    asyncio.run(main())


def test_folder_is_read_first_and_corrupt_copies_are_skipped(hashserver, tmp_path, caplog):
    only_in_folder, everywhere = b"folder only\n", b"valid on the server\n"
    cs_folder, cs_everywhere = calculate_checksum(only_in_folder), calculate_checksum(everywhere)
    (tmp_path / cs_folder).write_bytes(only_in_folder)
    (tmp_path / cs_everywhere).write_bytes(b"corrupt copy\n")
    _activate(hashserver, folder=tmp_path)

    async def main():
        await BufferClient(hashserver.url, readonly=False).write(cs_everywhere, everywhere)
        assert (await buffer_remote.get_buffer(cs_folder)).content == only_in_folder
        with caplog.at_level(logging.WARNING, logger="seamless_remote"):
            assert (await buffer_remote.get_buffer(cs_everywhere)).content == everywhere
        assert "corrupt" in caplog.text

    asyncio.run(main())


def test_folder_buffer_now_reads_folders_only_and_verified(hashserver, tmp_path):
    in_folder, on_server = b"read now from the folder\n", b"only on the server\n"
    cs_folder, cs_server = calculate_checksum(in_folder), calculate_checksum(on_server)
    cs_corrupt = calculate_checksum(b"right\n")
    (tmp_path / cs_folder).write_bytes(in_folder)
    (tmp_path / cs_corrupt).write_bytes(b"wrong\n")
    _activate(hashserver, folder=tmp_path)
    asyncio.run(BufferClient(hashserver.url, readonly=False).write(cs_server, on_server))
    buffer = buffer_remote.get_folder_buffer_now(cs_folder)
    assert isinstance(buffer, Buffer) and buffer.content == in_folder
    assert buffer_remote.get_folder_buffer_now(cs_server) is None  # servers: async get_buffer
    assert buffer_remote.get_folder_buffer_now(cs_corrupt) is None


def test_only_corrupt_copies_raise(tmp_path):
    cs = calculate_checksum(b"wanted\n")
    (tmp_path / cs).write_bytes(b"unwanted\n")
    define_extern_client("folder", "bufferfolder", directory=str(tmp_path))
    buffer_remote.activate(no_main=True, extern_clients=["folder"])
    with pytest.raises(CorruptBufferError):
        asyncio.run(buffer_remote.get_buffer(cs))


def test_seamless_core_resolve_and_write_go_through_seamless_remote(hashserver):
    _activate(hashserver)
    stored = b'"written by plain HTTP"\n'
    cs_stored = calculate_checksum(stored)
    asyncio.run(BufferClient(hashserver.url, readonly=False).write(cs_stored, stored))
    assert Checksum(cs_stored).resolve("str") == "written by plain HTTP"
    with pytest.raises(CacheMissError):
        Checksum(calculate_checksum(b"nowhere")).resolve()

    async def write_one():
        buffer = Buffer("written by seamless-core", "str")
        assert await buffer.write() is True
        return buffer.get_checksum().hex()

    cs_written = asyncio.run(write_one())
    gc.collect()
    assert (hashserver.directory / cs_written[:2] / cs_written).exists()
    assert Checksum(cs_written).resolve("str") == "written by seamless-core"


def test_1x_module_level_define_extern_client(hashserver, database):
    """Seamless 1.x code defines clients through the ``*_remote`` modules themselves."""
    from seamless_remote import database_remote

    buffer_remote.define_extern_client("hs", "hashserver", url=hashserver.url, readonly=False)
    database_remote.define_extern_client("db", "database", url=database.url, readonly=False)
    buffer_remote.activate(no_main=True, extern_clients=["hs"])
    database_remote.activate(no_main=True, extern_clients=["db"])
    content = b"defined the 1.x way\n"
    cs = Checksum(calculate_checksum(content))
    assert asyncio.run(buffer_remote.write_buffer(cs, content)) is True
    assert asyncio.run(buffer_remote.get_buffer(cs)).content == content
    tf = Checksum(calculate_checksum(b"a transformation"))
    assert asyncio.run(database_remote.set_transformation_result(tf, cs)) is True
    assert asyncio.run(database_remote.get_transformation_result(tf)) == cs

"""The harness's server fixtures start real servers that really store data."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from seamless_testing.servers import ServerHandle, ServerStartError, run_database, run_hashserver

PAYLOAD = b"hello seamless\n"
CHECKSUM = hashlib.sha256(PAYLOAD).hexdigest()
RESULT = hashlib.sha256(b"result").hexdigest()


def _request(url: str, *, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _db(url: str, method: str, body: dict) -> tuple[int, bytes]:
    return _request(url, method=method, data=json.dumps(body).encode())


def test_hashserver_put_get_roundtrip(hashserver: ServerHandle) -> None:
    assert hashserver.url == f"http://127.0.0.1:{hashserver.port}"
    assert _request(f"{hashserver.url}/{CHECKSUM}")[0] == 404
    assert _request(f"{hashserver.url}/{CHECKSUM}", method="PUT", data=PAYLOAD) == (200, b"OK")
    assert _request(f"{hashserver.url}/{CHECKSUM}") == (200, PAYLOAD)
    assert (hashserver.directory / CHECKSUM[:2] / CHECKSUM).read_bytes() == PAYLOAD


def test_database_put_get_roundtrip(database: ServerHandle) -> None:
    key = {"type": "transformation", "checksum": CHECKSUM}
    assert _db(database.url, "GET", key)[0] == 404
    assert _db(database.url, "PUT", {**key, "value": RESULT}) == (200, b"OK")
    assert _db(database.url, "GET", key) == (200, RESULT.encode())
    assert database.path.name == "seamless.db" and database.path.is_file()


def test_remote_clients_dict(remote_clients: dict, hashserver: ServerHandle, database) -> None:
    assert remote_clients == {
        "buffer": [{"url": hashserver.url, "readonly": False}],
        "database": [{"url": database.url, "readonly": False}],
    }


def test_session_servers_are_shared(
    remote_clients_session: dict, hashserver_session: ServerHandle
) -> None:
    url = remote_clients_session["buffer"][0]["url"]
    assert url == hashserver_session.url
    assert _request(f"{url}/{CHECKSUM}", method="PUT", data=PAYLOAD)[0] in (200, 201)
    assert _request(f"{url}/{CHECKSUM}") == (200, PAYLOAD)
    db_url = remote_clients_session["database"][0]["url"]
    assert _db(db_url, "GET", {"type": "protocol"}) == (200, b'["seamless", "database", "2.2"]')


def test_restart_keeps_port_and_data(tmp_path: Path) -> None:
    with run_database(tmp_path / "db" / "seamless.db") as db:
        key = {"type": "transformation", "checksum": CHECKSUM}
        assert _db(db.url, "PUT", {**key, "value": RESULT})[0] == 200
        port, pid = db.port, db.process.pid
        db.restart()
        assert db.port == port and db.process.pid != pid and db.is_running()
        assert _db(db.url, "GET", key) == (200, RESULT.encode())
    assert not db.is_running()


def test_stop_then_readonly_hashserver(tmp_path: Path) -> None:
    with run_hashserver(tmp_path / "buf") as hs:
        assert _request(f"{hs.url}/{CHECKSUM}", method="PUT", data=PAYLOAD)[0] == 200
        process = hs.process
    assert process.returncode is not None
    with run_hashserver(tmp_path / "buf", writable=False) as ro:
        assert _request(f"{ro.url}/{CHECKSUM}") == (200, PAYLOAD)
        assert _request(f"{ro.url}/{CHECKSUM}", method="PUT", data=PAYLOAD)[0] == 405


def test_start_failure_reports_log(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"
    with pytest.raises(ServerStartError) as info:
        with run_database(missing, writable=False, startup_timeout=20):
            pass
    message = str(info.value)
    assert "seamless-database exited with code" in message
    assert str(missing) in message  # the command line
    assert "log " in message


def test_public_names_sorted() -> None:
    from seamless_testing import heartbeat, plugin, registry_check, servers

    for module in (heartbeat, plugin, registry_check, servers):
        assert module.__all__ == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)

"""collect_remote_clients / set_remote_clients / set_remote_clients_from_env against a seamless_remote stub."""

from __future__ import annotations

import json

import pytest

import seamless_config
from seamless_config.errors import (
    FrozenConfigurationError,
    MissingDependencyError,
    RemoteClientsError,
)
from seamless_config.extern_clients import set_remote_clients_from_env


def test_collect_remote_clients(remote_stub) -> None:
    db = remote_stub.modules["database_remote"]
    buf = remote_stub.modules["buffer_remote"]
    db.inspect_extern_clients = lambda: [{"readonly": True, "url": "http://db", "directory": None}]
    db.inspect_launched_clients = lambda: [
        {"cluster": "elsewhere", "readonly": False, "url": "http://other"}
    ]
    buf.inspect_extern_clients = lambda: [{"readonly": True, "directory": "/buffers"}]
    buf.inspect_launched_clients = lambda: [
        {"cluster": "dummy-cluster", "readonly": False, "url": "http://hash"},
        {"cluster": "elsewhere", "readonly": False, "url": "http://nope"},
    ]
    assert seamless_config.collect_remote_clients("dummy-cluster") == {
        "database": [{"readonly": True, "url": "http://db"}],
        "buffer": [
            {"readonly": True, "directory": "/buffers"},
            {"readonly": False, "url": "http://hash"},
        ],
    }


def test_collect_accepts_objects(remote_stub) -> None:
    class Launched:
        cluster = "c"
        readonly = False
        url = "http://h"
        remote_url = "http://inside:1"
        directory = remote_directory = None

    remote_stub.modules["buffer_remote"].inspect_launched_clients = lambda: [Launched()]
    clients = seamless_config.collect_remote_clients("c")
    assert clients["buffer"] == [
        {"readonly": False, "url": "http://h", "remote_url": "http://inside:1"}
    ]


def test_collect_without_seamless_remote(no_remote) -> None:
    with pytest.raises(MissingDependencyError, match="seamless-remote"):
        seamless_config.collect_remote_clients("c")


def test_set_remote_clients_defines_and_freezes(remote_stub) -> None:
    seamless_config.set_remote_clients(
        {
            "database": [{"url": "http://db", "readonly": False}],
            "buffer": [
                {"directory": "/buffers", "readonly": False},
                {"url": "http://hash", "readonly": False},
            ],
        }
    )
    assert remote_stub.extern == [
        ("extern-db-0", "database", {"url": "http://db", "readonly": False}),
        ("extern-buffer-0", "bufferfolder", {"directory": "/buffers", "readonly": True}),
        ("extern-buffer-1", "hashserver", {"url": "http://hash", "readonly": False}),
    ]
    assert remote_stub.calls == [
        ("database_remote", "activate", {"no_main": True, "extern_clients": ["extern-db-0"]}),
        (
            "buffer_remote",
            "activate",
            {"no_main": True, "extern_clients": ["extern-buffer-0", "extern-buffer-1"]},
        ),
    ]
    assert seamless_config._remote_clients_set
    with pytest.raises(RuntimeError):
        seamless_config.set_stage()
    with pytest.raises(RuntimeError):
        seamless_config.set_workdir("/tmp")


def test_set_remote_clients_in_remote_view(remote_stub, monkeypatch) -> None:
    monkeypatch.setenv("HOME", "/home/me")
    seamless_config.set_remote_clients(
        {
            "database": [{"url": "http://outside", "remote_url": "http://inside"}],
            "buffer": [{"remote_directory": "~/buf", "remote_url": "http://hs", "readonly": True}],
        },
        in_remote=True,
    )
    assert remote_stub.extern == [
        ("extern-db-0", "database", {"url": "http://inside", "readonly": True}),
        ("extern-buffer-0-folder", "bufferfolder", {"directory": "/home/me/buf", "readonly": True}),
        (
            "extern-buffer-0-server",
            "hashserver",
            {"url": "http://hs", "readonly": True, "directory": "/home/me/buf"},
        ),
    ]


@pytest.mark.parametrize(
    "clients",
    [
        {"database": [{"readonly": True}]},
        {"buffer": [{"readonly": True, "remote_url": "http://x"}]},
    ],
)
def test_set_remote_clients_bad_entries(remote_stub, clients) -> None:
    with pytest.raises(RemoteClientsError) as info:
        seamless_config.set_remote_clients(clients)
    assert isinstance(info.value, ValueError)


def test_set_remote_clients_after_init_refused(workdir, remote_stub) -> None:
    with pytest.warns(UserWarning):
        seamless_config.init()
    with pytest.raises(FrozenConfigurationError):
        seamless_config.set_remote_clients({})


def test_from_env(remote_stub, monkeypatch) -> None:
    assert set_remote_clients_from_env() is False
    clients = {"database": [{"remote_url": "http://db"}], "buffer": []}
    monkeypatch.setenv("SEAMLESS_REMOTE_CLIENTS", json.dumps(clients))
    monkeypatch.setenv("SEAMLESS_CACHE", "/tmp/cache")
    assert set_remote_clients_from_env() is False
    monkeypatch.delenv("SEAMLESS_CACHE")
    assert set_remote_clients_from_env() is True
    assert remote_stub.extern == [
        ("extern-db-0", "database", {"url": "http://db", "readonly": True})
    ]


def test_from_env_bad_json(remote_stub, monkeypatch) -> None:
    monkeypatch.setenv("SEAMLESS_REMOTE_CLIENTS", "{not json")
    with pytest.raises(seamless_config.ConfigurationError, match="SEAMLESS_REMOTE_CLIENTS"):
        set_remote_clients_from_env()

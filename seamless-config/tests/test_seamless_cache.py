"""SEAMLESS_CACHE=DIR: the synthetic local cluster, its keys, and a real launch on loopback."""

from __future__ import annotations

import os
import sys
import urllib.request
import warnings
from pathlib import Path

import pytest
from conftest import demo_cluster
from seamless_testing.servers import stop_launched_services

import seamless_config
from seamless_config import launching, select, tools
from seamless_config.cluster import get_local_cluster
from seamless_config.config_files import SEAMLESS_CACHE_CLUSTER, load_config_files


def test_cache_cluster_selection(
    workdir, write_config, write_clusters, monkeypatch, tmp_path
) -> None:
    write_clusters({"demo": demo_cluster()})
    write_config([{"cluster": "demo"}, {"execution": "remote"}])  # skipped: SEAMLESS_CACHE wins
    monkeypatch.setenv("SEAMLESS_CACHE", "~/cache")
    load_config_files()
    assert seamless_config.get_seamless_cache() == str(Path(os.environ["HOME"]) / "cache")
    assert get_local_cluster() == SEAMLESS_CACHE_CLUSTER
    assert select.get_selected_cluster() == SEAMLESS_CACHE_CLUSTER
    assert select.get_selected_project() == select.PROJECT_TOPLEVEL
    assert select.get_execution() == "process" and select.get_persistent() is True
    assert select.get_source("persistent") == "environment"
    assert "SEAMLESS_CACHE=" in select.get_origin("persistent")
    assert not select.is_pure_dask_mode()
    monkeypatch.delenv("SEAMLESS_CACHE")
    load_config_files()  # back to the command files: nothing of the cache survives
    assert select.get_selected_cluster() == "demo" and get_local_cluster() is None
    assert select.get_execution() == "remote"


def test_cache_keeps_manual_project(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / "c"))
    select.select_project("mine")
    load_config_files()
    assert select.get_selected_project() == "mine"


def test_cache_launch_dicts(monkeypatch, tmp_path) -> None:
    from remote_http_launcher import Configuration

    cache = tmp_path / "cache"
    monkeypatch.setenv("SEAMLESS_CACHE", str(cache))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_config_files()
    hs = tools.configure_hashserver("rw")
    db = tools.configure_database("rw")
    for conf in (hs, db):
        assert not {"hostname", "ssh_hostname", "tunnel", "conda", "port_start", "port_end"} & set(
            conf
        )
        assert conf["network_interface"] == "127.0.0.1"
    assert hs["workdir"] == f"{cache}/__TOPLEVEL__"
    hs_key = Configuration.from_mapping(hs).key
    db_key = Configuration.from_mapping(db).key
    assert hs_key.startswith("hashserver-__SEAMLESS_CACHE__-") and hs_key.endswith(
        "-rw-__TOPLEVEL__"
    )
    assert db_key.startswith("database-__SEAMLESS_CACHE__-")
    monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / "other"))
    load_config_files()
    assert Configuration.from_mapping(tools.configure_hashserver("rw")).key != hs_key
    monkeypatch.setenv("SEAMLESS_CACHE", str(cache) + "/")  # same directory, same key
    load_config_files()
    assert Configuration.from_mapping(tools.configure_hashserver("rw")).key == hs_key


def test_init_with_cache_activates_storage(monkeypatch, tmp_path, remote_stub, workdir) -> None:
    monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / "c"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        seamless_config.init()
    assert not record
    assert remote_stub.activated() == ["buffer_remote", "database_remote"]


# ------------------------------------------------------------------ real launch


def _listening(port: int) -> list[str]:
    """Local addresses (dotted IPv4) listening on ``port``, from /proc/net/tcp."""
    result = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hexport = local.split(":")
        if state == "0A" and int(hexport, 16) == port:
            result.append(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return result


@pytest.mark.timeout(180)
def test_real_launch_per_cache_directory(monkeypatch, tmp_path, home) -> None:
    """Each SEAMLESS_CACHE directory gets its own hashserver (and database) on 127.0.0.1."""
    import remote_http_launcher

    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ.get('PATH', '')}")
    launched: list[str] = []
    try:
        payloads = {}
        for name in ("one", "two"):
            monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / name))
            load_config_files()
            conf = tools.configure_hashserver("rw")
            key = remote_http_launcher.Configuration.from_mapping(conf).key
            launched.append(key)
            # launching.launch is what Seamless uses: its retry covers a server that reports
            # "running" and exits because another process took its random port before it bound
            payload = launching.launch(conf)
            payloads[name] = (key, payload)
            assert payload["hostname"] == "127.0.0.1"
            with urllib.request.urlopen(
                f"http://127.0.0.1:{payload['port']}/healthcheck", timeout=10
            ) as reply:
                assert reply.status == 200
            assert _listening(payload["port"]) == ["127.0.0.1"]
            assert (tmp_path / name / "__TOPLEVEL__").is_dir()
        (key1, p1), (key2, p2) = payloads["one"], payloads["two"]
        assert key1 != key2 and p1["port"] != p2["port"]
        # the database of a cache binds loopback too (Seamless 1.x bound 0.0.0.0)
        db_conf = tools.configure_database("rw")
        db_key = remote_http_launcher.Configuration.from_mapping(db_conf).key
        launched.append(db_key)
        db = launching.launch(db_conf)
        assert _listening(db["port"]) == ["127.0.0.1"]
        assert (tmp_path / "two" / "__TOPLEVEL__" / "seamless.db").exists()
        # switching back to the first directory reuses its own server
        monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / "one"))
        load_config_files()
        again = launching.launch(tools.configure_hashserver("rw"), fresh=True)
        assert again["port"] == p1["port"]
    finally:
        for key in launched:
            stop_launched_services(home, [key])

"""The daskserver handle built from a launch dict and the launcher payload (pure logic)."""

from __future__ import annotations

from seamless_remote import daskserver_remote


def test_handle_from_launch_dict_and_payload():
    conf = {
        "key": "daskserver-demo-rw-proj",
        "cluster_string": "distributed::LocalCluster",
        "file_parameters": {"cores": "4", "interactive": "yes"},
    }
    payload = {"hostname": "127.0.0.1", "port": 8786, "dashboard_port": 8787}
    remote_clients = {"buffer": [{"readonly": False, "url": "http://127.0.0.1:1"}], "database": []}
    handle = daskserver_remote.build_handle(
        conf, payload, cluster="demo", remote_clients=remote_clients
    )
    assert handle.scheduler_address == "tcp://127.0.0.1:8786"
    assert handle.dashboard_url == "http://127.0.0.1:8787"
    assert (handle.cores, handle.interactive, handle.is_local_cluster) == (4, True, True)
    assert handle.remote_clients == remote_clients


def test_activate_respects_disabled_and_no_main(monkeypatch):
    daskserver_remote.activate(no_main=True)
    monkeypatch.setattr(daskserver_remote, "DISABLED", True)
    daskserver_remote.activate()
    assert daskserver_remote.get_daskserver_handle() is None
    daskserver_remote.deactivate()

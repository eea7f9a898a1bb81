"""Pure-Dask mode: the trigger matrix, the launch dict, activation and the guard flag."""

from __future__ import annotations

import warnings

import pytest
from conftest import QUEUE, demo_cluster
from remote_http_launcher import Configuration

import seamless_config
from seamless_config import pure_daskserver, select, tools
from seamless_config.cluster import define_clusters
from seamless_config.errors import ConfigurationError, PureDaskModeError


@pytest.fixture
def disabled(monkeypatch):
    monkeypatch.setattr(pure_daskserver, "DISABLED", True)


def init_quietly() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seamless_config.init()


# cluster services, config commands -> expected outcome
MATRIX = [
    # pure-Dask: cluster + execution remote (default or explicit) + daskserver + persistent false
    ({"daskserver": True}, [{"persistent": False}], "pure"),
    ({"daskserver": True}, [{"persistent": False}, {"execution": "remote"}], "pure"),
    (
        {"daskserver": True, "jobserver": True},
        [{"persistent": False}, {"remote": "daskserver"}],
        "pure",
    ),
    # not pure-Dask
    ({"daskserver": True}, [], "persistent"),
    ({"daskserver": True}, [{"persistent": True}], "persistent"),
    ({"daskserver": True}, [{"persistent": False}, {"execution": "process"}], "plain"),
    ({"daskserver": True}, [{"persistent": False}, {"execution": "spawn"}], "spawn"),
    # pure-Dask selected but impossible: the error says what to change
    ({"jobserver": True}, [{"persistent": False}], "error:remote target is 'jobserver'"),
    (
        {"daskserver": True, "jobserver": True},
        [{"persistent": False}],
        "error:both a jobserver and a daskserver",
    ),
    (
        {"daskserver": True, "jobserver": True},
        [{"persistent": False}, {"remote": "jobserver"}],
        "error:remote target is 'jobserver'",
    ),
    ({}, [{"persistent": False}], "error:has no daskserver"),
]


@pytest.mark.parametrize(("services", "commands", "outcome"), MATRIX)
def test_trigger_matrix(
    workdir,
    write_config,
    write_clusters,
    remote_stub,
    disabled,
    monkeypatch,
    services,
    commands,
    outcome,
) -> None:
    spawned = []
    monkeypatch.setattr("seamless_config.activation._spawn", lambda: spawned.append(True))
    write_clusters({"demo": demo_cluster(**services)})
    write_config([{"cluster": "demo"}, {"project": "p"}, *commands])
    if outcome.startswith("error:"):
        with pytest.raises(ConfigurationError, match=outcome[len("error:") :]) as info:
            init_quietly()
        if "both" not in outcome:
            assert isinstance(info.value, PureDaskModeError)
            assert "persistent: true" in str(info.value) and "execution: process" in str(info.value)
        assert remote_stub.activated() == []
        return
    init_quietly()
    assert select.is_pure_dask_mode() == (outcome == "pure")
    assert pure_daskserver.is_active() == (outcome == "pure")
    if outcome == "pure":
        assert remote_stub.activated() == []  # no hashserver, no database, no job server
        reason = select.pure_dask_reason()
        assert "cluster 'demo' (from" in reason and "seamless.yaml entry 1" in reason
        assert "persistent false (from" in reason
    else:
        assert select.pure_dask_reason() is None
    if outcome == "persistent":
        assert remote_stub.activated() == ["buffer_remote", "database_remote", "daskserver_remote"]
    if outcome in ("plain", "spawn"):
        assert remote_stub.activated() == []
    assert bool(spawned) == (outcome == "spawn")


def test_pure_dask_mode_in_python_calls_names_them() -> None:
    select.select_cluster("demo")
    select.select_persistent(False)
    reason = select.pure_dask_reason()
    assert "execution 'remote' (the default, because a cluster is selected)" in reason
    assert "persistent false (from a Python call)" in reason


def test_pure_daskserver_launch_dict() -> None:
    queues = {
        "default": dict(QUEUE),
        "big": {"TEMPLATE": "default", "cores": 16, "worker_threads": 4, "processes": 8},
    }
    define_clusters({"demo": demo_cluster(daskserver=True, queues=queues, workers=3)})
    select.select_cluster("demo")
    select.select_project("ignored-in-key")
    select.select_stage("ignored-too")
    select.select_record(True)
    conf = tools.configure_pure_daskserver(cluster="demo")
    assert Configuration.from_mapping(conf).key == "pure-daskserver-demo-default"
    assert conf["key"] == "pure-daskserver-demo-default"
    assert conf["log_file"] == "~/.remote-http-launcher/logs/demo/pure-daskserver-default.log"
    assert conf["cluster_string"] == "distributed::LocalCluster"
    assert conf["handshake"] == {"path": "health", "port_name": "dashboard_port"}
    assert conf["workdir"] == "/tmp"
    params = conf["file_parameters"]
    assert params["pure_dask"] is True
    assert params["worker_threads"] == 2  # pure-Dask default
    assert "processes" not in params  # the wrapper defaults to cores in pure mode
    assert "record" not in params
    assert params["exclusive"] is False
    assert not any(k in conf for k in ("hashserver", "database", "bufferdir", "database_dir"))
    assert conf["meta"] == {"service": "pure-daskserver", "cluster": "demo", "queue": "default"}
    big = tools.configure_pure_daskserver(cluster="demo", queue="big")
    assert big["key"] == "pure-daskserver-demo-big"
    assert (big["file_parameters"]["worker_threads"], big["file_parameters"]["processes"]) == (4, 8)
    select.select_queue("big")
    assert tools.configure_pure_daskserver()["key"] == "pure-daskserver-demo-big"


def test_pure_daskserver_exclusive_slurm() -> None:
    """Quirk 7.6 fixed: exclusive queues keep `exclusive` and get --exclusive on SLURM."""
    queues = {
        "default": dict(QUEUE),
        "node": {"TEMPLATE": "default", "exclusive": True, "cores": None},
    }
    define_clusters({"demo": demo_cluster(daskserver=True, type="slurm", queues=queues)})
    params = tools.configure_pure_daskserver(cluster="demo", queue="node")["file_parameters"]
    assert params["exclusive"] is True
    assert "--exclusive" in params["job_extra_directives"]


def test_pure_daskserver_needs_cluster() -> None:
    with pytest.raises(ConfigurationError, match="No cluster defined"):
        tools.configure_pure_daskserver()


def test_disabled_activate_launches_nothing(monkeypatch, disabled) -> None:
    import remote_http_launcher

    monkeypatch.setattr(remote_http_launcher, "run", lambda conf: pytest.fail("launched"))
    assert pure_daskserver.activate() is None
    assert pure_daskserver.is_active() and pure_daskserver.get_client() is None
    pure_daskserver.deactivate()
    assert not pure_daskserver.is_active()


@pytest.mark.timeout(120)
def test_activate_connects_a_plain_client(
    workdir, write_config, write_clusters, monkeypatch, caplog
) -> None:
    """Activation with the launcher replaced by a real in-process Dask scheduler."""
    import distributed
    import remote_http_launcher

    write_clusters({"demo": demo_cluster(daskserver=True)})
    write_config([{"cluster": "demo"}, {"persistent": False}, {"project": "p"}])
    launched = []
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=":0",
        host="127.0.0.1",
        scheduler_port=0,
    ) as cluster:
        host, port = cluster.scheduler_address.rsplit(":", 1)

        def fake_run(conf):
            launched.append(conf)
            return {"hostname": "127.0.0.1", "port": int(port), "dashboard_port": 8787}

        monkeypatch.setattr(remote_http_launcher, "run", fake_run)
        init_quietly()
        client = pure_daskserver.get_client()
        assert isinstance(client, distributed.Client)
        assert client.submit(lambda x: x + 1, 41).result(timeout=30) == 42
        assert distributed.default_client() is client
        assert [c["key"] for c in launched] == ["pure-daskserver-demo-default"]
        # a notice (logged; pytest's handlers receive it, see test_notices.py)
        assert [r.getMessage() for r in caplog.records if r.name == "seamless_config.notices"] == [
            "Dask dashboard: http://127.0.0.1:8787"
        ]
        pure_daskserver.activate()  # memoised per config: no second launch
        assert len(launched) == 1
        seamless_config.set_stage("other")  # a stage change deactivates, then re-activates
        assert pure_daskserver.get_client() is not None and pure_daskserver.is_active()
        pure_daskserver.deactivate()
        assert pure_daskserver.get_client() is None and client.status == "closed"


def test_missing_distributed_is_a_clear_error(monkeypatch) -> None:
    import sys

    define_clusters({"demo": demo_cluster(daskserver=True)})
    select.select_cluster("demo")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"seamless-config\[pure-dask\]"):
        pure_daskserver.activate()

"""Defaults and source tracking of the selection, the execution checks, and remote redundancy."""

from __future__ import annotations

import warnings

import pytest
from conftest import QUEUE, demo_cluster

import seamless_config
from seamless_config import select
from seamless_config.config_files import load_config_files
from seamless_config.errors import ConfigurationError, InvalidSelectionError


def messages(record) -> str:
    return "\n".join(str(w.message) for w in record)


def test_no_files_init_warns_and_falls_back_to_process(workdir) -> None:
    with pytest.warns(UserWarning) as record:
        seamless_config.init()
    text = messages(record)
    assert "falls back to 'process'" in text
    assert "No cluster defined; running without persistence" in text
    assert select.get_execution() == "process"
    assert seamless_config._initialized is True


def test_execution_default_follows_cluster() -> None:
    assert select.get_execution() == "process"
    select.select_cluster("demo")  # not even defined: the default only looks at the selection
    assert select.get_execution() == "remote"
    select.select_execution("process")
    assert select.get_execution() == "process"
    assert select.execution_was_set_explicitly()


def test_persistent_default_follows_cluster() -> None:
    assert select.get_persistent() is False
    assert select.get_persistent(cluster="other") is True
    select.select_cluster("demo")
    assert select.get_persistent() is True
    assert not select.persistent_was_set_explicitly()


@pytest.mark.parametrize("source", ["manual", "command"])
def test_explicit_persistent_wins_both_ways(workdir, write_config, write_clusters, source) -> None:
    write_clusters({"demo": demo_cluster()})  # a used cluster must be defined
    if source == "command":
        write_config([{"cluster": "demo"}, {"persistent": False}])
        load_config_files()
    else:
        select.select_cluster("demo")
        select.select_persistent(False)
    assert select.get_persistent() is False
    assert select.persistent_was_set_explicitly()
    select.select_cluster(None)
    select.select_persistent(True)
    assert select.get_persistent() is True


def test_explicit_execution_wins_both_ways(workdir, write_config, write_clusters) -> None:
    write_clusters({"demo": demo_cluster()})  # a used cluster must be defined
    write_config([{"cluster": "demo"}, {"execution": "process"}])
    load_config_files()
    assert select.get_execution() == "process"
    write_config([{"execution": "remote"}])
    load_config_files()
    assert select.get_selected_cluster() is None
    assert select.get_execution() == "remote"


def test_undefined_cluster_with_process_and_not_persistent_is_fine(workdir, write_config) -> None:
    write_config([{"cluster": "demo"}, {"execution": "process"}, {"persistent": False}])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        seamless_config.init()
    assert select.get_persistent() is False
    assert "No cluster defined" not in messages(record)
    assert "No 'execution' command" not in messages(record)


def test_cluster_default_warns_remote(workdir, write_config, write_clusters, remote_stub) -> None:
    write_clusters({"demo": demo_cluster(jobserver=True)})
    write_config([{"cluster": "demo"}, {"project": "p"}])
    with pytest.warns(UserWarning, match="defaults to 'remote' because a cluster is defined"):
        seamless_config.init()
    assert select.get_execution() == "remote"


def test_record_default_and_command(workdir, write_config) -> None:
    assert select.get_record() is False
    write_config([{"execution": "process"}, {"record": True}])
    load_config_files()
    assert select.get_record() is True


def test_persistent_true_without_cluster_is_an_error(workdir, write_config) -> None:
    write_config([{"execution": "process"}, {"persistent": True}])
    with pytest.raises(ConfigurationError, match="persistent true needs a cluster"):
        seamless_config.init()
    assert seamless_config._initialized is False


def test_persistent_false_without_cluster_is_quiet(workdir, write_config) -> None:
    write_config([{"execution": "process"}, {"persistent": False}])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        seamless_config.init()
    assert not record


def test_execution_remote_without_cluster_is_an_error(workdir, write_config) -> None:
    write_config([{"execution": "remote"}, {"project": "p"}])
    with pytest.raises(ConfigurationError, match="needs a cluster"):
        seamless_config.init()


def test_remote_without_cluster_is_accepted(workdir, write_config) -> None:
    write_config([{"remote": "jobserver"}, {"execution": "process"}, {"persistent": False}])
    seamless_config.init()
    assert select.get_remote() == "jobserver"


def test_queue_selection_and_builder(workdir, write_config, write_clusters, remote_stub) -> None:
    queues = {
        "default": dict(QUEUE),
        "gpu": {"TEMPLATE": "default", "walltime": "00:20:00"},
    }
    write_clusters({"demo": demo_cluster(jobserver=True, daskserver=True, queues=queues)})
    write_config(
        [{"cluster": "demo"}, {"remote": "daskserver"}, {"queue": "gpu"}, {"project": "demo"}]
    )
    with pytest.warns(UserWarning):
        seamless_config.init()
    assert select.get_queue() == "gpu"
    from seamless_config.tools import configure_daskserver

    assert configure_daskserver()["file_parameters"]["walltime"] == "00:20:00"
    assert select.get_queue(cluster="other") is None


def test_queue_forgotten_when_cluster_loses_it(workdir, write_clusters) -> None:
    write_clusters({"demo": demo_cluster(daskserver=True)})
    load_config_files()
    select.select_cluster("demo")
    select.select_queue("default")
    write_clusters({"demo": demo_cluster(daskserver=True, queues={"other": dict(QUEUE)})})
    load_config_files()
    assert select.get_queue() is None


def test_selector_validation() -> None:
    for call, value in [
        (select.select_execution, "cloud"),
        (select.select_persistent, 1),
        (select.select_record, "no"),
        (select.select_remote, "worker"),
        (select.select_node, ""),
        (select.select_nparallel, True),
        (select.select_cluster, "a--b"),
        (select.select_project, None),
        (select.select_stage, "x/y"),
        (select.select_substage, "STAGE-1"),
        (select.select_queue, "q"),
    ]:
        with pytest.raises(InvalidSelectionError):
            call(value)
    with pytest.raises(InvalidSelectionError, match="source"):
        select.select_execution("process", source="elsewhere")


def test_nparallel_getters() -> None:
    assert select.get_nparallel() is None
    with pytest.raises(ConfigurationError, match="nparallel: N"):
        seamless_config.get_nparallel()
    seamless_config.set_nparallel(5)
    assert seamless_config.get_nparallel() == 5 and select.get_nparallel() == 5


def test_get_current() -> None:
    with pytest.raises(ConfigurationError, match="No cluster defined"):
        select.get_current()
    select.select_cluster("c")
    with pytest.raises(ConfigurationError, match="No project defined"):
        select.get_current()
    select.select_project("p")
    select.select_subproject("s")
    select.select_stage("st")
    select.select_substage("ss")
    assert select.get_current() == ("c", "p", "s", "st", "ss")
    assert select.get_current(subproject="", stage="", substage="") == ("c", "p", None, None, None)
    assert select.get_current("c2", "p2") == ("c2", "p2", "s", "st", "ss")


def test_resetters_only_reset_non_manual(workdir, write_config) -> None:
    write_config([{"execution": "spawn"}, {"node": "n1"}])
    load_config_files()
    select.select_record(True)
    select.reset_execution_before_load()
    select.reset_node_before_load()
    select.reset_record_before_load()
    assert select.get_execution() == "process" and select.get_source("execution") is None
    assert select.get_node() is None
    assert select.get_record() is True  # manual


# ------------------------------------------------------------------ remote redundancy


def test_both_servers_on_one_frontend_needs_remote(
    workdir, write_config, write_clusters, remote_stub
) -> None:
    write_clusters({"demo": demo_cluster(jobserver=True, daskserver=True)})
    write_config([{"cluster": "demo"}, {"project": "p"}])
    with (
        pytest.warns(UserWarning),
        pytest.raises(ConfigurationError, match="frontend 'frontend'.*both"),
    ):
        seamless_config.init()


def test_redundancy_check_does_not_need_seamless_remote(
    workdir, write_config, write_clusters, no_remote
) -> None:
    """Quirk 7.4 fixed: the check runs before anything is imported."""
    write_clusters({"demo": demo_cluster(jobserver=True, daskserver=True)})
    write_config([{"cluster": "demo"}, {"project": "p"}, {"execution": "remote"}])
    with pytest.raises(ConfigurationError, match="both a jobserver and a daskserver"):
        seamless_config.init()


def test_both_servers_with_remote_choice(
    workdir, write_config, write_clusters, remote_stub
) -> None:
    write_clusters({"demo": demo_cluster(jobserver=True, daskserver=True)})
    write_config(
        [{"cluster": "demo"}, {"project": "p"}, {"remote": "jobserver"}, {"execution": "remote"}]
    )
    seamless_config.init()
    assert remote_stub.activated() == ["buffer_remote", "database_remote", "jobserver_remote"]


def test_both_servers_spread_over_frontends(write_clusters) -> None:
    cluster = demo_cluster(jobserver=True)
    cluster["frontends"].append(
        {"hostname": "other", "daskserver": {"port_start": 1, "port_end": 2}}
    )
    write_clusters({"demo": cluster})
    load_config_files()
    with pytest.raises(ConfigurationError, match="cluster 'demo' has both"):
        select.check_remote_redundancy("demo")


@pytest.mark.parametrize(
    ("kind", "expected"), [("jobserver", "jobserver"), ("daskserver", "daskserver"), (None, None)]
)
def test_check_remote_redundancy_single(write_clusters, kind, expected) -> None:
    write_clusters({"demo": demo_cluster(**({kind: True} if kind else {}))})
    load_config_files()
    assert select.check_remote_redundancy("demo") == expected
    select.select_remote("jobserver")
    assert select.check_remote_redundancy("demo") == "jobserver"

"""The command language: files, order, stage blocks, every command, and every kind of bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from conftest import demo_cluster, write_yaml

import seamless_config
from seamless_config import select
from seamless_config.config_files import load_config_files
from seamless_config.errors import ConfigFileError, ConfigurationError, UnknownClusterError


def load() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_config_files()


def test_no_files_means_defaults(workdir: Path) -> None:
    load()
    assert select.get_selected_cluster() is None
    assert select.get_execution() == "process"
    assert select.get_persistent() is False


def test_every_selection_command(workdir, write_config, write_clusters) -> None:
    write_clusters(
        {
            "demo": demo_cluster(
                daskserver=True,
                type="slurm",
                queues={"default": {**_queue(), "cores": 2}, "gpu": {**_queue(), "cores": 1}},
            )
        }
    )
    write_config(
        [
            {"cluster": "demo"},
            {"project": "atlas"},
            {"subproject": "fold/x"},
            {"execution": "spawn"},
            {"queue": "gpu"},
            {"remote": "daskserver"},
            {"persistent": False},
            {"record": True},
            {"node": "node7"},
            {"nparallel": 4},
        ]
    )
    load()
    assert select.get_selected_cluster() == "demo"
    assert select.get_selected_project() == "atlas"
    assert select.get_selected_subproject() == "fold/x"
    assert select.get_execution() == "spawn"
    assert select.get_queue() == "gpu"
    assert select.get_remote() == "daskserver"
    assert select.get_persistent() is False
    assert select.get_record() is True
    assert select.get_node() == "node7"
    assert seamless_config.get_nparallel() == 4
    for name in (
        "execution",
        "queue",
        "remote",
        "persistent",
        "record",
        "node",
        "cluster",
        "project",
    ):
        assert select.get_source(name) == "command", name
        assert select.get_origin(name).startswith(str(workdir / "seamless.yaml") + " entry "), name
    assert (
        select.execution_command_seen()
        and select.persistent_command_seen()
        and select.record_command_seen()
    )


def _queue() -> dict:
    return {
        "walltime": "01:00:00",
        "memory": "1GB",
        "unknown_task_duration": "1m",
        "target_duration": "5m",
        "maximum_jobs": 1,
    }


def test_null_arguments(workdir, write_config) -> None:
    select.select_cluster("x")
    select.select_node("n")
    write_config([{"cluster": None}, {"remote": None}, {"node": None}, "inherit_from_parent"])
    load()
    assert select.get_selected_cluster() is None
    assert select.get_remote() is None and select.get_node() is None


def test_profile_overrides_seamless_yaml(workdir, write_config) -> None:
    write_config([{"project": "committed"}, {"execution": "spawn"}])
    write_config([{"execution": "process"}], profile=True)
    load()
    assert select.get_selected_project() == "committed"
    assert select.get_execution() == "process"
    assert str(workdir / "seamless.profile.yaml") in select.get_origin("execution")


def test_inherit_from_parent_reads_parents_first(tmp_path, write_config) -> None:
    parent = tmp_path / "atlas"
    child = parent / "fold"
    child.mkdir(parents=True)
    write_yaml(tmp_path / "seamless.yaml", [{"project": "grandparent-never-read"}])
    write_yaml(
        parent / "seamless.yaml", [{"project": "atlas"}, {"nparallel": 8}, {"execution": "spawn"}]
    )
    write_yaml(child / "seamless.yaml", ["inherit_from_parent", {"subproject": "fold"}])
    write_yaml(child / "seamless.profile.yaml", [{"execution": "process"}])
    seamless_config.set_workdir(str(child))
    load()
    assert (
        select.get_selected_project() == "atlas"
    )  # the grandparent is not read: no inherit in atlas/
    assert select.get_selected_subproject() == "fold"
    assert select.get_nparallel() == 8
    assert select.get_execution() == "process"


def test_without_inherit_parent_is_not_read(tmp_path) -> None:
    child = tmp_path / "child"
    child.mkdir()
    write_yaml(tmp_path / "seamless.yaml", [{"project": "parent"}])
    seamless_config.set_workdir(str(child))
    load()
    assert select.get_selected_project() is None


def test_stage_blocks(workdir, write_config) -> None:
    write_config(
        [
            {"project": "p"},
            {"execution": "process"},
            {"stage gpu": [{"execution": "spawn"}, {"stage gpu": [{"record": True}]}]},
            {"stageprod": [{"project": "prod"}]},
        ]
    )
    load()
    assert (select.get_execution(), select.get_record(), select.get_selected_project()) == (
        "process",
        False,
        "p",
    )
    select.select_stage("gpu")
    load()
    assert (select.get_execution(), select.get_record()) == ("spawn", True)
    assert "stage gpu" in select.get_origin("record")
    select.select_stage("prod")
    load()
    assert select.get_selected_project() == "prod"


def test_stage_block_selection_does_not_survive_stage_switch(
    workdir, write_config, write_clusters
) -> None:
    """Quirk 7.2 fixed: a cluster/project chosen in a stage block is gone in other stages."""
    write_clusters({"demo": demo_cluster()})
    write_config(
        [
            {"project": "p"},
            {"execution": "process"},
            {"persistent": False},
            {"stage s": [{"cluster": "demo"}, {"subproject": "sub"}, {"project": "q"}]},
        ]
    )
    seamless_config.set_stage("s")
    assert (
        select.get_selected_cluster(),
        select.get_selected_project(),
        select.get_selected_subproject(),
    ) == ("demo", "q", "sub")
    seamless_config.set_stage(None)
    assert select.get_selected_cluster() is None
    assert select.get_selected_project() == "p"
    assert select.get_selected_subproject() is None


def test_manual_values_survive_reload_until_a_command_sets_them(workdir, write_config) -> None:
    select.select_execution("spawn")
    select.select_project("manual")
    load()
    assert select.get_execution() == "spawn" and select.get_source("execution") == "manual"
    assert select.get_selected_project() == "manual"
    write_config([{"execution": "process"}])
    load()
    assert select.get_execution() == "process" and select.get_source("execution") == "command"
    write_config([])
    load()
    assert select.get_execution() == "process" and select.get_source("execution") is None


def test_nparallel_persists_across_reloads(workdir, write_config) -> None:
    write_config([{"nparallel": 3}])
    load()
    write_config([])
    load()
    assert select.get_nparallel() == 3


def test_inline_clusters_run_first_and_merge(workdir, write_config, write_clusters) -> None:
    write_clusters({"demo": demo_cluster(), "other": demo_cluster(workers=9)})
    write_config(
        [
            {"cluster": "demo"},  # before the clusters command, yet it sees the inline definition
            {"queue": "inline"},
            {
                "clusters": {
                    "demo": demo_cluster(
                        daskserver=True, queues={"inline": {**_queue(), "cores": 1}}
                    )
                }
            },
        ]
    )
    load()
    from seamless_config.cluster import get_cluster

    assert select.get_queue() == "inline"
    assert get_cluster("other").workers == 9
    assert "inline" in get_cluster("demo").queues


def test_cluster_change_clears_queue(workdir, write_clusters) -> None:
    write_clusters({"demo": demo_cluster(daskserver=True), "b": demo_cluster(daskserver=True)})
    load()
    select.select_cluster("demo")
    select.select_queue("default")
    select.select_cluster("demo")
    assert select.get_queue() == "default"
    select.select_cluster("b")
    assert select.get_queue() is None


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("project: p\n", "must contain a YAML list"),
        ([{"project": "p", "execution": "process"}], "exactly one key"),
        ([{1: "p"}], "exactly one key"),
        ([["project"]], "exactly one key"),
        ([{"frobnicate": 1}], "unknown command 'frobnicate'"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        ([{"stage": [{"project": "p"}]}], "stage block needs a name"),
        ([{"stage   ": [{"project": "p"}]}], "stage block needs a name"),
        ([{"stage x": {"project": "p"}}], "must hold a list"),
        ([{"stage x": [{"frobnicate": 1}]}], "unknown command 'frobnicate'"),
        ([{"project": 3}], "expects str"),
        ([{"project": None}], "expects str"),
        ([{"persistent": "yes"}], "expects bool"),
        ([{"record": 1}], "expects bool"),
        ([{"nparallel": True}], "expects int"),
        ([{"nparallel": "4"}], "expects int"),
        ([{"clusters": ["x"]}], "expects mapping"),
        ([{"inherit_from_parent": True}], "expects no argument"),
        ([{"execution": "cluster"}], "execution must be one of"),
        ([{"remote": "worker"}], "remote must be null"),
        ([{"nparallel": 0}], "nparallel must be an integer >= 1"),
        ([{"node": "  "}], "node name may not contain ' '"),
        ([{"project": "a--b"}], "may not contain '--'"),
        ([{"project": "STAGE-x"}], "may not contain 'STAGE-'"),
        ([{"cluster": "a/b"}], "may not contain '/'"),
        ([{"subproject": "a--b"}], "may not contain '--'"),
        ([{"queue": "q"}], "needs a selected cluster"),
        ("- project: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_entries_name_file_entry_and_expectation(
    workdir, write_config, content, fragment
) -> None:
    path = write_config(content)
    with pytest.raises(ConfigFileError) as info:
        load_config_files()
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    if not isinstance(content, str):
        assert "entry 1" in message
    assert isinstance(info.value, ValueError)


def test_subproject_may_contain_slash(workdir, write_config) -> None:
    write_config([{"subproject": "a/b"}])
    load()
    assert select.get_selected_subproject() == "a/b"


def test_error_in_second_file_names_it(workdir, write_config) -> None:
    write_config([{"project": "p"}])
    path = write_config([{"project": "q"}, {"execution": "nope"}], profile=True)
    with pytest.raises(ConfigFileError, match="entry 2") as info:
        load_config_files()
    assert str(path) in str(info.value)


def test_unknown_queue_and_cluster_without_queues(workdir, write_config, write_clusters) -> None:
    write_clusters({"demo": demo_cluster(daskserver=True)})
    write_config([{"cluster": "demo"}, {"queue": "missing"}])
    with pytest.raises(ValueError, match="no such queue.*missing"):
        load_config_files()
    write_clusters({"demo": demo_cluster(daskserver=True, queues={})})
    write_config([{"cluster": "demo"}, {"queue": "default"}])
    with pytest.raises(ValueError, match="no such queue"):
        load_config_files()
    write_config([{"cluster": "undefined"}, {"queue": "default"}])
    with pytest.raises(ValueError, match="not defined"):
        load_config_files()


def test_failed_load_leaves_previous_selection_intact(
    workdir, write_config, write_clusters
) -> None:
    write_clusters({"demo": demo_cluster()})
    write_config(
        [{"cluster": "demo"}, {"project": "good"}, {"execution": "process"}, {"nparallel": 2}]
    )
    load()
    write_clusters({"demo": demo_cluster(), "fresh": demo_cluster()})
    write_config(
        [
            {"cluster": None},
            {"project": "half"},
            {"execution": "spawn"},
            {"nparallel": 9},
            {"persistent": False},
            {"remote": "bogus"},
        ]
    )
    with pytest.raises(ConfigFileError, match="entry 6"):
        load_config_files()
    assert select.get_selected_cluster() == "demo"
    assert select.get_selected_project() == "good"
    assert select.get_execution() == "process"
    assert select.get_nparallel() == 2
    assert not select.persistent_was_set_explicitly()
    from seamless_config.cluster import get_cluster_registry

    assert "fresh" not in get_cluster_registry().current.clusters


def test_failed_set_stage_keeps_stage_and_selection(workdir, write_config) -> None:
    write_config(
        [{"project": "p"}, {"execution": "process"}, {"stage bad": [{"execution": "nope"}]}]
    )
    seamless_config.set_stage(None)
    with pytest.raises(ConfigFileError):
        seamless_config.set_stage("bad")
    assert select.get_stage() is None
    assert select.get_selected_project() == "p"


def test_set_stage_validates_names(workdir) -> None:
    with pytest.raises(ConfigurationError, match="STAGE-"):
        seamless_config.set_stage("STAGE-x")
    with pytest.raises(ValueError, match="'/'"):
        seamless_config.set_stage("a", "b/c")
    assert select.get_stage() is None


@pytest.mark.filterwarnings("ignore:No 'execution' command found")
@pytest.mark.filterwarnings("ignore:No cluster defined")
def test_set_stage_to_unknown_cluster_changes_nothing(workdir, write_config, remote_stub) -> None:
    """Issue 14 item 1: the example of the issue, checked when the selection is applied."""
    path = write_config([{"project": "p"}, {"stage bad": [{"cluster": "nosuch"}]}])
    seamless_config.set_stage(None)
    with pytest.raises(UnknownClusterError) as info:
        seamless_config.set_stage("bad")
    message = str(info.value)
    assert f"{path} entry 2/stage bad/1: cluster 'nosuch' is not defined" in message
    assert isinstance(info.value, ConfigFileError)  # a bad entry of a command file, too
    assert select.get_stage() is None
    assert select.get_selected_cluster() is None
    assert select.get_execution() == "process"
    assert remote_stub.activated() == []

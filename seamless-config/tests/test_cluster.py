"""Cluster files and definitions: merging, strict fields, queues and TEMPLATE, local_cluster."""

from __future__ import annotations

import pytest
from conftest import QUEUE, demo_cluster

from seamless_config import cluster
from seamless_config.config_files import load_config_files
from seamless_config.errors import ClusterDefinitionError, UnknownClusterError


def test_files_merge_whole_entries(write_clusters) -> None:
    write_clusters({"a": demo_cluster(workers=1), "b": demo_cluster(workers=2)})
    write_clusters({"b": demo_cluster(workers=3)}, name="20-override")
    write_clusters({"c": demo_cluster(workers=4), "local_cluster": "c"}, name="10-extra")
    load_config_files()
    assert cluster.get_cluster("a").workers == 1
    assert cluster.get_cluster("b").workers == 3
    assert cluster.get_local_cluster() == "c"


def test_empty_cluster_file_is_an_empty_mapping(write_clusters) -> None:
    """Quirk 7.11 fixed."""
    write_clusters("")
    write_clusters({"a": demo_cluster()}, name="a")
    load_config_files()
    assert cluster.get_cluster("a").name == "a"


def test_cluster_file_must_be_a_mapping(write_clusters) -> None:
    path = write_clusters("- a\n- b\n")
    with pytest.raises(ClusterDefinitionError, match="must be a mapping") as info:
        load_config_files()
    assert str(path) in str(info.value)


def test_get_cluster_unknown() -> None:
    with pytest.raises(KeyError) as info:
        cluster.get_cluster("nope")
    assert isinstance(info.value, UnknownClusterError)
    assert "cluster 'nope' is not defined" in str(info.value)


def test_local_cluster_reset_on_redefinition() -> None:
    """Quirk 7.12 fixed: a definition without local_cluster has none."""
    cluster.define_clusters({"a": demo_cluster(), "local_cluster": "a"})
    assert cluster.get_local_cluster() == "a"
    cluster.define_clusters({"a": demo_cluster()})
    assert cluster.get_local_cluster() is None


def test_local_cluster_must_be_defined() -> None:
    with pytest.raises(ClusterDefinitionError, match="local_cluster must name a defined cluster"):
        cluster.define_clusters({"a": demo_cluster(), "local_cluster": "b"})


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda c: c.update(pure_dask=True), "unknown cluster field(s) pure_dask"),
        (lambda c: c["frontends"][0].update(colour="red"), "unknown frontend field(s) colour"),
        (
            lambda c: c["frontends"][0]["daskserver"].update(pure_dask=True),
            "unknown service field(s) pure_dask",
        ),
        (lambda c: c["queues"]["default"].update(gpus=1), "unknown queue field(s) gpus"),
        (lambda c: c.pop("frontends"), "'frontends' is required"),
        (lambda c: c.update(frontends=[]), "non-empty list"),
        (lambda c: c.update(type="kubernetes"), "cluster type must be one of"),
        (lambda c: c.update(workers="four"), "expected int"),
        (lambda c: c.update(tunnel="yes"), "expected bool"),
        (lambda c: c["frontends"][0]["daskserver"].pop("port_end"), "'port_end' is required"),
        (lambda c: c["queues"]["default"].pop("memory"), "'memory' is required"),
        (lambda c: c["queues"]["default"].update(TEMPLATE="nope"), "TEMPLATE 'nope'"),
        (
            lambda c: c["queues"]["default"].update(exclusive=True, job_cores=2),
            "must not set job_cores",
        ),
        (lambda c: c.update(queues=["x"]), "queues must be a mapping"),
    ],
)
def test_bad_cluster_definitions(write_clusters, mutate, fragment) -> None:
    definition = demo_cluster(daskserver=True)
    mutate(definition)
    path = write_clusters({"demo": definition})
    with pytest.raises(ClusterDefinitionError) as info:
        load_config_files()
    assert fragment in str(info.value)
    assert str(path) in str(info.value) and "cluster 'demo'" in str(info.value)
    assert isinstance(info.value, TypeError)


def test_hashserver_ports_together(write_clusters) -> None:
    definition = demo_cluster()
    definition["frontends"][0]["hashserver"] = {"bufferdir": "/b", "port_start": 1}
    write_clusters({"demo": definition})
    with pytest.raises(ClusterDefinitionError, match="together"):
        load_config_files()


def test_hostname_required_unless_local(write_clusters) -> None:
    definition = demo_cluster(type="slurm", jobserver=True)
    del definition["frontends"][0]["hostname"]
    write_clusters({"demo": definition})
    with pytest.raises(ClusterDefinitionError, match="'hostname' is required"):
        load_config_files()
    definition["type"] = "local"
    write_clusters({"demo": definition})
    load_config_files()
    assert cluster.get_cluster("demo").frontends[0].hostname == "localhost"


def test_service_defaults_bind_loopback_and_conda_optional(write_clusters) -> None:
    definition = demo_cluster()
    definition["frontends"][0].update(
        hashserver={"bufferdir": "/b"},
        database={"database_dir": "/d"},
        jobserver={"port_start": 1, "port_end": 2},
        daskserver={"port_start": 3, "port_end": 4},
    )
    write_clusters({"demo": definition})
    load_config_files()
    frontend = cluster.get_cluster("demo").frontends[0]
    for service in (
        frontend.hashserver,
        frontend.database,
        frontend.jobserver,
        frontend.daskserver,
    ):
        assert service.network_interface == "127.0.0.1"
    assert frontend.jobserver.conda is None and frontend.hashserver.conda is None


def test_queue_without_template_keeps_defaults(write_clusters) -> None:
    """Quirk 7.5 fixed: omitted optional fields keep the declared defaults."""
    write_clusters({"demo": demo_cluster(daskserver=True)})
    load_config_files()
    queue = cluster.get_cluster("demo").queues["default"]
    assert (queue.tmpdir, queue.lifetime_stagger, queue.exclusive, queue.interactive) == (
        "/tmp",
        "4m",
        False,
        False,
    )


def test_queue_template_hyphens_and_null(write_clusters) -> None:
    queues = {
        "cpu": {**QUEUE, "job-extra-directives": ["--account=x"], "tmpdir": "/scratch"},
        "gpu": {"TEMPLATE": "cpu", "cores": 8, "dask-resources": {"GPU": 1}},
        "node": {"TEMPLATE": "gpu", "exclusive": True, "cores": None, "tmpdir": None},
    }
    write_clusters({"demo": demo_cluster(daskserver=True, type="slurm", queues=queues)})
    load_config_files()
    q = cluster.get_cluster("demo").queues
    assert q["cpu"].job_extra_directives == ["--account=x"]
    assert (
        q["gpu"].cores,
        q["gpu"].tmpdir,
        q["gpu"].job_extra_directives,
        q["gpu"].dask_resources,
    ) == (8, "/scratch", ["--account=x"], {"GPU": 1})
    assert (q["node"].exclusive, q["node"].cores, q["node"].tmpdir) == (True, None, None)


def test_cores_rules(write_clusters) -> None:
    no_cores = {k: v for k, v in QUEUE.items() if k != "cores"}
    write_clusters(
        {"demo": demo_cluster(daskserver=True, type="local", queues={"default": no_cores})}
    )
    load_config_files()
    write_clusters(
        {"demo": demo_cluster(daskserver=True, type="slurm", queues={"default": no_cores})}
    )
    with pytest.raises(ClusterDefinitionError, match="'cores' is required"):
        load_config_files()
    write_clusters(
        {
            "demo": demo_cluster(
                daskserver=True, type="local", queues={"default": {**no_cores, "exclusive": True}}
            )
        }
    )
    with pytest.raises(
        ClusterDefinitionError, match="exclusive queue on a local cluster needs cores"
    ):
        load_config_files()


def test_port_start_after_port_end(write_clusters) -> None:
    definition = demo_cluster(storage=True)
    definition["frontends"][0]["database"].update(port_start=10110, port_end=10100)
    path = write_clusters({"demo": definition})
    with pytest.raises(ClusterDefinitionError, match="port_start .10110. is greater") as info:
        load_config_files()
    assert f"{path}: cluster 'demo'.frontends[0].database" in str(info.value)


def test_port_out_of_range(write_clusters) -> None:
    definition = demo_cluster(jobserver=True)
    definition["frontends"][0]["jobserver"].update(port_start=60000, port_end=70000)
    write_clusters({"demo": definition})
    with pytest.raises(ClusterDefinitionError, match="port_end: a port must be between"):
        load_config_files()


def test_default_queue_must_name_a_queue(write_clusters) -> None:
    path = write_clusters({"demo": demo_cluster(daskserver=True, default_queue="gpu")})
    with pytest.raises(ClusterDefinitionError, match="default_queue names no queue") as info:
        load_config_files()
    message = str(info.value)
    assert f"{path}: cluster 'demo'" in message and "'gpu'" in message and "default" in message


@pytest.mark.parametrize("memory", ["lots", "8 gigs", "GB", ""])
def test_memory_must_be_a_size(write_clusters, memory: str) -> None:
    queues = {"default": {**QUEUE, "memory": memory}}
    path = write_clusters({"demo": demo_cluster(daskserver=True, queues=queues)})
    with pytest.raises(ClusterDefinitionError, match="memory is not a size") as info:
        load_config_files()
    assert f"{path}: cluster 'demo'.queues.default: memory" in str(info.value)


@pytest.mark.parametrize("memory", ["8GB", "8 GiB", "2000MB", "1.5T", "12g", "1e9"])
def test_memory_sizes_accepted(write_clusters, memory: str) -> None:
    queues = {"default": {**QUEUE, "memory": memory}}
    write_clusters({"demo": demo_cluster(daskserver=True, queues=queues)})
    load_config_files()
    assert cluster.get_cluster("demo").queues["default"].memory == memory

"""Launch dicts: two-stage templating, keys as evaluated by remote-http-launcher, builder rules."""

from __future__ import annotations

import pytest
from conftest import QUEUE, demo_cluster
from remote_http_launcher import Configuration

from seamless_config import select, tools
from seamless_config.cluster import define_clusters
from seamless_config.config_files import load_tools
from seamless_config.errors import ClusterDefinitionError, ConfigurationError


def key_of(conf: dict) -> str:
    return Configuration.from_mapping(conf).key


def command_of(conf: dict) -> str:
    """The command as the launcher evaluates it (status_file filled in)."""
    cfg = Configuration.from_mapping(conf)
    from remote_http_launcher import _evaluate_template

    return _evaluate_template(cfg.command_template, {**cfg.namespace, "status_file": "/S.json"})


@pytest.fixture
def storage_cluster():
    define_clusters(
        {
            "demo": demo_cluster(
                storage=True,
                jobserver=True,
                daskserver=True,
                type="slurm",
                queues={"default": dict(QUEUE)},
            )
        }
    )
    select.select_cluster("demo")
    select.select_project("myproject")


def test_dollar_re() -> None:
    assert tools.DOLLAR_RE.findall("a$CLUSTER-$MODE{x}$_x1 $9 $") == ["CLUSTER", "MODE", "_x1"]


def test_builtin_tools() -> None:
    loaded = load_tools()
    assert set(loaded) == {"hashserver", "database", "jobserver", "daskserver", "pure_daskserver"}
    assert loaded["pure_daskserver"]["key_template"] == "pure-daskserver-$CLUSTER-$QUEUE"


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_hashserver_smoke(storage_cluster, mode) -> None:
    conf = tools.configure_hashserver(mode, cluster="demo", project="myproject")
    for key in (
        "hostname",
        "network_interface",
        "conda",
        "port_start",
        "port_end",
        "timeout",
        "workdir",
        "key",
        "command",
        "handshake",
    ):
        assert key in conf, key
    assert conf["hostname"] == "frontend" and conf["conda"] == "hashserver"
    assert (conf["port_start"], conf["port_end"]) == (10000, 10010)
    assert conf["handshake"] == "healthcheck"
    assert f"if '{mode}' == 'rw'" in conf["command"]
    assert f"-{mode}-" in conf["key"]
    assert key_of(conf) == f"hashserver-demo-{mode}-myproject"
    assert conf["workdir"] == "/data/buffers/myproject"
    assert conf["log_file"] == "~/.remote-http-launcher/logs/demo/myproject/hashserver.log"
    assert "tunnel" not in conf and "ssh_hostname" not in conf
    assert conf["meta"] == {
        "service": "hashserver",
        "cluster": "demo",
        "mode": mode,
        "project": "myproject",
    }
    command = command_of(conf)
    assert command.startswith(
        "hashserver --port-range 10000 10010 --status-file /S.json --host 127.0.0.1 --timeout 600 /data/buffers/myproject"
    )
    assert command.endswith(" --writable") == (mode == "rw")


def test_keys_with_subproject_stage_substage(storage_cluster) -> None:
    select.select_subproject("fold/x")
    select.select_stage("gpu")
    select.select_substage("s1")
    assert (
        key_of(tools.configure_hashserver("rw"))
        == "hashserver-demo-rw-myproject--fold--x--STAGE-gpu"
    )
    db = tools.configure_database("ro")
    assert key_of(db) == "database-demo-ro-myproject--fold--x--STAGE-gpu"
    assert db["workdir"] == "/data/db/myproject/fold/x/STAGE-gpu"
    assert command_of(db).endswith("--timeout 600 /data/db/myproject/fold/x/STAGE-gpu/seamless.db")
    assert "conda" not in db  # no conda configured: the launcher uses the current environment
    js = tools.configure_jobserver(remote_clients={"database": [], "buffer": []})
    assert key_of(js) == "jobserver-demo-rw-myproject--fold--x--STAGE-gpuSUBSTAGE-s1"
    assert (
        js["log_file"]
        == "~/.remote-http-launcher/logs/demo/myproject/fold/x/STAGE-gpuSUBSTAGE-s1/jobserver.log"
    )
    ds = tools.configure_daskserver()
    assert key_of(ds) == "daskserver-demo-rw-myproject--fold--x--STAGE-gpuSUBSTAGE-s1"
    assert (
        key_of(tools.configure_hashserver("rw", subproject="", stage=""))
        == "hashserver-demo-rw-myproject"
    )


def test_jobserver_dict(storage_cluster, remote_stub) -> None:
    select.select_record(True)
    conf = tools.configure_jobserver()
    assert conf["file_parameters"] == {"database": [], "buffer": [], "record": True}
    assert conf["workers"] == 1 and conf["conda"] == "jobenv"
    assert (
        command_of(conf)
        == "seamless-jobserver --workers 1 --port-range 3000 3010 --status-file /S.json --host lo --timeout 600"
    )
    assert conf["handshake"] == "healthcheck"


def test_jobserver_needs_workers(storage_cluster) -> None:
    define_clusters({"demo": demo_cluster(jobserver=True, workers=None)})
    with pytest.raises(ConfigurationError, match="no 'workers'"):
        tools.configure_jobserver(remote_clients={})


def test_daskserver_dict(storage_cluster) -> None:
    conf = tools.configure_daskserver()
    assert conf["cluster_string"] == "dask_jobqueue::SLURMCluster"
    assert conf["conda"] == "daskenv"
    assert conf["handshake"] == {"path": "health", "port_name": "dashboard_port"}
    params = conf["file_parameters"]
    assert params == {
        "walltime": "01:00:00",
        "exclusive": False,
        "cores": 4,
        "memory": "8GB",
        "tmpdir": "/tmp",
        "unknown-task-duration": "1m",
        "target-duration": "5m",
        "lifetime-stagger": "4m",
        "interactive": False,
        "maximum_jobs": 2,
        "record": False,
    }
    assert command_of(conf) == (
        "seamless-dask-wrapper dask_jobqueue::SLURMCluster --port-range 3100 3110 --status-file /S.json --host lo --timeout 600"
    )


def test_daskserver_node_and_exclusive(storage_cluster) -> None:
    queues = {
        "default": {**QUEUE, "job_extra_directives": ["--nodelist=n1"]},
        "node": {"TEMPLATE": "default", "exclusive": True, "cores": None},
        "excl4": {"TEMPLATE": "default", "exclusive": True},
    }
    define_clusters({"demo": demo_cluster(daskserver=True, type="slurm", queues=queues)})
    select.select_node("n1")
    params = tools.configure_daskserver()["file_parameters"]
    assert params["job_extra_directives"] == ["--nodelist=n1"]
    select.select_queue("node")
    params = tools.configure_daskserver()["file_parameters"]
    assert params["job_extra_directives"] == ["--nodelist=n1", "--exclusive"]
    assert "cores" not in params and params["exclusive"] is True
    select.select_queue("excl4")
    assert tools.configure_daskserver()["file_parameters"]["job_cores"] == 4
    define_clusters(
        {
            "demo": demo_cluster(
                daskserver=True, type="oar", queues=queues, memory_per_core_property_name="mem"
            )
        }
    )
    select.select_queue("node")
    params = tools.configure_daskserver()["file_parameters"]
    assert params["resource_spec"] == "/nodes=1"
    assert "-p host='n1'" in params["job_extra_directives"]
    assert params["memory_per_core_property_name"] == "mem"
    define_clusters({"demo": demo_cluster(daskserver=True, type="local")})
    with pytest.raises(ConfigurationError, match="node selection needs a slurm or oar cluster"):
        tools.configure_daskserver()


def test_killable_queue(storage_cluster) -> None:
    """A queue's `killable: true` reaches the Dask wrapper; without it (the default) the
    parameters are those of 1.x; pure-Dask mode does not take it."""
    queues = {
        "default": dict(QUEUE),
        "stoppable": {"TEMPLATE": "default", "killable": True},
    }
    define_clusters({"demo": demo_cluster(daskserver=True, type="slurm", queues=queues)})
    assert "killable" not in tools.configure_daskserver()["file_parameters"]
    select.select_queue("stoppable")
    assert tools.configure_daskserver()["file_parameters"]["killable"] is True
    assert "killable" not in tools.configure_pure_daskserver()["file_parameters"]
    with pytest.raises(ClusterDefinitionError, match="expected bool"):
        define_clusters(
            {"demo": demo_cluster(daskserver=True, queues={"q": {**QUEUE, "killable": "yes"}})}
        )


def test_slurm_node_selection(storage_cluster) -> None:
    select.select_node("node123")
    assert (
        "--nodelist=node123"
        in tools.configure_daskserver(cluster="demo")["file_parameters"]["job_extra_directives"]
    )


def test_local_type_cores_fallback_and_conda_optional(storage_cluster) -> None:
    queue = {k: v for k, v in QUEUE.items() if k not in ("cores", "conda")}
    define_clusters({"demo": demo_cluster(daskserver=True, workers=6, queues={"default": queue})})
    conf = tools.configure_daskserver()
    assert conf["file_parameters"]["cores"] == 6
    assert conf["cluster_string"] == "distributed::LocalCluster"
    assert "conda" not in conf


def test_tunnel_kept_for_remote_clusters_removed_for_local(storage_cluster) -> None:
    definition = demo_cluster(daskserver=True, tunnel=True)
    definition["frontends"][0].update(hostname="remote-frontend", ssh_hostname="remote-login")
    define_clusters({"demo": definition})
    conf = tools.configure_daskserver(cluster="demo", project="demo")
    assert (conf["hostname"], conf["ssh_hostname"], conf["tunnel"]) == (
        "remote-frontend",
        "remote-login",
        True,
    )
    assert conf["cluster_string"] == "distributed::LocalCluster"
    define_clusters({"demo": definition, "local_cluster": "demo"})
    conf = tools.configure_daskserver(cluster="demo", project="demo")
    assert not {"hostname", "ssh_hostname", "tunnel"} & set(conf)


def test_cluster_named_local_is_not_special() -> None:
    remote = demo_cluster(storage=True)
    remote["frontends"][0]["hostname"] = "remote-frontend"
    define_clusters(
        {
            "local": remote,
            "actual-local": demo_cluster(storage=True),
            "local_cluster": "actual-local",
        }
    )
    assert (
        tools.configure_hashserver("rw", cluster="local", project="p")["hostname"]
        == "remote-frontend"
    )
    assert "hostname" not in tools.configure_hashserver("rw", cluster="actual-local", project="p")


def test_builder_errors(storage_cluster) -> None:
    define_clusters({"demo": demo_cluster(), "typeless": demo_cluster(daskserver=True, type=None)})
    with pytest.raises(ConfigurationError, match="no frontend with a hashserver"):
        tools.configure_hashserver("rw")
    with pytest.raises(ConfigurationError, match="mode must be 'ro' or 'rw'"):
        tools.configure_hashserver("rx")
    with pytest.raises(ConfigurationError, match="needs a type"):
        tools.configure_pure_daskserver(cluster="typeless")
    with pytest.raises(KeyError, match="not defined"):
        tools.configure_hashserver("rw", cluster="ghost")
    select.select_cluster(None)
    with pytest.raises(ConfigurationError, match="No cluster defined"):
        tools.configure_database("rw")


def test_frontend_name(storage_cluster) -> None:
    definition = demo_cluster(storage=True)
    second = dict(definition["frontends"][0], hostname="second")
    second["hashserver"] = {"bufferdir": "/second"}
    definition["frontends"].append(second)
    define_clusters({"demo": definition})
    assert tools.configure_hashserver("rw")["hostname"] == "frontend"
    assert (
        tools.configure_hashserver("rw", frontend_name="second")["workdir"] == "/second/myproject"
    )
    with pytest.raises(ConfigurationError, match="frontend named 'third'"):
        tools.configure_hashserver("rw", frontend_name="third")


def test_queue_errors(storage_cluster) -> None:
    definition = demo_cluster(daskserver=True, queues={})
    definition["default_queue"] = "default"
    with pytest.raises(ClusterDefinitionError, match="default_queue names no queue"):
        define_clusters({"demo": definition})
    definition = demo_cluster(daskserver=True)
    del definition["default_queue"]
    define_clusters({"demo": definition})
    with pytest.raises(ConfigurationError, match="no default_queue"):
        tools.configure_daskserver()


def test_substitution_replaces_only_dollar_names_and_checks_each_value() -> None:
    """string.Template with the 1.x syntax: ``$IDENT`` only; ``${...}``, ``$$``, ``$9`` and a
    lone ``$`` stay as they are (the launcher evaluates ``{...}``; shells see the rest)."""
    text = "a $X-${Y} $$ $9 $ {Z} $X_1$X"
    injected = {"X": "xx", "X_1": "one"}
    assert tools._substitute(text, injected, tool="t", key="k") == "a xx-${Y} $$ $9 $ {Z} onexx"
    with pytest.raises(ConfigurationError, match=r"t\.k.*\$NOPE is not injected.*injected: X"):
        tools._substitute("$NOPE", {"X": "x"}, tool="t", key="k")
    # an injected value is data: one that could change the launcher template is refused
    with pytest.raises(ConfigurationError, match=r"t\.k \$X"):
        tools._substitute("run $X", {"X": "{evil}"}, tool="t", key="k")
    # a value that is not used is not checked
    assert tools._substitute("plain", {"X": "{unused}"}, tool="t", key="k") == "plain"


def test_define_tools_and_missing_added() -> None:
    tools.define_tools(
        {
            "hashserver": {
                "ADDED": ["hostname", "extra"],
                "INJECTED": ["CLUSTER"],
                "key_template": "k-$CLUSTER",
            }
        }
    )
    define_clusters({"demo": demo_cluster(storage=True)})
    with pytest.raises(ValueError, match="ADDED key 'extra'"):
        tools.configure_hashserver("rw", cluster="demo", project="p")
    tools.define_tools({"hashserver": {"ADDED": [], "INJECTED": [], "key_template": "k-$NOPE"}})
    with pytest.raises(ConfigurationError, match=r"\$NOPE is not injected"):
        tools.configure_hashserver("rw", cluster="demo", project="p")
    with pytest.raises(ConfigurationError):
        tools.define_tools(["x"])  # type: ignore[arg-type]

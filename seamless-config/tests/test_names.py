"""Configuration names and values are data: hostile ones are refused, naming file and entry.

The hostile expression below runs a shell command when remote-http-launcher evaluates it as
part of a key template (the control test shows it does). Every way a name or value reaches a
launch key is tried; each is refused and the marker file never appears.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import QUEUE, write_yaml

import seamless_config
from seamless_config import select, tools
from seamless_config.config_files import load_config_files
from seamless_config.errors import ConfigurationError, InvalidSelectionError, UnsafeValueError
from seamless_config.names import check_name, name_problem, template_value


def expression(marker: Path) -> str:
    """A Python expression that creates ``marker`` through os.system, without builtins."""
    return (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
        f".__init__.__globals__['system']('touch {marker}')"
    )


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "MARKER"
    yield path
    assert not path.exists(), "a configuration value was run as code"


def hostile_names(marker: Path) -> list[str]:
    return [
        "evil{" + expression(marker) + "}",
        "x$(touch " + str(marker) + ")",
        "it's",
        'say"hi"',
        "back\\slash",
        "..",
        ".hidden",
        "-flag",
        "a b",
        "new\nline",
    ]


def test_the_expression_runs_when_the_launcher_evaluates_it(tmp_path: Path) -> None:
    """Control: without our checks, a key template with this name runs the command."""
    import remote_http_launcher

    target = tmp_path / "ran"
    remote_http_launcher._evaluate_template("k-{" + expression(target) + "}", {})
    assert target.exists()


# ------------------------------------------------------------------ the rules


@pytest.mark.parametrize(
    "name", ["a", "A1", "_x", "my-project", "v1.2", "__TOPLEVEL__", "__SEAMLESS_CACHE__"]
)
@pytest.mark.parametrize("kind", ["cluster", "project", "stage", "substage", "queue", "node"])
def test_valid_names(kind: str, name: str) -> None:
    assert check_name(kind, name) == name


@pytest.mark.parametrize("kind", ["cluster", "project", "stage", "substage", "queue", "node"])
def test_invalid_names(kind: str, marker: Path) -> None:
    for name in [*hostile_names(marker), "", "a/b", None, 3]:
        with pytest.raises(InvalidSelectionError) as info:
            check_name(kind, name)
        assert info.value.key == kind


def test_reserved_sequences_keep_the_1x_rules() -> None:
    for kind in ("cluster", "project", "subproject", "stage", "substage"):
        assert "'--'" in name_problem(kind, "a--b")
        assert "'STAGE-'" in name_problem(kind, "STAGE-x")
    assert name_problem("queue", "a--b") is None and name_problem("node", "n--1") is None


def test_subproject_segments() -> None:
    assert check_name("subproject", "fold/run-1") == "fold/run-1"
    for bad in ("a//b", "/a", "a/", "a/../b", "a/.x", "a/-x", "a/{x}"):
        with pytest.raises(InvalidSelectionError):
            check_name("subproject", bad)


def test_template_value_refuses_fstring_syntax() -> None:
    assert template_value("/data/buffers", what="x") == "/data/buffers"
    assert template_value(10, what="x") == "10"
    for bad in ("{x}", "a}", "it's", 'a"b', "a\\b", "a\nb"):
        with pytest.raises(UnsafeValueError) as info:
            template_value(bad, what="hashserver.bufferdir")
        assert info.value.key == "hashserver.bufferdir"


# ------------------------------------------------------------------ where names are read


def _assert_names(error: BaseException, *fragments: str) -> None:
    message = str(error)
    for fragment in fragments:
        assert fragment in message, message


def test_hostile_cluster_name_in_cluster_file(home, write_clusters, marker, workdir) -> None:
    for name in hostile_names(marker):
        path = write_clusters({name: {"type": "local", "frontends": [{}]}})
        with pytest.raises(ConfigurationError) as info:
            load_config_files()
        _assert_names(info.value, str(path), "cluster")


def test_hostile_cluster_name_in_committed_seamless_yaml(write_config, marker) -> None:
    """The issue's case: a `- clusters:` block of a committed seamless.yaml."""
    for name in hostile_names(marker):
        path = write_config(
            [{"clusters": {name: {"type": "local", "frontends": [{}]}}}, {"cluster": name}]
        )
        with pytest.raises(ConfigurationError) as info:
            load_config_files()
        _assert_names(info.value, str(path), "entry 1")


@pytest.mark.parametrize("command", ["cluster", "project", "subproject", "node"])
def test_hostile_selection_commands(write_config, marker, command: str) -> None:
    for name in hostile_names(marker):
        path = write_config([{"project": "p"}, {command: name}])
        with pytest.raises(ConfigurationError) as info:
            load_config_files()
        _assert_names(info.value, str(path), "entry 2", command)


def test_hostile_stage_block_name(write_config, marker) -> None:
    for name in hostile_names(marker):
        if "\n" in name:
            continue  # a stage key with a newline is not a `stage NAME` key any more
        path = write_config([{"project": "p"}, {f"stage {name}": [{"project": "q"}]}])
        with pytest.raises(ConfigurationError) as info:
            load_config_files()
        _assert_names(info.value, str(path), "entry 2", "stage")


def test_hostile_stage_and_substage_selection(marker) -> None:
    for name in hostile_names(marker):
        with pytest.raises(InvalidSelectionError):
            seamless_config.set_stage(name)
        with pytest.raises(InvalidSelectionError):
            select.select_substage(name)


def _daskserver_cluster(**queue_fields) -> dict:
    return {
        "type": "slurm",
        "frontends": [
            {
                "hostname": "login",
                "hashserver": {"bufferdir": "/data/b"},
                "database": {"database_dir": "/data/d"},
                "daskserver": {"port_start": 4000, "port_end": 4010},
            }
        ],
        "default_queue": "q",
        "queues": {"q": {**QUEUE, **queue_fields}},
    }


def test_hostile_queue_names(write_clusters, write_config, marker, workdir) -> None:
    for name in hostile_names(marker):
        cluster = _daskserver_cluster()
        cluster["queues"] = {name: dict(QUEUE)}
        path = write_clusters({"hpc": cluster})
        with pytest.raises(ConfigurationError) as info:
            load_config_files()
        _assert_names(info.value, str(path), "cluster 'hpc'", "queue")
        cluster = _daskserver_cluster()
        cluster["default_queue"] = name
        path = write_clusters({"hpc": cluster})
        with pytest.raises(ConfigurationError) as info:
            load_config_files()
        _assert_names(info.value, str(path), "default_queue")


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("hashserver", "bufferdir"),
        ("hashserver", "conda"),
        ("database", "database_dir"),
        ("frontend", "hostname"),
        ("frontend", "ssh_hostname"),
    ],
)
def test_hostile_values_that_reach_launch_dicts(
    write_clusters, marker, workdir, section, field
) -> None:
    value = "/x{" + expression(marker) + "}"
    cluster = _daskserver_cluster()
    frontend = cluster["frontends"][0]
    (frontend if section == "frontend" else frontend[section])[field] = value
    path = write_clusters({"hpc": cluster})
    with pytest.raises(ConfigurationError) as info:
        load_config_files()
    _assert_names(info.value, str(path), "cluster 'hpc'", field)


def test_hostile_queue_conda(write_clusters, marker, workdir) -> None:
    path = write_clusters({"hpc": _daskserver_cluster(conda="e{" + expression(marker) + "}")})
    with pytest.raises(ConfigurationError) as info:
        load_config_files()
    _assert_names(info.value, str(path), "queues.q", "conda")


# ------------------------------------------------------------------ keys built directly


def test_builders_refuse_hostile_arguments(write_clusters, marker, workdir) -> None:
    write_clusters({"hpc": _daskserver_cluster()})
    load_config_files()
    from remote_http_launcher import Configuration

    good = tools.configure_hashserver("rw", cluster="hpc", project="p")
    assert Configuration.from_mapping(good).key == "hashserver-hpc-rw-p"
    for name in hostile_names(marker):
        for kwargs in (
            {"project": name},
            {"project": "p", "subproject": name},
            {"project": "p", "stage": name},
        ):
            for builder in (tools.configure_hashserver, tools.configure_database):
                with pytest.raises(ConfigurationError):
                    builder("rw", cluster="hpc", **kwargs)
            with pytest.raises(ConfigurationError):
                tools.configure_daskserver(cluster="hpc", **kwargs)
        with pytest.raises(ConfigurationError):
            tools.configure_daskserver(cluster="hpc", project="p", substage=name)
        with pytest.raises(ConfigurationError):
            tools.configure_pure_daskserver(cluster="hpc", queue=name)
        with pytest.raises(ConfigurationError):
            tools.configure_hashserver("rw", cluster=name, project="p")


@pytest.mark.parametrize(
    "tool", ["hashserver", "database", "jobserver", "daskserver", "pure_daskserver"]
)
def test_every_injected_value_passes_the_template_check(tool: str, marker: Path) -> None:
    """The second line of defence: an unchecked value injected into any tool's templates."""
    entry = tools.load_builtin_tools()[tool]
    added = dict.fromkeys(entry["ADDED"], "x")
    for variable in entry["INJECTED"]:
        injected = dict.fromkeys(entry["INJECTED"], "ok")
        injected[variable] = "v{" + expression(marker) + "}"
        with pytest.raises(UnsafeValueError) as info:
            tools._render(tool, added, injected)
        assert f"${variable}" in str(info.value)
    hostile_added = {**added, entry["ADDED"][0]: "h{" + expression(marker) + "}"}
    with pytest.raises(UnsafeValueError):
        tools._render(tool, hostile_added, dict.fromkeys(entry["INJECTED"], "ok"))


def test_seamless_cache_directory_with_template_syntax(monkeypatch, tmp_path, marker) -> None:
    monkeypatch.setenv("SEAMLESS_CACHE", str(tmp_path / ("c{" + expression(marker) + "}")))
    with pytest.raises(ConfigurationError) as info:
        load_config_files()
        tools.configure_hashserver("rw")
    _assert_names(info.value, "SEAMLESS_CACHE")


# ------------------------------------------------------------------ seamless-service-resolve


def _resolve(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "seamless_config.cli.service_resolve", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


@pytest.mark.timeout(120)
def test_service_resolve_refuses_hostile_names(home, tmp_path, marker) -> None:
    evil = "evil{" + expression(marker) + "}"
    write_yaml(home / ".seamless" / "clusters.yaml", {"hpc": _daskserver_cluster()})
    ok = _resolve(
        home, "--service", "hashserver", "--cluster", "hpc", "--project", "p", cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["key"] == "hashserver-hpc-rw-p"
    for args in (
        ["--cluster", evil, "--project", "p"],
        ["--cluster", "hpc", "--project", evil],
        ["--cluster", "hpc", "--project", "p", "--subproject", evil],
        ["--cluster", "hpc", "--project", "p", "--stage", evil],
    ):
        for service in ("hashserver", "database", "daskserver"):
            done = _resolve(home, "--service", service, *args, cwd=tmp_path)
            assert done.returncode == 1, (args, done.stdout)
            assert "seamless-service-resolve:" in done.stderr and "name" in done.stderr
    done = _resolve(
        home, "--service", "pure-daskserver", "--cluster", "hpc", "--queue", evil, cwd=tmp_path
    )
    assert done.returncode == 1
    # a hostile cluster in the cluster file: refused with the file named
    write_yaml(home / ".seamless" / "clusters.yaml", {evil: _daskserver_cluster()})
    done = _resolve(
        home, "--service", "hashserver", "--cluster", "hpc", "--project", "p", cwd=tmp_path
    )
    assert done.returncode == 1 and "clusters.yaml" in done.stderr
    # and in a committed seamless.yaml read with --workdir
    write_yaml(home / ".seamless" / "clusters.yaml", {"hpc": _daskserver_cluster()})
    project = tmp_path / "proj"
    write_yaml(project / "seamless.yaml", [{"project": evil}, {"cluster": "hpc"}])
    done = _resolve(home, "--service", "hashserver", "--workdir", str(project), cwd=tmp_path)
    assert done.returncode == 1
    assert str(project / "seamless.yaml") in done.stderr and "entry 1" in done.stderr
    assert yaml.safe_load((project / "seamless.yaml").read_text())[0]["project"] == evil

"""Activation on stage changes: persistent mode through seamless_remote, substages, workdir, spawn."""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path

import pytest
from conftest import demo_cluster, write_yaml

import seamless_config
from seamless_config import select
from seamless_config.errors import ConfigurationError, MissingDependencyError
from seamless_config.hooks import get_hook_registry, register_hook


def quietly(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


@pytest.fixture
def persistent_config(workdir, write_config, write_clusters):
    write_clusters({"demo": demo_cluster(storage=True, daskserver=True)})
    write_config([{"cluster": "demo"}, {"project": "p"}, {"stage work": [{"subproject": "w"}]}])


def test_persistent_activation_order(persistent_config, remote_stub) -> None:
    quietly(seamless_config.init)
    assert remote_stub.activated() == ["buffer_remote", "database_remote", "daskserver_remote"]
    assert seamless_config._initialized


def test_persistent_process_activates_storage_only(
    persistent_config, write_config, remote_stub
) -> None:
    write_config([{"cluster": "demo"}, {"project": "p"}, {"execution": "process"}])
    seamless_config.init()
    assert remote_stub.activated() == ["buffer_remote", "database_remote"]


def test_disabled_flags_are_honoured(persistent_config, remote_stub) -> None:
    remote_stub.modules["buffer_remote"].DISABLED = True
    remote_stub.modules["daskserver_remote"].DISABLED = True
    quietly(seamless_config.init)
    assert remote_stub.activated() == ["database_remote"]


def test_missing_seamless_remote_is_a_clear_error(persistent_config, no_remote) -> None:
    with pytest.raises(MissingDependencyError) as info:
        quietly(seamless_config.init)
    message = str(info.value)
    assert (
        "seamless-remote" in message
        and "persistent: false" in message
        and "cluster 'demo'" in message
    )
    assert isinstance(info.value, ImportError)


def test_remote_without_job_server_warns(
    workdir, write_config, write_clusters, remote_stub
) -> None:
    write_clusters({"demo": demo_cluster(storage=True)})
    write_config([{"cluster": "demo"}, {"project": "p"}, {"execution": "remote"}])
    with pytest.warns(UserWarning, match="neither a jobserver nor a daskserver"):
        seamless_config.init()
    assert remote_stub.activated() == ["buffer_remote", "database_remote"]


def test_undefined_cluster_cannot_be_activated(workdir, write_config, remote_stub) -> None:
    write_config([{"cluster": "ghost"}, {"project": "p"}, {"execution": "process"}])
    with pytest.raises(KeyError, match="cluster 'ghost' is not defined"):
        seamless_config.init()


def test_stage_change_reactivates(persistent_config, remote_stub) -> None:
    quietly(seamless_config.init)
    remote_stub.calls.clear()
    quietly(seamless_config.set_stage, "work")
    assert select.get_selected_subproject() == "w"
    assert remote_stub.activated() == ["buffer_remote", "database_remote", "daskserver_remote"]
    assert ("daskserver_remote", "deactivate", {}) in remote_stub.calls
    remote_stub.calls.clear()
    quietly(seamless_config.set_stage, "work")  # no change: reload only
    assert remote_stub.activated() == []


def test_substage_change_reactivates_job_servers(persistent_config, remote_stub) -> None:
    """Quirk 7.3 fixed."""
    quietly(seamless_config.set_stage, "work")
    remote_stub.calls.clear()
    quietly(seamless_config.set_substage, "s1")
    assert select.get_substage() == "s1" and select.get_stage() == "work"
    assert "daskserver_remote" in remote_stub.activated()


def test_init_runs_once(persistent_config, remote_stub) -> None:
    quietly(seamless_config.init)
    quietly(seamless_config.init)
    assert remote_stub.activated().count("buffer_remote") == 1


def test_init_is_a_noop_in_workers(persistent_config, remote_stub, monkeypatch) -> None:
    fake = types.ModuleType("seamless")
    fake.is_worker = lambda: True
    monkeypatch.setitem(sys.modules, "seamless", fake)
    seamless_config.init()
    assert not seamless_config._initialized and remote_stub.calls == []


def test_explicit_workdir_is_honoured(tmp_path, remote_stub) -> None:
    """Quirk 7.1 fixed: init(workdir=...) and set_stage(workdir=...) read that directory."""
    one, two = tmp_path / "one", tmp_path / "two"
    write_yaml(one / "seamless.yaml", [{"project": "one"}, {"execution": "process"}])
    write_yaml(two / "seamless.yaml", [{"project": "two"}, {"execution": "process"}])
    quietly(seamless_config.init, workdir=str(one))
    assert select.get_selected_project() == "one" and seamless_config.get_workdir() == str(one)
    quietly(seamless_config.set_stage, "x", workdir=str(two))
    assert select.get_selected_project() == "two"


def test_workdir_inferred_from_caller(monkeypatch, tmp_path) -> None:
    """Quirk 7.14 fixed: the caller's directory, never seamless_config's own."""
    monkeypatch.chdir(tmp_path)
    quietly(seamless_config.set_substage, "s")
    assert seamless_config.get_workdir() == str(Path(__file__).parent)
    seamless_config.reset()
    seamless_config.set_workdir()
    assert seamless_config.get_workdir() == str(Path(__file__).parent)
    seamless_config.set_workdir(None)
    assert seamless_config.get_workdir() is None


def test_workdir_none_means_cwd(monkeypatch, tmp_path) -> None:
    write_yaml(tmp_path / "seamless.yaml", [{"project": "cwd"}, {"execution": "process"}])
    monkeypatch.chdir(tmp_path)
    seamless_config.set_workdir(None)
    quietly(seamless_config.init)
    assert select.get_selected_project() == "cwd"


def test_spawn_uses_local_cluster_workers(
    workdir, write_config, write_clusters, monkeypatch
) -> None:
    spawned = []
    fake = types.ModuleType("spawn_hook")
    fake.has_spawned = lambda: bool(spawned)
    fake.spawn = spawned.append
    register_hook("spawn", fake)
    write_clusters({"box": demo_cluster(workers=5), "local_cluster": "box"})
    write_config([{"execution": "spawn"}, {"persistent": False}])
    seamless_config.init()
    assert spawned == [5]
    seamless_config.set_stage("again")
    assert spawned == [5]  # spawned once


def test_spawn_without_local_cluster_uses_cpu_count(workdir, write_config, monkeypatch) -> None:
    """Quirk 7.13 fixed: no KeyError without a local cluster."""
    spawned = []
    fake = types.ModuleType("spawn_hook")
    fake.has_spawned = lambda: False
    fake.spawn = spawned.append
    register_hook("spawn", fake)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    write_config([{"execution": "spawn"}, {"persistent": False}])
    seamless_config.init()
    assert spawned == [3]


def test_failed_activation_can_be_retried(persistent_config, monkeypatch) -> None:
    from conftest import RemoteStub

    get_hook_registry().reset(entry_points=False)
    with pytest.raises(ConfigurationError):
        quietly(seamless_config.init)
    assert not seamless_config._initialized
    stub = RemoteStub()
    stub.register()
    quietly(seamless_config.init)
    assert seamless_config._initialized and stub.activated()[0] == "buffer_remote"


def test_failed_first_activation_deactivates_what_it_started(
    persistent_config, remote_stub
) -> None:
    """A service start that fails halfway leaves no half-activated clients behind."""

    def refuse(**_: object) -> None:
        raise RuntimeError("database launch failed")

    remote_stub.modules["database_remote"].activate = refuse
    with pytest.raises(RuntimeError, match="database launch failed"):
        quietly(seamless_config.init)
    assert remote_stub.activated() == ["buffer_remote"]
    assert ("buffer_remote", "deactivate", {}) in remote_stub.calls
    assert select.get_selected_cluster() is None and select.get_stage() is None
    assert not seamless_config._initialized

"""Fixtures for seamless-config: a private HOME per test, cluster files, a seamless_remote stub.

The real-server fixtures and the reset of every registry come from the installed harness
(the seamless-testing pytest plugin, common/testing).
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
import yaml

import seamless_config
from seamless_config.hooks import get_hook_registry, register_hook


@pytest.fixture(autouse=True)
def clean_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME at a temp dir (the harness's autouse ``seamless_clean_state`` already cleared
    SEAMLESS_* variables and reset every registry, the hook registry included)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("REMOTE_HTTP_LAUNCHER_DIR", raising=False)
    return home


@pytest.fixture
def home(clean_config: Path) -> Path:
    return clean_config


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A project directory, set as the workdir."""
    directory = tmp_path / "project"
    directory.mkdir()
    seamless_config.set_workdir(str(directory))
    return directory


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
    return path


@pytest.fixture
def write_clusters(home: Path):
    """Write $HOME/.seamless/clusters.yaml (or clusters/<name>.yaml)."""

    def write(data: Any, name: str | None = None) -> Path:
        if name is None:
            return write_yaml(home / ".seamless" / "clusters.yaml", data)
        return write_yaml(home / ".seamless" / "clusters" / f"{name}.yaml", data)

    return write


@pytest.fixture
def write_config(workdir: Path):
    """Write seamless.yaml (or seamless.profile.yaml with profile=True) in the workdir."""

    def write(data: Any, *, profile: bool = False, directory: Path | None = None) -> Path:
        name = "seamless.profile.yaml" if profile else "seamless.yaml"
        return write_yaml((directory or workdir) / name, data)

    return write


QUEUE = {
    "conda": "daskenv",
    "walltime": "01:00:00",
    "cores": 4,
    "memory": "8GB",
    "unknown_task_duration": "1m",
    "target_duration": "5m",
    "maximum_jobs": 2,
}


def demo_cluster(
    *,
    jobserver: bool = False,
    daskserver: bool = False,
    storage: bool = False,
    type: str = "local",
    queues: dict | None = None,
    **extra: Any,
) -> dict:
    """The upstream tests' 'demo' cluster, with optional services."""
    frontend: dict[str, Any] = {"hostname": "frontend"}
    if storage:
        frontend["hashserver"] = {
            "bufferdir": "/data/buffers",
            "conda": "hashserver",
            "network_interface": "127.0.0.1",
            "port_start": 10000,
            "port_end": 10010,
        }
        frontend["database"] = {"database_dir": "/data/db", "port_start": 10100, "port_end": 10110}
    if jobserver:
        frontend["jobserver"] = {
            "conda": "jobenv",
            "network_interface": "lo",
            "port_start": 3000,
            "port_end": 3010,
        }
    if daskserver:
        frontend["daskserver"] = {"network_interface": "lo", "port_start": 3100, "port_end": 3110}
    cluster: dict[str, Any] = {"type": type, "workers": 1, "frontends": [frontend]}
    if daskserver:
        cluster["queues"] = queues if queues is not None else {"default": dict(QUEUE)}
        names = list(cluster["queues"])
        if names:
            cluster["default_queue"] = "default" if "default" in names else names[0]
    cluster.update(extra)
    return cluster


class RemoteStub:
    """Stand-ins for seamless_remote's service modules that record what seamless_config asks;
    registered as the ``buffer``, ``database``, ``jobserver`` and ``daskserver`` hooks."""

    MODULES = ("buffer_remote", "database_remote", "jobserver_remote", "daskserver_remote")

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.extern: list[tuple] = []
        self.modules = {name: self._module(name) for name in self.MODULES}

    def _define(self, name: str, kind: str, **params: Any) -> None:
        self.extern.append((name, kind, params))

    def _module(self, name: str) -> types.ModuleType:
        module = types.ModuleType(f"stub.{name}")
        module.activate = lambda **kw: self.calls.append((name, "activate", kw))
        module.deactivate = lambda: self.calls.append((name, "deactivate", {}))
        module.ensure_initialized = lambda: self.calls.append((name, "ensure_initialized", {}))
        module.inspect_extern_clients = list
        module.inspect_launched_clients = list
        module.define_extern_client = self._define
        return module

    def register(self) -> None:
        """Register the stand-ins as seamless_config hooks."""
        for name, module in self.modules.items():
            register_hook(name.removesuffix("_remote"), module)

    def activated(self) -> list[str]:
        return [name for name, what, _ in self.calls if what == "activate"]


@pytest.fixture
def remote_stub() -> RemoteStub:
    stub = RemoteStub()
    stub.register()
    return stub


@pytest.fixture
def no_remote() -> None:
    """No service hooks, also not from installed entry points (as without seamless-remote)."""
    get_hook_registry().reset(entry_points=False)

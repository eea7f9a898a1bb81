"""The public surface: sorted __all__ with every Seamless 1.x name we promise, and the error tree."""

from __future__ import annotations

import importlib

import pytest

import seamless_config
from seamless_config import errors

PROMISED = {
    "seamless_config": [
        "init",
        "set_stage",
        "set_substage",
        "set_workdir",
        "get_workdir",
        "set_nparallel",
        "get_nparallel",
        "collect_remote_clients",
        "set_remote_clients",
        "ConfigurationError",
        "change_stage",
        "get_seamless_cache",
        "reset",
    ],
    "seamless_config.select": [
        "select_cluster",
        "select_project",
        "select_subproject",
        "select_stage",
        "select_substage",
        "select_execution",
        "select_persistent",
        "select_record",
        "select_queue",
        "select_remote",
        "select_node",
        "select_nparallel",
        "get_stage",
        "get_selected_project",
        "get_selected_cluster",
        "get_execution",
        "get_persistent",
        "get_record",
        "get_queue",
        "get_remote",
        "get_node",
        "get_nparallel",
        "get_current",
        "execution_was_set_explicitly",
        "execution_command_seen",
        "persistent_was_set_explicitly",
        "reset_execution_before_load",
        "reset_queue_before_load",
        "reset_remote_before_load",
        "reset_persistent_before_load",
        "reset_record_before_load",
        "reset_node_before_load",
        "PROJECT_TOPLEVEL",
        "EXECUTION_MODES",
        "REMOTE_TARGETS",
        "check_remote_redundancy",
        "is_pure_dask_mode",
        "pure_dask_reason",
    ],
    "seamless_config.config_files": ["load_config_files", "load_tools", "SEAMLESS_CACHE_CLUSTER"],
    "seamless_config.cluster": [
        "define_clusters",
        "get_cluster",
        "get_local_cluster",
        "Cluster",
        "Frontend",
        "Queue",
    ],
    "seamless_config.tools": [
        "DOLLAR_RE",
        "define_tools",
        "configure_hashserver",
        "configure_database",
        "configure_jobserver",
        "configure_daskserver",
        "configure_pure_daskserver",
    ],
    "seamless_config.extern_clients": [
        "collect_remote_clients",
        "set_remote_clients",
        "set_remote_clients_from_env",
    ],
    "seamless_config.pure_daskserver": [
        "activate",
        "deactivate",
        "get_client",
        "is_active",
        "pure_dask_reason",
        "DISABLED",
    ],
    "seamless_config.errors": [],
}


@pytest.mark.parametrize("module_name", sorted(PROMISED))
def test_all_sorted_and_complete(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    if module_name == "seamless_config.errors":
        assert exported is None or exported == sorted(exported)
        return
    assert exported == sorted(exported), f"{module_name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported)
    missing = [name for name in PROMISED[module_name] if name not in exported]
    assert not missing, f"{module_name}.__all__ lacks {missing}"
    for name in exported:
        assert hasattr(module, name), f"{module_name}.{name} is listed but missing"


#: names that code imported from seamless_config.select before it was split (besides __all__)
SELECT_MODULE_NAMES = {
    "seamless_config.selection_state": [
        "TRACKED",
        "SOURCES",
        "SelectionRegistry",
        "SelectionState",
        "apply_selection",
        "get_selection_registry",
        "validate_name",
        "validate_nparallel",
        "validate_timeout",
    ],
    "seamless_config.pure_dask_mode": [
        "check_remote_redundancy",
        "is_pure_dask_mode",
        "pure_dask_reason",
        "require_daskserver_target",
    ],
}


@pytest.mark.parametrize("module_name", sorted(SELECT_MODULE_NAMES))
def test_select_reexports_the_split_modules(module_name: str) -> None:
    """seamless_config.select still offers every name that moved out of it, as the same object."""
    from seamless_config import select

    module = importlib.import_module(module_name)
    for name in SELECT_MODULE_NAMES[module_name]:
        assert getattr(select, name) is getattr(module, name), name
    for name in module.__all__:
        assert name in dir(select) or name == "current_state", f"select lacks {name}"


def test_select_uses_the_live_selection_state() -> None:
    from seamless_config import pure_dask_mode, select, selection_state

    registry = selection_state.get_selection_registry()
    select.select_cluster("hpc")
    select.select_persistent(False)
    assert registry.state is selection_state.current_state()
    assert registry.state.values["cluster"] == "hpc"
    assert select.get_execution() == registry.state.execution() == "remote"
    assert pure_dask_mode.is_pure_dask_mode() and select.pure_dask_reason() is not None
    fresh = selection_state.SelectionState()
    registry.commit(fresh)  # a reload commits a new state: every view follows it
    assert select.get_selected_cluster() is None and select._current_cluster is None
    assert not select.is_pure_dask_mode()


def test_constants() -> None:
    from seamless_config import config_files, select

    assert select.PROJECT_TOPLEVEL == "__TOPLEVEL__"
    assert select.EXECUTION_MODES == ("process", "spawn", "remote")
    assert select.REMOTE_TARGETS == (None, "daskserver", "jobserver")
    assert config_files.SEAMLESS_CACHE_CLUSTER == "__SEAMLESS_CACHE__"


def test_error_hierarchy() -> None:
    assert issubclass(seamless_config.ConfigurationError, RuntimeError)
    assert seamless_config.ConfigurationError is errors.ConfigurationError
    for cls, builtin in [
        (errors.ConfigFileError, ValueError),
        (errors.InvalidSelectionError, ValueError),
        (errors.RemoteClientsError, ValueError),
        (errors.ClusterDefinitionError, TypeError),
        (errors.UnknownClusterError, KeyError),
        (errors.MissingDependencyError, ImportError),
        (errors.FrozenConfigurationError, RuntimeError),
        (errors.PureDaskModeError, RuntimeError),
    ]:
        assert issubclass(cls, errors.ConfigurationError) and issubclass(cls, builtin), cls
        assert cls.__name__ in errors.__doc__


def test_error_message_is_built_from_attributes() -> None:
    exc = errors.ConfigFileError(
        "unknown command 'x'", path="/p/seamless.yaml", key="entry 2", value={"x": 1}, hint="Fix it"
    )
    assert str(exc) == "/p/seamless.yaml: entry 2: unknown command 'x' (got {'x': 1}). Fix it"
    assert (exc.path, exc.key, exc.value) == ("/p/seamless.yaml", "entry 2", {"x": 1})
    unknown = errors.UnknownClusterError("cluster 'x' is not defined")
    assert str(unknown) == "cluster 'x' is not defined"
    refused = errors.PureDaskModeError(reason="cluster 'x'", action="run a transformation")
    assert str(refused).startswith("Cannot run a transformation: pure-Dask mode is active")
    assert (refused.reason, refused.action) == ("cluster 'x'", "run a transformation")
    activation = errors.PureDaskModeError("needs a daskserver", hint="Select one")
    assert str(activation) == "needs a daskserver. Select one" and activation.reason is None
    missing = errors.MissingDependencyError("needs it", package="seamless-remote")
    assert missing.name == "seamless-remote" and "needs it" in str(missing)


def test_private_globals_are_live() -> None:
    from seamless_config import cluster, select

    assert seamless_config._initialized is False
    assert seamless_config._remote_clients_set is False
    select.select_cluster("x")
    select.select_execution("process")
    assert select._current_cluster == "x"
    assert select._current_execution == "process"
    assert select._execution_source == "manual"
    assert select._persistent_source is None
    assert select._execution_command_seen is False
    assert select._queue_cluster is None
    assert cluster._local_cluster is None
    seamless_config.set_workdir("/tmp")
    assert seamless_config._workdir == "/tmp" and seamless_config._set_workdir_called is True
    with pytest.raises(AttributeError):
        select._no_such_global  # noqa: B018
    with pytest.raises(AttributeError):
        seamless_config._no_such_global  # noqa: B018

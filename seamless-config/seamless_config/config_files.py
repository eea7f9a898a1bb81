"""Loading the configuration: cluster files, command files, SEAMLESS_CACHE.

Order: ``~/.seamless/clusters.yaml`` then ``~/.seamless/clusters/*.yaml`` (later files replace
whole cluster entries); then ``seamless.yaml`` and ``seamless.profile.yaml`` of the workdir,
preceded by those of its parents as long as a directory's files say ``inherit_from_parent``.
``clusters`` commands run first, all other commands in order. Everything is loaded into a
copy of the selection and committed only when the whole load succeeded.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from . import select, session
from .cluster import ClusterSet, get_cluster_registry, parse_clusters
from .commands import Entry, apply_entry, expand_entries, inherits_from_parent
from .errors import ClusterDefinitionError, ConfigFileError, UnknownClusterEntryError
from .seamless_cache import SEAMLESS_CACHE_CLUSTER, cache_cluster_definition, get_seamless_cache
from .tools import get_tool_registry
from .yaml_files import read_yaml_file

__all__ = [
    "COMMAND_FILES",
    "SEAMLESS_CACHE_CLUSTER",
    "collect_entries",
    "load_cluster_files",
    "load_config_files",
    "load_tools",
    "read_cluster_files",
]

COMMAND_FILES = ("seamless.yaml", "seamless.profile.yaml")


def load_tools() -> dict[str, dict[str, Any]]:
    """The tool templates (tools.yaml is parsed once per registry reset)."""
    return get_tool_registry().get()


def read_cluster_files(home: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Merged cluster definitions of ``$HOME/.seamless`` and, per cluster, the file defining it."""
    home = home if home is not None else os.environ.get("HOME", os.path.expanduser("~"))
    base = os.path.join(home, ".seamless")
    paths = [os.path.join(base, "clusters.yaml")]
    paths += sorted(glob.glob(os.path.join(base, "clusters", "*.yaml")))
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for path in paths:
        if not os.path.lexists(path):
            continue
        data = read_yaml_file(path, error=ClusterDefinitionError)
        if data is None:  # an empty file is an empty mapping
            continue
        if not isinstance(data, dict):
            raise ClusterDefinitionError(
                "a cluster file must be a mapping of cluster name -> definition",
                path=path,
                value=data,
            )
        merged.update(data)
        origins.update(dict.fromkeys(data, path))
    return merged, origins


def _read_command_files(directory: str) -> list[tuple[str, Any]]:
    """The parsed command files of one directory, in reading order (each file parsed once)."""
    result = []
    for name in COMMAND_FILES:
        path = os.path.join(directory, name)
        if os.path.lexists(path):  # a directory or broken link of that name is an error
            items = read_yaml_file(path, error=ConfigFileError)
            result.append((path, [] if items is None else items))
    return result


def _directory_chain(workdir: str) -> list[list[tuple[str, Any]]]:
    """The parsed command files of each directory that is read, root-most directory first."""
    chain = []
    directory = os.path.abspath(workdir)
    while True:
        files = _read_command_files(directory)
        chain.append(files)
        inherit = any(inherits_from_parent(path, items) for path, items in files)
        parent = os.path.dirname(directory)
        if not inherit or parent == directory:
            break
        directory = parent
    return list(reversed(chain))


def collect_entries(workdir: str, *, stage: str | None) -> list[Entry]:
    """All commands that apply to ``workdir`` and ``stage``, in execution order."""
    entries: list[Entry] = []
    for files in _directory_chain(workdir):
        for path, items in files:
            entries.extend(expand_entries(path, items, stage=stage))
    return entries


def _workdir() -> str:
    return session.get_session_state().workdir or os.getcwd()


def _load_seamless_cache(staged: select.SelectionState, directory: str) -> ClusterSet:
    clusters = parse_clusters(
        cache_cluster_definition(directory),
        origins={SEAMLESS_CACHE_CLUSTER: "SEAMLESS_CACHE", "local_cluster": "SEAMLESS_CACHE"},
    )
    origin = f"SEAMLESS_CACHE={directory}"
    apply = select.apply_selection
    apply(
        staged,
        "cluster",
        SEAMLESS_CACHE_CLUSTER,
        source="environment",
        origin=origin,
        clusters=clusters,
    )
    if staged.values["project"] is None:
        apply(staged, "project", select.PROJECT_TOPLEVEL, source="environment", origin=origin)
    apply(staged, "execution", "process", source="environment", origin=origin)
    apply(staged, "persistent", True, source="environment", origin=origin)
    return clusters


def load_cluster_files() -> None:
    """Define the clusters of ``~/.seamless`` (or of SEAMLESS_CACHE) without reading command files."""
    directory = get_seamless_cache()
    if directory is not None:
        definitions = cache_cluster_definition(directory)
        origins = {SEAMLESS_CACHE_CLUSTER: "SEAMLESS_CACHE", "local_cluster": "SEAMLESS_CACHE"}
    else:
        definitions, origins = read_cluster_files()
    get_cluster_registry().commit(parse_clusters(definitions, origins=origins))


def _check_selected_cluster(state: select.SelectionState, clusters: ClusterSet) -> None:
    """A selected cluster that will be used must be defined: checked before anything changes.

    As in Seamless 1.x, an undefined cluster is tolerated when nothing uses it (explicit
    non-remote execution and ``persistent: false``).
    """
    name = state.values["cluster"]
    if name is None or name in clusters.clusters:
        return
    explicit_execution = state.sources["execution"] is not None
    remote = not explicit_execution or state.values["execution"] == "remote"
    persistent = state.values["persistent"] is not False
    if not remote and not persistent:
        return
    defined = ", ".join(sorted(clusters.clusters)) or "(none)"
    raise UnknownClusterEntryError(
        f"cluster '{name}' is not defined",
        path=state.origins.get("cluster"),
        hint="Define it in ~/.seamless/clusters.yaml or with a `clusters:` command; "
        f"defined: {defined}",
    )


def load_config_files() -> None:
    """Reload clusters and commands into the selection; on any error nothing changes."""
    registry = select.get_selection_registry()
    staged = registry.state.copy()
    for name in select.TRACKED:
        staged.reset_before_load(name)
    load_tools()
    directory = get_seamless_cache()
    if directory is not None:
        clusters = _load_seamless_cache(staged, directory)
    else:
        definitions, origins = read_cluster_files()
        entries = collect_entries(_workdir(), stage=staged.stage)
        for entry in entries:
            if entry.name == "clusters":
                definitions.update(entry.argument)
                origins.update(dict.fromkeys(entry.argument, entry.origin))
        clusters = parse_clusters(definitions, origins=origins)
        for entry in entries:
            apply_entry(staged, entry, clusters)
        _check_selected_cluster(staged, clusters)
    get_cluster_registry().commit(clusters)
    registry.commit(staged)

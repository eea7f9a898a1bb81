"""Configuration files that used to pass silently: each is an error naming the file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import demo_cluster

from seamless_config import config_files, select
from seamless_config.config_files import load_config_files
from seamless_config.errors import ClusterDefinitionError, ConfigFileError


def test_directory_named_seamless_yaml_is_an_error(workdir: Path) -> None:
    (workdir / "seamless.yaml").mkdir()
    with pytest.raises(ConfigFileError, match="is a directory") as info:
        load_config_files()
    assert str(workdir / "seamless.yaml") in str(info.value)


def test_directory_named_clusters_yaml_is_an_error(workdir: Path, home: Path) -> None:
    (home / ".seamless" / "clusters.yaml").mkdir(parents=True)
    with pytest.raises(ClusterDefinitionError, match="is a directory") as info:
        load_config_files()
    assert str(home / ".seamless" / "clusters.yaml") in str(info.value)


def test_directory_in_clusters_folder_is_an_error(workdir: Path, home: Path) -> None:
    (home / ".seamless" / "clusters" / "extra.yaml").mkdir(parents=True)
    with pytest.raises(ClusterDefinitionError, match="is a directory"):
        load_config_files()


def test_failed_load_keeps_the_selection(workdir: Path, write_config) -> None:
    """The directory mistake used to reset the configuration silently."""
    write_config([{"project": "kept"}, {"execution": "process"}])
    load_config_files()
    (workdir / "seamless.yaml").unlink()
    (workdir / "seamless.yaml").mkdir()
    with pytest.raises(ConfigFileError):
        load_config_files()
    assert select.get_selected_project() == "kept"


def test_duplicate_key_in_one_entry(workdir: Path) -> None:
    path = workdir / "seamless.yaml"
    path.write_text("- execution: process\n- {project: a, project: b}\n")
    with pytest.raises(ConfigFileError) as info:
        load_config_files()
    message = str(info.value)
    assert str(path) in message
    assert "entry 2" in message and "'project' is given twice" in message


def test_duplicate_key_in_a_block_entry(workdir: Path) -> None:
    (workdir / "seamless.yaml").write_text(
        "- project: p\n- stage s:\n    - execution: process\n- clusters:\n"
        "    c:\n      type: local\n      type: slurm\n"
    )
    with pytest.raises(ConfigFileError, match=r"entry 3 \(line 7\).*'type' is given twice"):
        load_config_files()


def test_duplicate_cluster_in_cluster_file(write_clusters) -> None:
    text = yaml.safe_dump({"a": demo_cluster()}) + yaml.safe_dump({"a": demo_cluster()})
    path = write_clusters(text)
    with pytest.raises(ClusterDefinitionError, match="entry 'a'.*'a' is given twice") as info:
        load_config_files()
    assert str(path) in str(info.value)


def test_not_utf8(workdir: Path) -> None:
    path = workdir / "seamless.yaml"
    path.write_bytes("- project: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigFileError, match="not UTF-8 text: byte 0xe9 at line 1") as info:
        load_config_files()
    assert str(path) in str(info.value)


def test_not_utf8_cluster_file(write_clusters, home: Path) -> None:
    path = home / ".seamless" / "clusters.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"a: \xff\n")
    with pytest.raises(ClusterDefinitionError, match="not UTF-8") as info:
        load_config_files()
    assert str(path) in str(info.value)


def test_each_file_is_parsed_once(
    tmp_path: Path, workdir: Path, write_config, write_clusters, monkeypatch
) -> None:
    write_clusters({"a": demo_cluster()})
    (tmp_path / "seamless.yaml").write_text("- project: parent\n")
    write_config(["inherit_from_parent", {"execution": "process"}])
    write_config([{"persistent": False}], profile=True)
    from seamless_config import yaml_files

    reads: list[str] = []
    original = yaml_files.read_yaml_file

    def counting(path: str, **kwargs):
        reads.append(path)
        return original(path, **kwargs)

    monkeypatch.setattr(config_files, "read_yaml_file", counting)
    load_config_files()
    assert select.get_selected_project() == "parent"
    assert sorted(reads) == sorted(set(reads))
    assert len(reads) == 4


def test_c_loader_is_used_when_available() -> None:
    from seamless_config import yaml_files

    if yaml.__with_libyaml__:
        assert issubclass(yaml_files.StrictLoader, yaml.CSafeLoader)
    assert yaml_files.LIBYAML == bool(yaml.__with_libyaml__)


def test_strict_loader_reads_what_safe_load_reads() -> None:
    from seamless_config import yaml_files

    text = "- a: [1, 2.5, true, null]\n- b: {x: '01', y: 2026-01-01}\n- c\n"
    assert yaml.load(text, Loader=yaml_files.StrictLoader) == yaml.safe_load(text)

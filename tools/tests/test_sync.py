"""tools/sync.py: writes mirrors with a header and detects every kind of drift (on a temp copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sync

SCRIPT = Path(sync.__file__)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A temp repo holding a copy of common/ and the package folders with no mirrors yet."""
    shutil.copytree(sync.REPO_ROOT / "common", tmp_path / "common")
    for sources in sync.MIRRORS.values():
        for target in sources:
            (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
    return tmp_path


def _targets() -> list[str]:
    return sorted(t for targets in sync.MIRRORS.values() for t in targets)


def test_mapping_declares_the_required_mirrors() -> None:
    assert set(sync.MIRRORS["common/status_file.py"]) == {
        "seamless-dask/seamless_dask/_status_file.py",
        "seamless-jobserver/seamless_jobserver/_status_file.py",
    }
    assert set(sync.MIRRORS) == {"common/status_file.py"}  # only shipped code is mirrored
    assert all(Path(t).name.startswith("_") for t in _targets())


def test_real_tree_is_in_sync() -> None:
    assert sync.check() == []


def test_missing_then_written(tree: Path) -> None:
    problems = sync.check(root=tree)
    assert sorted(p.path for p in problems) == _targets()
    assert {p.kind for p in problems} == {"missing"}
    assert sorted(sync.sync(root=tree)) == _targets()
    assert sync.check(root=tree) == []
    assert sync.sync(root=tree) == []  # nothing left to do


def test_mirror_content_is_header_plus_source(tree: Path) -> None:
    sync.sync(root=tree)
    mirror = (tree / "seamless-jobserver/seamless_jobserver/_status_file.py").read_text()
    first, rest = mirror.split("\n", 1)
    assert first == (
        "# generated from common/status_file.py by tools/sync.py; do not edit "
        "(run: python tools/sync.py)"
    )
    assert rest == (tree / "common/status_file.py").read_text()


def test_drift_in_mirror_and_in_source(tree: Path) -> None:
    sync.sync(root=tree)
    edited = tree / "seamless-dask/seamless_dask/_status_file.py"
    edited.write_text(edited.read_text() + "# hand edit\n")
    assert [(p.path, p.kind) for p in sync.check(root=tree)] == [
        ("seamless-dask/seamless_dask/_status_file.py", "drifted")
    ]
    source = tree / "common/status_file.py"
    source.write_text(source.read_text() + "\n# new canonical line\n")
    drifted = sorted(p.path for p in sync.check(root=tree))
    assert drifted == sorted(sync.MIRRORS["common/status_file.py"])


def test_orphaned_mirror_is_reported(tree: Path) -> None:
    sync.sync(root=tree)
    orphan = tree / "seamless-config/seamless_config/_status_file.py"
    orphan.parent.mkdir(parents=True)
    orphan.write_text(sync.render("common/status_file.py", root=tree))
    problems = sync.check(root=tree)
    assert [(p.path, p.kind, p.source) for p in problems] == [
        ("seamless-config/seamless_config/_status_file.py", "orphaned", "common/status_file.py")
    ]
    assert "delete it or declare it" in str(problems[0])


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def test_cli_check_names_every_problem_and_fix(tree: Path) -> None:
    result = _run("--check", "--root", str(tree))
    assert result.returncode == 1
    for target in _targets():
        assert f"{target}: missing" in result.stdout
    assert "fix with: python tools/sync.py" in result.stdout
    assert not (tree / _targets()[0]).exists()  # --check writes nothing
    written = _run("--root", str(tree))
    assert written.returncode == 0 and written.stdout.count("wrote ") == len(_targets())
    ok = _run("--check", "--root", str(tree))
    assert ok.returncode == 0 and "up to date" in ok.stdout


def test_cli_missing_source(tmp_path: Path) -> None:
    result = _run("--check", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "common/status_file.py: canonical source is missing" in result.stdout


def test_cli_help() -> None:
    result = _run("--help")
    assert result.returncode == 0 and "--check" in result.stdout

"""tools/versions.py: one version, exact pins, checked and rewritten (on a temp copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import versions

SCRIPT = Path(versions.__file__)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A temp repo with a copy of every package's pyproject.toml."""
    for package in versions.PACKAGES:
        (tmp_path / package).mkdir()
        shutil.copy(versions.REPO_ROOT / package / "pyproject.toml", tmp_path / package)
    return tmp_path


def _edit(tree: Path, package: str, old: str, new: str) -> None:
    path = tree / package / "pyproject.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_real_tree_is_consistent() -> None:
    assert versions.check() == []


def test_version_mismatch_named(tree: Path) -> None:
    current = versions.current_version(root=tree)
    _edit(tree, "seamless-remote", f'version = "{current}"', 'version = "0.9"')
    assert [str(m) for m in versions.check(root=tree)] == [
        f"seamless-remote/pyproject.toml: [project] version is '0.9', expected '{current}'"
    ]


def test_every_bad_pin_named_including_extras(tree: Path) -> None:
    current = versions.current_version(root=tree)
    _edit(
        tree,
        "seamless-dask",
        f"seamless-config[pure-dask]=={current}",
        "seamless-config[pure-dask]>=1.0",
    )
    _edit(tree, "seamless-dask", f'"seamless-remote=={current}"', '"seamless_remote"')
    _edit(
        tree,
        "seamless-jobserver",
        f"seamless-transformer=={current}",
        "seamless-transformer==0.6.1",
    )
    found = [(m.path, m.what, m.found) for m in versions.check(root=tree)]
    assert found == [
        (
            "seamless-dask/pyproject.toml",
            "dependency on seamless-config",
            "seamless-config[pure-dask]>=1.0",
        ),
        (
            "seamless-dask/pyproject.toml",
            "extra [remote] dependency on seamless-remote",
            "seamless_remote",
        ),
        (
            "seamless-jobserver/pyproject.toml",
            "dependency on seamless-transformer",
            "seamless-transformer==0.6.1",
        ),
    ]


def test_set_rewrites_everything_and_keeps_formatting(tree: Path) -> None:
    current = versions.current_version(root=tree)
    _edit(
        tree,
        "seamless-dask",
        f"seamless-config[pure-dask]=={current}",
        "seamless-config[pure-dask]>=0.1",
    )
    before = (tree / "seamless-dask/pyproject.toml").read_text()
    changed = versions.set_version("1.0.0.dev7", root=tree)
    assert sorted(changed) == sorted(f"{p}/pyproject.toml" for p in versions.PACKAGES)
    assert versions.check(root=tree) == []
    assert versions.current_version(root=tree) == "1.0.0.dev7"
    after = (tree / "seamless-dask/pyproject.toml").read_text()
    data = tomllib.loads(after)["project"]
    assert "seamless-config[pure-dask]==1.0.0.dev7" in data["dependencies"]
    assert "seamless-remote==1.0.0.dev7" in data["optional-dependencies"]["remote"]
    # only the version strings changed: same lines, same third-party pins
    assert len(after.splitlines()) == len(before.splitlines())
    assert "dask-jobqueue>=0.8" in after and "distributed>=2024.1" in after
    diff = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert all("1.0.0.dev7" in b for _, b in diff)


def test_set_keeps_markers(tree: Path) -> None:
    current = versions.current_version(root=tree)
    _edit(
        tree,
        "seamless-jobserver",
        f'"seamless-remote=={current}"',
        "\"seamless-remote==0.1; python_version >= '3.10'\"",
    )
    versions.set_version("2.0.0", root=tree)
    deps = tomllib.loads((tree / "seamless-jobserver/pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    assert "seamless-remote==2.0.0; python_version >= '3.10'" in deps


def test_set_rejects_bad_version(tree: Path) -> None:
    with pytest.raises(ValueError, match="not a PEP 440 version"):
        versions.set_version("one.two", root=tree)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def test_cli(tree: Path) -> None:
    current = versions.current_version(root=tree)
    assert _run("--check", "--root", str(tree)).returncode == 0
    _edit(tree, "seamless-config", f'version = "{current}"', 'version = "0.3.2"')
    bad = _run("--check", "--root", str(tree))
    assert bad.returncode == 1
    # seamless-config is the reference, so all four others and every pin are named
    assert bad.stdout.count("[project] version is") == 4
    assert "fix with: python tools/versions.py --set 0.3.2" in bad.stdout
    fixed = _run("--set", current, "--root", str(tree))
    assert fixed.returncode == 0, fixed.stderr
    assert _run("--check", "--root", str(tree)).returncode == 0
    assert _run("--set", "x.y", "--root", str(tree)).returncode == 2
    assert _run("--help").returncode == 0

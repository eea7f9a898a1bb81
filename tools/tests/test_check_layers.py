"""tools/check_layers.py: upward references are found at module level, inside functions and by
name in strings; downward and own-package references pass; the repository itself passes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import check_layers

REPO = Path(__file__).resolve().parents[2]


def _package(root: Path, package: str, source: str) -> Path:
    folder = root / package.replace("_", "-") / package
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "module.py"
    path.write_text(textwrap.dedent(source))
    return path


def _targets(root: Path) -> list[tuple[str, int, str]]:
    return sorted((f.package, f.line, f.target) for f in check_layers.check_tree(root))


def test_upward_references_are_found_everywhere(tmp_path: Path) -> None:
    _package(
        tmp_path,
        "seamless_config",
        """\
        import importlib
        import sys

        import seamless_remote


        def spawn():
            from seamless_transformer.worker import spawn as _spawn

            return _spawn


        def by_name(name):
            importlib.import_module("seamless_remote.buffer_remote")
            sys.modules.get("seamless_dask")
            return importlib.import_module(f"seamless_remote.{name}")
        """,
    )
    assert _targets(tmp_path) == [
        ("seamless_config", 4, "seamless_remote"),
        ("seamless_config", 8, "seamless_transformer.worker"),
        ("seamless_config", 14, "seamless_remote.buffer_remote"),
        ("seamless_config", 15, "seamless_dask"),
        ("seamless_config", 16, "seamless_remote"),
    ]
    assert check_layers.main([str(tmp_path)]) == 1


def test_downward_own_package_and_prose_pass(tmp_path: Path) -> None:
    _package(
        tmp_path,
        "seamless_dask",
        '''\
        """Mentions seamless_jobserver in prose, which is fine."""
        import importlib

        import seamless_config
        from seamless_transformer.executors import register_executor


        def load(name):
            importlib.import_module(f"seamless_dask.{name}")
            raise RuntimeError("install seamless_remote first (pip install seamless-remote)")
        ''',
    )
    _package(tmp_path, "seamless_remote", 'import sys\nsys.modules.get("seamless_config.select")\n')
    assert _targets(tmp_path) == []
    assert check_layers.main([str(tmp_path)]) == 0


def test_layer_four_packages_are_independent(tmp_path: Path) -> None:
    _package(tmp_path, "seamless_jobserver", "def f():\n    import seamless_dask.client\n")
    assert _targets(tmp_path) == [("seamless_jobserver", 2, "seamless_dask.client")]


def test_the_repository_passes() -> None:
    assert check_layers.check_tree(REPO) == []

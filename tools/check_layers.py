"""Finds upward references between the sibling packages, also those hidden in strings.

The packages form layers (docs/architecture.md): seamless_config < seamless_remote <
seamless_transformer < seamless_dask, seamless_jobserver. import-linter's layers contract (in
``tox -e lint``) checks every ``import`` statement, also inside functions. This script checks the
rest, which it cannot see: a string literal in a package's source that names a module of a
package it may not import, e.g. ``importlib.import_module("seamless_remote.buffer_remote")``,
``sys.modules.get("seamless_dask")`` or ``f"seamless_remote.{name}"``. Prose that mentions a
package (docstrings, messages) is not a module name and is not flagged. Import statements are
checked here too (wherever they are), so that the script and its test cover every case.

Usage: python tools/check_layers.py [ROOT]   (exit 1 and one line per finding when it fails)
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Package -> layer; a package may reference modules of its own layer number only when it is
#: itself (layer-4 packages are independent of each other) or of a lower layer.
LAYERS = {
    "seamless_config": 1,
    "seamless_remote": 2,
    "seamless_transformer": 3,
    "seamless_dask": 4,
    "seamless_jobserver": 4,
}

_MODULE_NAME = re.compile(r"(seamless_[a-z]+)(\.[A-Za-z_][A-Za-z0-9_]*)*\.?")


@dataclass(frozen=True)
class Finding:
    """One string literal in ``path`` that names a module ``package`` may not reach."""

    path: Path
    line: int
    package: str
    target: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.package} refers to {self.target!r}; "
            f"{self.package} may not reach the higher package {self.target.split('.')[0]} "
            "(register a hook instead: docs/architecture.md)"
        )


def allowed(package: str, target: str) -> bool:
    """True if ``package`` may import ``target`` (its own package or a lower layer)."""
    if target == package:
        return True
    return LAYERS[target] < LAYERS[package]


def _module_names(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of every string that is entirely a module name, or an f-string that
    starts with one."""
    seen: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                text = first.value
        if text is not None and _MODULE_NAME.fullmatch(text):
            found = (node.lineno, text.rstrip("."))
            if found not in seen:
                seen.add(found)
                yield found


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import statement, wherever it is (also in functions)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def check_file(path: Path, package: str) -> list[Finding]:
    """The findings in one source file of ``package``: imports (as import-linter sees them,
    so that this script alone can be tested) and module names in strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    findings = []
    for line, text in [*_imports(tree), *_module_names(tree)]:
        target = text.split(".")[0]
        if target in LAYERS and not allowed(package, target):
            findings.append(Finding(path, line, package, text))
    return findings


def check_tree(root: Path) -> list[Finding]:
    """The findings in every package under ``root`` (``seamless-*/seamless_*/**.py``)."""
    findings: list[Finding] = []
    for package in LAYERS:
        folder = root / package.replace("_", "-") / package
        for path in sorted(folder.rglob("*.py")):
            findings.extend(check_file(path, package))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "root",
        nargs="?",
        default=str(Path(__file__).resolve().parent.parent),
        help="repository root (default: this checkout)",
    )
    args = parser.parse_args(argv)
    findings = check_tree(Path(args.root))
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} upward reference(s); see docs/architecture.md")
        return 1
    print(f"no upward references in {len(LAYERS)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())

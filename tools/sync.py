"""Write (or check) the generated mirrors of the canonical shared sources under common/.

Code that two installable packages need lives once under ``common/``; this script copies each
canonical file, with a "generated from ...; do not edit" first line, to every mirror path
declared in ``MIRRORS``. ``--check`` writes nothing and exits 1 when a mirror is missing,
drifted, or orphaned (a generated file whose source is no longer declared).

Usage::

    python tools/sync.py            # rewrite every mirror
    python tools/sync.py --check    # CI: fail on any drift, print the fix
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = [
    "FIX_COMMAND",
    "MIRRORS",
    "Problem",
    "check",
    "header_for",
    "main",
    "render",
    "sync",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
FIX_COMMAND = "python tools/sync.py"
HEADER_PREFIX = "# generated from "

#: canonical source (repo-relative) -> the mirror paths (repo-relative) written from it.
#: Only code that ships inside a package is mirrored; test code is not shipped, so the shared
#: test harness is an installed pytest plugin (common/testing), never a copy.
MIRRORS: dict[str, tuple[str, ...]] = {
    "common/status_file.py": (
        "seamless-dask/seamless_dask/_status_file.py",
        "seamless-jobserver/seamless_jobserver/_status_file.py",
    ),
}

#: folders never scanned for orphaned mirrors.
_SKIP_DIRS = {".git", ".tox", "node_modules", "__pycache__", "common", "tools"}


@dataclasses.dataclass(frozen=True)
class Problem:
    """One mirror that does not match its canonical source."""

    path: str
    kind: str  # "missing", "drifted" or "orphaned"
    source: str

    def __str__(self) -> str:
        if self.kind == "orphaned":
            return (
                f"{self.path}: orphaned mirror of {self.source} (not declared in "
                f"tools/sync.py MIRRORS; delete it or declare it)"
            )
        return f"{self.path}: {self.kind} (mirror of {self.source})"


def header_for(source: str) -> str:
    """The first line of every mirror of ``source`` (a repo-relative path)."""
    return f"{HEADER_PREFIX}{source} by tools/sync.py; do not edit (run: {FIX_COMMAND})\n"


def render(source: str, *, root: Path = REPO_ROOT) -> str:
    """The exact text a mirror of ``source`` must contain."""
    text = (root / source).read_text(encoding="utf-8")
    return header_for(source) + text


def _mirror_pairs(mirrors: dict[str, tuple[str, ...]]) -> Iterator[tuple[str, str]]:
    for source, targets in mirrors.items():
        for target in targets:
            yield source, target


def _generated_source(path: Path) -> str | None:
    """The canonical source named in a file's generated header, or None."""
    try:
        with path.open(encoding="utf-8") as stream:
            first = stream.readline()
    except (OSError, UnicodeDecodeError):
        return None
    if not first.startswith(HEADER_PREFIX) or "tools/sync.py" not in first:
        return None
    return first[len(HEADER_PREFIX) :].split(" ", 1)[0]


def _orphans(root: Path, declared: set[str]) -> list[Problem]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(".venv") for part in rel.parts[:-1]):
            continue
        relpath = rel.as_posix()
        if relpath in declared:
            continue
        source = _generated_source(path)
        if source is not None:
            problems.append(Problem(relpath, "orphaned", source))
    return problems


def check(
    *, root: Path = REPO_ROOT, mirrors: dict[str, tuple[str, ...]] | None = None
) -> list[Problem]:
    """Every missing, drifted or orphaned mirror under ``root`` (empty when all is in sync)."""
    mirrors = MIRRORS if mirrors is None else mirrors
    problems = []
    for source, target in _mirror_pairs(mirrors):
        path = root / target
        if not path.exists():
            problems.append(Problem(target, "missing", source))
        elif path.read_text(encoding="utf-8") != render(source, root=root):
            problems.append(Problem(target, "drifted", source))
    declared = {target for _, target in _mirror_pairs(mirrors)}
    problems.extend(_orphans(root, declared))
    return problems


def sync(*, root: Path = REPO_ROOT, mirrors: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Write every mirror that differs from its source; return the paths written."""
    mirrors = MIRRORS if mirrors is None else mirrors
    written = []
    for source, target in _mirror_pairs(mirrors):
        expected = render(source, root=root)
        path = root / target
        if path.exists() and path.read_text(encoding="utf-8") == expected:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected, encoding="utf-8")
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="tools/sync.py",
        description=(
            "Write the generated mirrors of the canonical sources under common/ into the "
            "packages (see MIRRORS in tools/sync.py)."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and name every missing, drifted or orphaned mirror",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO_ROOT,
        help="repository root (default: the checkout this script lives in)",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    missing_sources = [source for source in MIRRORS if not (root / source).is_file()]
    if missing_sources:
        for source in missing_sources:
            print(f"{source}: canonical source is missing (declared in tools/sync.py MIRRORS)")
        return 2
    if args.check:
        problems = check(root=root)
        if not problems:
            print(f"sync: all {sum(len(t) for t in MIRRORS.values())} mirrors are up to date")
            return 0
        for problem in problems:
            print(problem)
        print(f"sync: {len(problems)} mirror(s) out of date; fix with: {FIX_COMMAND}")
        return 1
    written = sync(root=root)
    for target in written:
        print(f"wrote {target}")
    for problem in _orphans(root, {t for _, t in _mirror_pairs(MIRRORS)}):
        print(f"warning: {problem}")
    if not written:
        print("sync: nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main())

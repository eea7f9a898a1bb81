"""Keep the five seamless-* packages on one version, with exact pins between them.

All five distributions move in lockstep (docs/architecture.md, "Versions and packaging"): every
``[project] version`` is the same, and every dependency of one of our packages on another,
extras included (``seamless-config[pure-dask]==X``), is an exact ``==X`` pin.

Usage::

    python tools/versions.py --check          # CI: fail naming every mismatch
    python tools/versions.py --set 1.0.0.dev1 # rewrite all versions and pins at once
    python tools/versions.py                  # print the current version
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = [
    "PACKAGES",
    "Mismatch",
    "check",
    "current_version",
    "main",
    "set_version",
]

REPO_ROOT = Path(__file__).resolve().parent.parent

#: our distributions, in import order; each lives in ``<name>/pyproject.toml``.
PACKAGES: tuple[str, ...] = (
    "seamless-config",
    "seamless-remote",
    "seamless-transformer",
    "seamless-dask",
    "seamless-jobserver",
)

# PEP 440 public version (a practical subset: release, pre, post, dev).
_VERSION_RE = re.compile(
    r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$",
)
# A PEP 508 requirement: name, optional extras, the rest (specifier and marker).
_REQUIREMENT_RE = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<extras>\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(?P<marker>;.*)?$"
)
_PROJECT_VERSION_RE = re.compile(
    r'^(?P<lead>version\s*=\s*)(?P<q>["\'])(?P<value>[^"\']*)(?P=q)', re.M
)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_OURS = {_normalize(name) for name in PACKAGES}


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """One version or pin that breaks the lockstep rule."""

    path: str
    what: str
    found: str
    expected: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what} is {self.found!r}, expected {self.expected!r}"


def _pyproject(root: Path, package: str) -> Path:
    return root / package / "pyproject.toml"


def _load(path: Path) -> dict:
    with path.open("rb") as stream:
        return tomllib.load(stream)


def _requirements(project: dict) -> Iterator[tuple[str, str]]:
    """(where, requirement string) for every dependency, extras included."""
    for req in project.get("dependencies", []):
        yield "dependency", req
    for extra, reqs in project.get("optional-dependencies", {}).items():
        for req in reqs:
            yield f"extra [{extra}] dependency", req


def _our_pin(requirement: str) -> tuple[str, str] | None:
    """(normalized name, specifier) when ``requirement`` names one of our packages."""
    match = _REQUIREMENT_RE.match(requirement)
    if match is None or _normalize(match["name"]) not in _OURS:
        return None
    return _normalize(match["name"]), match["spec"].replace(" ", "")


def current_version(*, root: Path = REPO_ROOT) -> str:
    """The version of the first package (the one all others must carry)."""
    return _load(_pyproject(root, PACKAGES[0]))["project"]["version"]


def check(*, root: Path = REPO_ROOT, expected: str | None = None) -> list[Mismatch]:
    """Every package version and internal pin that differs from ``expected``.

    ``expected`` defaults to the version of seamless-config.
    """
    expected = current_version(root=root) if expected is None else expected
    mismatches = []
    for package in PACKAGES:
        path = _pyproject(root, package)
        rel = path.relative_to(root).as_posix()
        project = _load(path)["project"]
        version = project.get("version", "<missing>")
        if version != expected:
            mismatches.append(Mismatch(rel, "[project] version", version, expected))
        for where, requirement in _requirements(project):
            pin = _our_pin(requirement)
            if pin is not None and pin[1] != f"=={expected}":
                mismatches.append(
                    Mismatch(rel, f"{where} on {pin[0]}", requirement, f"{pin[0]}=={expected}")
                )
    return mismatches


def _repin(requirement: str, version: str) -> str:
    match = _REQUIREMENT_RE.match(requirement)
    assert match is not None
    marker = match["marker"] or ""
    return f"{match['name']}{match['extras'] or ''}=={version}{marker}"


def _rewrite(text: str, project: dict, version: str) -> str:
    """``text`` with the [project] version and our pins set to ``version``, formatting kept."""
    section = re.search(r"^\[project\]\s*$", text, re.M)
    if section is None:
        raise ValueError("no [project] table")
    end = re.search(r"^\[", text[section.end() :], re.M)
    stop = section.end() + (end.start() if end else len(text[section.end() :]))
    body, count = _PROJECT_VERSION_RE.subn(
        lambda m: f"{m['lead']}{m['q']}{version}{m['q']}", text[section.end() : stop], count=1
    )
    if count != 1:
        raise ValueError('no version = "..." line in [project]')
    text = text[: section.end()] + body + text[stop:]
    for _, requirement in _requirements(project):
        if _our_pin(requirement) is None:
            continue
        new = _repin(requirement, version)
        for quote in ('"', "'"):
            text = text.replace(f"{quote}{requirement}{quote}", f"{quote}{new}{quote}")
    return text


def set_version(version: str, *, root: Path = REPO_ROOT) -> list[str]:
    """Rewrite every package version and internal pin to ``version``; return changed files."""
    if not _VERSION_RE.match(version):
        raise ValueError(f"--set {version!r}: not a PEP 440 version such as 1.0.0.dev1")
    changed = []
    for package in PACKAGES:
        path = _pyproject(root, package)
        text = path.read_text(encoding="utf-8")
        try:
            new = _rewrite(text, tomllib.loads(text)["project"], version)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.relative_to(root).as_posix())
    remaining = check(root=root, expected=version)
    if remaining:
        lines = "\n".join(str(m) for m in remaining)
        raise ValueError(f"--set {version}: could not rewrite:\n{lines}")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="tools/versions.py",
        description=(
            "Check or set the one version shared by all seamless-* packages and their exact "
            "== pins on each other."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="exit 1 and name every version or pin mismatch"
    )
    mode.add_argument(
        "--set", metavar="VERSION", help="rewrite all versions and pins to VERSION (PEP 440)"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO_ROOT,
        help="repository root (default: the checkout this script lives in)",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.set is not None:
        try:
            changed = set_version(args.set, root=root)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for path in changed:
            print(f"wrote {path}")
        print(f"versions: all {len(PACKAGES)} packages at {args.set}")
        return 0
    if args.check:
        mismatches = check(root=root)
        if not mismatches:
            print(f"versions: all {len(PACKAGES)} packages at {current_version(root=root)}")
            return 0
        for mismatch in mismatches:
            print(mismatch)
        print(
            f"versions: {len(mismatches)} mismatch(es); fix with: "
            f"python tools/versions.py --set {current_version(root=root)}"
        )
        return 1
    print(current_version(root=root))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Jobserver interoperability with released Seamless 1.x (issue 15, item 6).

Uses compare.py's environments (``ours``: this monorepo; ``seamless1``: ``seamless-suite`` from
PyPI, which brings seamless-jobserver 0.3.0). On a fresh hashserver and database (127.0.0.1,
free ports), in both directions:

* A: the 1.x client runs N transformations on OUR jobserver; then our client runs the same
  ones: all database hits (nothing is executed again: a side-effect file counts executions).
* B: our client runs N new transformations on the RELEASED jobserver 0.3.0 (started with
  ``--host 127.0.0.1``); then the 1.x client runs the same ones: all database hits.

Example: ``python tools/bench/jobserver_interop.py`` (exit code 0 when every check passes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import compare

BENCH = Path(__file__).resolve().parent


def client(python: Path, workdir: Path, urls: dict[str, str], salt: int, count: int) -> dict:
    """Run jobserver_client.py with this environment's Python; its JSON report."""
    command = [
        str(python), str(BENCH / "jobserver_client.py"), "--jobserver", urls["jobserver"],
        "--hashserver", urls["hashserver"], "--database", urls["database"], "--salt", str(salt),
        "--count", str(count), "--side-effects", str(workdir / "side-effects.txt"),
    ]  # fmt: skip
    done = subprocess.run(
        command, env=compare.child_env(python, workdir), cwd=workdir, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{python} client failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def direction(
    name: str,
    server_python: Path,
    first: tuple[str, Path],
    second: tuple[str, Path],
    *,
    scratch: Path,
    salt: int,
    count: int,
    cores: int,
) -> dict[str, Any]:
    """One direction: ``first`` computes on ``server_python``'s jobserver, ``second`` re-runs."""
    workdir = scratch / name
    workdir.mkdir()
    (workdir / "side-effects.txt").touch()
    with compare.storage(server_python, workdir / "storage") as (hashserver, database, _):
        services = compare.Services("", hashserver, database)
        with compare.jobserver(server_python, workdir, services, cores=cores) as url:
            urls = {"jobserver": url, "hashserver": hashserver, "database": database}
            one = client(first[1], workdir, urls, salt, count)
            executed = (workdir / "side-effects.txt").read_text().split()
            two = client(second[1], workdir, urls, salt, count)
            executed_after = (workdir / "side-effects.txt").read_text().split()
    checks = {
        "first client: values right": one["values"] == [i + salt for i in range(count)],
        "first client: no exceptions": not one["exceptions"],
        "executed once each on the jobserver": sorted(executed, key=int)
        == [str(i) for i in range(count)],
        "same transformation checksums": one["tf"] == two["tf"],
        "same results": one["results"] == two["results"] and one["values"] == two["values"],
        "second client: all cache hits (nothing executed)": executed_after == executed,
    }
    print(
        f"{name}: jobserver {server_python.parent.parent.name}, "
        f"{first[0]} client {one['wall_s']:.2f} s, then {second[0]} client {two['wall_s']:.2f} s"
    )
    for check, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {check}")
    return {"name": name, "first": one, "second": two, "checks": checks}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=5, help="transformations per direction")
    parser.add_argument("--cores", type=int, default=2, help="jobserver worker processes")
    options = parser.parse_args()
    uv = compare.find_uv()
    pythons = {}
    for env in ("ours", "seamless1"):
        python, reason = compare.ensure_env(env, uv=uv, recreate=False)
        if python is None:
            print(f"environment {env}: {reason}", file=sys.stderr)
            return 2
        pythons[env] = python
    ours, released = ("ours", pythons["ours"]), ("Seamless 1.x", pythons["seamless1"])
    scratch = Path(tempfile.mkdtemp(prefix="jobserver-interop-"))
    results = [
        direction("A: our jobserver, 1.x client first", pythons["ours"], released, ours,
                  scratch=scratch, salt=7_000_001, count=options.count, cores=options.cores),
        direction("B: released jobserver 0.3.0, our client first", pythons["seamless1"], ours,
                  released, scratch=scratch, salt=7_000_002, count=options.count,
                  cores=options.cores),
    ]  # fmt: skip
    ok = all(all(r["checks"].values()) for r in results)
    print("all checks passed" if ok else f"some checks FAILED; logs in {scratch}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

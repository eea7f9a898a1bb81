"""Comparative benchmark: this monorepo vs released Seamless 1.x vs raw Dask, same workloads.

Creates (when missing) two virtual environments under tools/bench/.envs/ with uv: ``ours`` (this
monorepo, editable) and ``seamless1`` (``seamless-suite`` from PyPI), both with the same dask and
distributed versions. Then, repeat after repeat, it interleaves the stacks (A B C C B A ...): each
gets a freshly started hashserver, database and LocalCluster on 127.0.0.1 (free ports), and runs
every workload in its own client process (runner.py, executed by the stack's Python), which prints
one JSON line. Per-workload timeouts are reported as "timeout", never waited out. The results go
to tools/bench/results/ (results.md, results.png, results.json) and the table is printed.

Example: ``python tools/bench/compare.py --quick`` (smoke run), ``python tools/bench/compare.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import report

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent.parent
ENVS = BENCH / ".envs"
RESULTS = BENCH / "results"
DASK_VERSION = "2026.8.0"  # the same dask/distributed in both environments
OUR_PACKAGES = (
    "seamless-config",
    "seamless-remote",
    "seamless-transformer",
    "seamless-dask",
    "seamless-jobserver",
)
COMMON_REQUIREMENTS = (f"distributed=={DASK_VERSION}", f"dask=={DASK_VERSION}", "numpy", "aiofiles")
STACK_ENVS = {
    "seamless1": ("seamless1",),
    "ours": ("ours",),
    "ourshttp": ("ours",),
    "oursbase": ("oursbase",),
    "dask": ("ours", "seamless1"),
    "httpfloor": ("ours",),
    "localfloor": ("ours",),
    "lookupfloor": ("ours",),
}
STACK_ORDER = ("seamless1", "ours", "oursbase", "ourshttp", "dask", "httpfloor", "localfloor")
DEFAULT_STACKS = "seamless1,ours,dask,httpfloor,localfloor,lookupfloor"
SEAMLESS_STACKS = ("seamless1", "ours", "oursbase", "ourshttp")
#: the source tree of the ``oursbase`` stack (``--baseline REF``, extracted with git archive)
BASELINE_SRC = ENVS / "oursbase-src"
FLOORS = ("httpfloor", "localfloor")


@dataclasses.dataclass(frozen=True)
class Workload:
    """One row of the result table."""

    name: str  # row label
    kind: str  # runner --workload
    size: int
    timeout: float  # seconds
    cached: bool = False  # re-run the previous cold workload from a second client process
    stacks: tuple[str, ...] = STACK_ORDER
    megabytes: int = 20
    group: str = ""  # what --workloads selects (default: kind)

    @property
    def selector(self) -> str:
        return self.group or self.kind

    remote: str = "daskserver"  # or "jobserver": the stack's own seamless-jobserver, no Dask


def plan(*, quick: bool) -> list[Workload]:
    """The workloads in session order (fan-out last: Seamless 1.x may hang there)."""
    n1, n2, chain, fan, count, mb = (
        (20, 50, 10, 10, 5, 2) if quick else (200, 1000, 100, 100, 20, 20)
    )
    with_dask = (*SEAMLESS_STACKS, "dask")
    scale = 0.25 if quick else 1.0
    scaling = (20, 100, 400) if quick else (100, 1000, 10000)
    return [
        Workload(f"1. independent N={n1}, cold", "independent", n1, 240 * scale),
        Workload(
            f"2. independent N={n1}, cached", "independent", n1, 120 * scale, True, SEAMLESS_STACKS
        ),
        Workload(
            f"1j. independent N={n1}, cold, jobserver",
            "independent",
            n1,
            240 * scale,
            stacks=("seamless1", "ours"),
            remote="jobserver",
        ),
        Workload(f"1. independent N={n2}, cold", "independent", n2, 600 * scale),
        Workload(
            f"2. independent N={n2}, cached", "independent", n2, 180 * scale, True, SEAMLESS_STACKS
        ),
        Workload(f"3. chain of {chain}", "chain", chain, 180 * scale),
        Workload(
            f"4. {count} x numpy {mb} MB", "numpy", count, 180 * scale, False, SEAMLESS_STACKS, mb
        ),
        *(
            Workload(
                f"5. scale N={n}",
                "independent",
                n,
                60 + n * 0.05,
                stacks=("ours", "oursbase", "dask"),
                group="scale",
            )  # fmt: skip
            for n in scaling
        ),
        Workload(f"3. fan-out/fan-in 1x{fan}x1", "fan", fan, 45 * scale, stacks=with_dask),
    ]


# ---------------------------------------------------------------------------------------------
# Environments


def find_uv() -> list[str]:
    """The uv command: $UV, PATH, tools/bootstrap.sh's venv, ``python -m uv``, else install it."""
    candidates = [os.environ.get("UV"), shutil.which("uv"), str(REPO / ".venv-tools/bin/uv")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return [candidate]
    for python in (sys.executable, str(ENVS / "_uv/bin/python")):
        if not Path(python).is_file():
            continue
        probe = subprocess.run([python, "-m", "uv", "--version"], capture_output=True)
        if probe.returncode == 0:
            return [python, "-m", "uv"]
    print("installing uv into", ENVS / "_uv", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(ENVS / "_uv")], check=True)
    subprocess.run([str(ENVS / "_uv/bin/python"), "-m", "pip", "install", "-q", "uv"], check=True)
    return [str(ENVS / "_uv/bin/python"), "-m", "uv"]


def requirements(env: str) -> list[str]:
    """What ``uv pip install`` gets for each environment."""
    if env == "seamless1":
        return ["seamless-suite", *COMMON_REQUIREMENTS]
    root = BASELINE_SRC if env == "oursbase" else REPO
    editable = [arg for package in OUR_PACKAGES for arg in ("-e", str(root / package))]
    return [*editable, "hashserver", "seamless-database", "matplotlib", *COMMON_REQUIREMENTS]


def ensure_env(env: str, *, uv: list[str], recreate: bool) -> tuple[Path | None, str]:
    """Create or update one environment; return (python, "") or (None, reason)."""
    path = ENVS / env
    if recreate and path.exists():
        shutil.rmtree(path)
    python = path / "bin/python"
    if not python.exists():
        print(f"creating {path}", flush=True)
        created = subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(path)])
        if created.returncode != 0:
            return None, "uv venv failed"
    install = subprocess.run(
        [*uv, "pip", "install", "-q", "--python", str(python), *requirements(env)],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:
        reason = (install.stderr.strip().splitlines() or ["uv pip install failed"])[-1]
        return None, f"environment install failed: {reason}"
    return python, ""


# ---------------------------------------------------------------------------------------------
# Services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(python: Path, home: Path) -> dict[str, str]:
    """A clean environment: the stack's bin first, no PYTHONPATH, no SEAMLESS_* settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEAMLESS_", "DASK_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)  # no ~/.seamless cluster files, no launcher state of the user
    env["PYTHONUNBUFFERED"] = "1"
    return env


def stop(process: subprocess.Popen, *, grace: float = 10.0) -> None:
    """Stop a process we started, and its process group, politely then firmly."""
    if process.poll() is None:
        if process.stdin is not None:
            process.stdin.close()
        else:
            process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        time.sleep(0.5)


def wait_healthy(url: str, process: subprocess.Popen, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthcheck", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not healthy after {timeout} s")


@dataclasses.dataclass
class Services:
    """Addresses of one running set of servers (storage may be absent for raw Dask)."""

    scheduler: str
    hashserver: str | None = None
    database: str | None = None
    buffer_dir: str | None = None  # the hashserver's directory (the fast path writes there)
    jobserver: str | None = None


@contextmanager
def storage(python: Path, workdir: Path) -> Iterator[tuple[str, str, str]]:
    """A fresh hashserver and database (this environment's binaries) on free loopback ports."""
    env = child_env(python, workdir)
    (workdir / "buffers").mkdir(parents=True, exist_ok=True)
    log = open(workdir / "storage.log", "ab")
    hs_port, db_port = free_port(), free_port()
    hashserver = subprocess.Popen(
        [str(python.parent / "hashserver"), str(workdir / "buffers"), "--writable",
         "--host", "127.0.0.1", "--port", str(hs_port)],
        env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    database = subprocess.Popen(
        [str(python.parent / "seamless-database"), str(workdir / "seamless.db"), "--writable",
         "--host", "127.0.0.1", "--port", str(db_port)],
        env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    urls = f"http://127.0.0.1:{hs_port}", f"http://127.0.0.1:{db_port}"
    try:
        wait_healthy(urls[0], hashserver)
        wait_healthy(urls[1], database)
        yield (*urls, str(workdir / "buffers"))
    finally:
        stop(hashserver)
        stop(database)
        log.close()


@contextmanager
def cluster(python: Path, workdir: Path, *, cores: int) -> Iterator[str]:
    """A LocalCluster run by this environment's Python (cluster.py); yields the scheduler address."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "cluster.log", "ab")
    process = subprocess.Popen(
        [str(python), str(BENCH / "cluster.py"), "--cores", str(cores)],
        env=child_env(python, workdir), cwd=workdir, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"cluster.py failed to start, see {workdir / 'cluster.log'}")
        yield json.loads(line)["address"]
    finally:
        stop(process)
        log.close()


@contextmanager
def jobserver(python: Path, workdir: Path, services: Services, *, cores: int) -> Iterator[str]:
    """This environment's ``seamless-jobserver`` on the session's storage; yields its URL."""
    parameters: dict[str, Any] = {"record": False}
    for kind, url in (("database", services.database), ("buffer", services.hashserver)):
        parameters[kind] = [{"readonly": False, "url": url, "remote_url": url}]
    if services.buffer_dir:  # as the clients (runner.py): the directory is on this machine
        entry = parameters["buffer"][0]
        entry["directory"] = entry["remote_directory"] = services.buffer_dir
    status = workdir / "jobserver-status.json"
    status.write_text(json.dumps({"status": "starting", "parameters": parameters}))
    port = free_port()
    log = open(workdir / "jobserver.log", "ab")
    process = subprocess.Popen(
        [str(python.parent / "seamless-jobserver"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(cores), "--status-file", str(status)],
        env=child_env(python, workdir), cwd=workdir, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, timeout=90)
        yield url
    finally:
        stop(process)
        log.close()


@contextmanager
def session(stack: str, python: Path, workdir: Path, *, cores: int) -> Iterator[Services]:
    """Fresh servers for one stack: LocalCluster, plus hashserver and database unless raw Dask."""
    with cluster(python, workdir, cores=cores) as scheduler:
        if stack == "dask":
            yield Services(scheduler)
        else:
            with storage(python, workdir) as (hashserver, database, buffer_dir):
                yield Services(scheduler, hashserver, database, buffer_dir)


# ---------------------------------------------------------------------------------------------
# Running one workload


def run_runner(
    stack: str,
    python: Path,
    services: Services,
    workload: Workload,
    *,
    salt: int,
    timeout: float,
    workdir: Path,
    cores: int,
    probe: bool = False,
) -> dict[str, Any]:
    """Run runner.py for one workload in a fresh client process; return its JSON report."""
    command = [
        str(python), str(BENCH / "runner.py"), "--stack", stack, "--workload", workload.kind,
        "--size", str(workload.size), "--salt", str(salt), "--megabytes", str(workload.megabytes),
        "--scheduler", services.scheduler, "--seamless-workers", str(cores),
    ]  # fmt: skip
    if services.hashserver:
        command += ["--hashserver", services.hashserver, "--database", services.database]
    if services.buffer_dir:
        command += ["--buffer-dir", services.buffer_dir]
    if services.jobserver:
        command += ["--jobserver", services.jobserver]
    if probe:
        command.append("--probe")
    base = {"stack": stack, "workload": workload.name, "size": workload.size, "salt": salt}
    log = open(workdir / "runner.log", "ab")
    process = subprocess.Popen(
        command, env=child_env(python, workdir), cwd=workdir, stdout=subprocess.PIPE,
        stderr=log, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process, grace=0)
        return {**base, "status": "timeout", "timeout_s": timeout, "error": f"> {timeout:.0f} s"}
    finally:
        log.close()
    for line in reversed(out.splitlines()):
        if line.startswith('{"bench"'):
            return {**json.loads(line), **base}
    return {**base, "status": "error", "error": f"runner exited {process.returncode}, no JSON"}


def describe(record: dict[str, Any]) -> str:
    if record["status"] == "ok":
        extra = f" db hits {record['database_hits']}" if "database_hits" in record else ""
        wall = f"{record['wall_s']:.2f} s" if "wall_s" in record else "probe"
        return f"{wall} (setup {record['setup_s']:.1f} s, {record['peak_rss_mb']:.0f} MB){extra}"
    return f"{record['status']}: {record.get('error', '')}"


def run_one(
    stack: str,
    python: Path,
    services: Services,
    workloads: list[Workload],
    index: int,
    *,
    repeat: int,
    previous: dict[str, Any] | None,
    workdir: Path,
    cores: int,
    timeout_scale: float,
) -> dict[str, Any]:
    """One workload of one session; a cached workload re-uses the salt of the cold one before it."""
    workload = workloads[index]
    cold = workloads[index - 1] if workload.cached else workload
    salt = 1000 * repeat + workloads.index(cold)
    if workload.cached and (previous is None or previous["status"] != "ok"):
        record = {"stack": stack, "workload": workload.name, "status": "skipped",
                  "error": "the cold run before it failed"}  # fmt: skip
    elif workload.remote == "jobserver":
        try:
            with jobserver(python, workdir, services, cores=cores) as url:
                record = run_runner(
                    stack, python, dataclasses.replace(services, jobserver=url), workload,
                    salt=salt, timeout=workload.timeout * timeout_scale, workdir=workdir,
                    cores=cores,
                )  # fmt: skip
        except RuntimeError as exc:  # the jobserver did not start
            record = {"stack": stack, "workload": workload.name, "status": "error",
                      "error": f"jobserver: {exc}"}  # fmt: skip
    else:
        record = run_runner(
            stack, python, services, workload, salt=salt, timeout=workload.timeout * timeout_scale,
            workdir=workdir, cores=cores,
        )  # fmt: skip
    record["repeat"] = repeat
    print(f"[repeat {repeat + 1}] {stack:11} {workload.name:32} {describe(record)}", flush=True)
    return record


def run_lookup_floor(
    python: Path, services: Services, workload: Workload, cold: dict[str, Any], *,
    repeat: int, workdir: Path, cores: int, timeout_scale: float,
) -> dict[str, Any]:  # fmt: skip
    """After our cached run: the same database lookups alone, concurrent, from one process."""
    record = run_runner(
        "lookupfloor", python, services, workload, salt=cold["salt"],
        timeout=workload.timeout * timeout_scale, workdir=workdir, cores=cores,
    )  # fmt: skip
    record["repeat"] = repeat
    print(f"[repeat {repeat + 1}] {'lookupfloor':11} {workload.name:32} {describe(record)}")
    return record


def run_sessions(
    workloads: list[Workload],
    pythons: dict[str, Path],
    *,
    repeats: int,
    cores: int,
    scratch: Path,
    timeout_scale: float,
) -> list[dict[str, Any]]:
    """All repeats, stacks interleaved; a fresh session per (repeat, stack), restarted after a timeout."""
    records = []
    stacks = [s for s in STACK_ORDER if s in pythons]
    for repeat in range(repeats):
        for stack in stacks if repeat % 2 == 0 else stacks[::-1]:  # A B C, C B A: drift cancels
            todo = [(i, w) for i, w in enumerate(workloads) if stack in w.stacks]
            while todo:
                workdir = Path(tempfile.mkdtemp(prefix=f"r{repeat}-{stack}-", dir=scratch))
                try:
                    with session(stack, pythons[stack], workdir, cores=cores) as services:
                        while todo:
                            index, _ = todo.pop(0)
                            record = run_one(stack, pythons[stack], services, workloads, index,
                                             repeat=repeat, previous=records[-1] if records else None,
                                             workdir=workdir, cores=cores, timeout_scale=timeout_scale)  # fmt: skip
                            records.append(record)
                            workload = workloads[index]
                            if (
                                stack == "ours"
                                and workload.cached
                                and "lookupfloor" in pythons
                                and record["status"] == "ok"
                            ):
                                records.append(run_lookup_floor(
                                    pythons["lookupfloor"], services, workload, record,
                                    repeat=repeat, workdir=workdir, cores=cores,
                                    timeout_scale=timeout_scale))  # fmt: skip
                            if record["status"] == "timeout":
                                break  # the cluster may be wedged: fresh services for the rest
                            if record["status"] == "unavailable":
                                for _, rest in todo:
                                    records.append({**record, "workload": rest.name})
                                todo = []
                except RuntimeError as exc:  # a server or the cluster did not start
                    for _, rest in todo:
                        records.append({"stack": stack, "workload": rest.name, "repeat": repeat,
                                        "status": "error", "error": f"services: {exc}"})  # fmt: skip
                    todo = []
    return records


def run_cross(
    workload: Workload, pythons: dict[str, Path], *, cores: int, scratch: Path, timeout_scale: float
) -> list[dict[str, Any]]:
    """Cross-implementation cache reuse: A computes on shared servers, then B probes and re-runs.

    Both stacks use the same hashserver and database (each with its own LocalCluster). The probe
    asks the database directly whether B's transformation checksums are known; the re-run shows
    whether B's normal path then skips the work (few Dask tasks, cached-like wall time).
    """
    records: list[dict[str, Any]] = []
    for first, second in (("seamless1", "ours"), ("ours", "seamless1")):
        workdir = Path(tempfile.mkdtemp(prefix=f"cross-{first}-", dir=scratch))
        salt = 900_000 + len(records)
        steps = [(first, False), (second, True), (second, False)]
        with storage(pythons["seamless1"], workdir / "storage") as (hashserver, database, bdir):
            for stack, probe in steps:
                with cluster(pythons[stack], workdir / stack, cores=cores) as scheduler:
                    services = Services(scheduler, hashserver, database, bdir)
                    record = run_runner(
                        stack, pythons[stack], services, workload,
                        salt=salt, timeout=workload.timeout * timeout_scale, workdir=workdir,
                        cores=cores, probe=probe,
                    )  # fmt: skip
                record.update(cross=f"{first}->{second}", role="probe" if probe else stack)
                records.append(record)
                print(f"[cross {first} -> {second}] {stack:9} {'probe' if probe else 'run':5} "
                      f"{describe(record)}", flush=True)  # fmt: skip
                if record["status"] != "ok":
                    break
    return records


def extract_baseline(ref: str) -> str:
    """Write the monorepo at ``ref`` to BASELINE_SRC (git archive, no worktree); its short hash."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", f"{ref}^{{commit}}"],
                         capture_output=True, text=True)  # fmt: skip
    if sha.returncode != 0:
        raise SystemExit(f"--baseline {ref!r}: not a commit in {REPO} ({sha.stderr.strip()})")
    shutil.rmtree(BASELINE_SRC, ignore_errors=True)
    BASELINE_SRC.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", sha.stdout.strip()],
                               stdout=subprocess.PIPE)  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(BASELINE_SRC)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"--baseline {ref!r}: git archive failed")
    return sha.stdout.strip()


def git_commit() -> str:
    """The monorepo commit measured as "ours" (with "+changes" if the tree differs from it)."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)  # fmt: skip
    if head.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    return head.stdout.strip() + (" +uncommitted changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="repeats per workload (default 2: about 6 min; 3: about 9 min)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 repeat: a smoke run")
    parser.add_argument(
        "--stacks",
        default=DEFAULT_STACKS,
        help="comma-separated subset of seamless1, ours, oursbase (ours at --baseline REF), "
        "ourshttp (ours without the local fast path), dask, httpfloor, localfloor, lookupfloor "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="git commit for the oursbase stack (before/after in one run); adds oursbase",
    )
    parser.add_argument(
        "--cores", type=int, default=2, help="Seamless workers (worker threads = 3x)"
    )
    parser.add_argument(
        "--workloads",
        default="independent,chain,numpy,fan",
        help="comma-separated subset of independent, chain, numpy, fan, scale (N=100, 1000, "
        "10000; ours and raw Dask) (default: %(default)s)",
    )
    parser.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every timeout")
    parser.add_argument("--no-cross", action="store_true", help="skip the cache-reuse check")
    parser.add_argument("--recreate-envs", action="store_true", help="delete and rebuild .envs/")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder")
    options = parser.parse_args()
    repeats = options.repeats or (1 if options.quick else 2)
    wanted = [s.strip() for s in options.stacks.split(",") if s.strip()]
    if set(wanted) - set(STACK_ENVS):
        parser.error(f"--stacks: unknown {', '.join(sorted(set(wanted) - set(STACK_ENVS)))}")
    if options.baseline and "oursbase" not in wanted:
        wanted.append("oursbase")
    if "oursbase" in wanted and not options.baseline:
        parser.error("--stacks oursbase needs --baseline REF (the commit to compare against)")
    started = time.monotonic()
    baseline = extract_baseline(options.baseline) if options.baseline else None

    uv = find_uv()
    envs: dict[str, tuple[Path | None, str]] = {}
    for env in dict.fromkeys(e for s in wanted for e in STACK_ENVS[s][:1]):
        envs[env] = ensure_env(env, uv=uv, recreate=options.recreate_envs)
    if "dask" in wanted and envs[STACK_ENVS["dask"][0]][0] is None:  # raw Dask runs in either
        envs["seamless1"] = ensure_env("seamless1", uv=uv, recreate=options.recreate_envs)
    pythons: dict[str, Path] = {}
    unavailable: dict[str, str] = {}
    for stack in wanted:
        candidates = [envs[e] for e in STACK_ENVS[stack] if e in envs]
        python = next((p for p, _ in candidates if p is not None), None)
        if python is None:
            unavailable[stack] = candidates[0][1]
        else:
            pythons[stack] = python
    kinds = {k.strip() for k in options.workloads.split(",") if k.strip()}
    unknown = kinds - {w.selector for w in plan(quick=False)}
    if unknown:
        parser.error(f"--workloads: unknown {', '.join(sorted(unknown))}")
    workloads = [w for w in plan(quick=options.quick) if w.selector in kinds]
    scratch = Path(tempfile.mkdtemp(prefix="seamless-bench-"))
    print(f"scratch folder (servers, logs): {scratch}", flush=True)
    records = run_sessions(
        workloads, pythons, repeats=repeats, cores=options.cores, scratch=scratch,
        timeout_scale=options.timeout_scale,
    )  # fmt: skip
    for stack, reason in unavailable.items():
        records.append({"stack": stack, "workload": "*", "status": "unavailable", "error": reason})
    cross: list[dict[str, Any]] = []
    if not options.no_cross and {"ours", "seamless1"} <= set(pythons) and "independent" in kinds:
        cross = run_cross(
            workloads[0], pythons, cores=options.cores, scratch=scratch,
            timeout_scale=options.timeout_scale,
        )  # fmt: skip
    meta = {
        "repeats": repeats,
        "quick": options.quick,
        "cores": options.cores,
        "cpu_count": os.cpu_count(),
        "elapsed_s": time.monotonic() - started,
        "commit": git_commit(),
        "baseline": baseline,
        "workloads": [w.name for w in workloads],
    }
    options.results.mkdir(parents=True, exist_ok=True)
    raw = options.results / "results.json"
    raw.write_text(json.dumps({"meta": meta, "records": records, "cross": cross}, indent=1))
    table = report.write_report(raw, options.results, chart_pythons=list(pythons.values()))
    print(table)
    if all(r["status"] in ("ok", "unavailable", "skipped") for r in records + cross):
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        for buffers in scratch.rglob("buffers"):
            shutil.rmtree(buffers, ignore_errors=True)
        print(f"Some runs failed or timed out; their logs are kept in {scratch}")


if __name__ == "__main__":
    main()

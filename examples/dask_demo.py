"""Demo, Dask mode: a Seamless pipeline on a local Dask server with persistent caching.

Everything runs on this machine, on 127.0.0.1: seamless_config launches a hashserver, a
seamless-database and ``seamless-dask-wrapper`` (a LocalCluster) through remote-http-launcher,
from a cluster definition written into a private HOME under --workdir. The pipeline runs twice,
in two fresh processes: the first run computes on the Dask workers, the second finds every
result in the database and submits nothing.

Usage: python examples/dask_demo.py [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLUSTERS = """
local_cluster: demo
demo:
  type: local
  workers: 2
  frontends:
    - hashserver: {{bufferdir: {root}/buffers, network_interface: 127.0.0.1, port_start: {p0}, port_end: {p1}}}
      database: {{database_dir: {root}/database, network_interface: 127.0.0.1, port_start: {p2}, port_end: {p3}}}
      daskserver: {{network_interface: 127.0.0.1, port_start: {p4}, port_end: {p5}}}
  default_queue: local
  queues:
    local: {{walltime: "01:00:00", memory: 2GiB, cores: 2, unknown_task_duration: 1m,
             target_duration: 5m, maximum_jobs: 1}}
"""


def pipeline() -> None:
    """The pipeline (runs in a child process with the demo HOME)."""
    from seamless.transformer import delayed

    import seamless_config

    seamless_config.init(workdir=os.getcwd())

    @delayed
    def square(x):
        import time

        time.sleep(0.5)
        return x * x

    @delayed
    def add(a, b):
        return a + b

    start = time.perf_counter()
    s = [square(i) for i in range(6)]
    total = add(add(add(s[0], s[1]), add(s[2], s[3])), add(s[4], s[5]))
    value = total.run()
    seconds = round(time.perf_counter() - start, 2)
    from seamless_dask import get_seamless_dask_client

    client = get_seamless_dask_client()
    dashboard = client.client.dashboard_link if client is not None else None
    print(
        json.dumps(
            {"value": value, "seconds": seconds, "dask": client is not None, "dashboard": dashboard}
        )
    )


def _stop_services(home: Path) -> None:
    for state in (home / ".remote-http-launcher" / "server").glob("*.json"):
        pid = json.loads(state.read_text()).get("pid")
        if pid:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", help="where HOME, buffers and database go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="leave the services running")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        pipeline()
        return 0
    root = Path(args.workdir or tempfile.mkdtemp(prefix="seamless-dask-demo-")).resolve()
    home, project = root / "home", root / "project"
    (home / ".seamless").mkdir(parents=True, exist_ok=True)
    project.mkdir(parents=True, exist_ok=True)
    base = 47000 + (os.getpid() % 50) * 300
    ports = {f"p{i}": base + 100 * (i // 2) + 99 * (i % 2) for i in range(6)}
    (home / ".seamless" / "clusters.yaml").write_text(CLUSTERS.format(root=root, **ports))
    (project / "seamless.yaml").write_text("- project: demo\n")
    (project / "seamless.profile.yaml").write_text(
        "- cluster: demo\n- execution: remote\n- remote: daskserver\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        for label in ("first run (computes on Dask)", "second run (new process, cached)"):
            out = subprocess.run(
                [sys.executable, __file__, "--child"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode != 0 or not lines:
                print(out.stdout, out.stderr[-4000:], file=sys.stderr)
                return 1
            result = json.loads(lines[-1])
            via = f"via Dask ({result['dashboard']})" if result["dask"] else "without Dask"
            print(f"{label}: result {result['value']} in {result['seconds']} s, {via}")
    finally:
        if not args.keep:
            _stop_services(home)
    print(f"workdir: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

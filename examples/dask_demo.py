"""Demo, Dask mode: the pi pipeline (examples/pi_pipeline.py) on a local Dask server.

Everything runs on this machine, on 127.0.0.1: seamless_config launches a hashserver, a
seamless-database and ``seamless-dask-wrapper`` (a LocalCluster) through remote-http-launcher,
from a cluster definition written into a private HOME under --workdir. The pipeline runs twice,
in two fresh processes: the first run computes on the Dask workers, the second finds every
result in the database and submits nothing.

Usage: python examples/dask_demo.py [--workdir DIR] [--keep] [pi_pipeline.py options]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
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


def _stop_services(home: Path, env: dict[str, str]) -> None:
    """Stop what the launcher started under the demo HOME (``rhl-stop`` of remote-http-launcher)."""
    keys = [state.stem for state in (home / ".remote-http-launcher" / "server").glob("*.json")]
    if keys:
        subprocess.run(["rhl-stop", *keys], env=env, capture_output=True, timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", help="where HOME, buffers and database go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="leave the services running")
    args, pipeline_args = parser.parse_known_args()
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
    pipeline = [sys.executable, str(Path(__file__).with_name("pi_pipeline.py")), *pipeline_args]
    pipeline += ["--workdir", str(project), "--timings", str(root / "pi-demo-timings.json")]
    try:
        for label in ("first run (computes on Dask)", "second run (new process, cached)"):
            print(f"== {label} ==", flush=True)
            out = subprocess.run(pipeline, cwd=project, env=env, timeout=600)
            if out.returncode != 0:
                print(f"the pipeline failed (exit code {out.returncode})", file=sys.stderr)
                return 1
    finally:
        if not args.keep:
            _stop_services(home, env)
    print(f"workdir: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

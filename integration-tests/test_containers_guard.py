"""Scenario 2: the transformer guard in pure-Dask mode, in a container of its own.

The container's cluster config selects pure-Dask mode (``persistent: false``): seamless_config
must start only the Dask server (no hashserver or database process exists in the container),
plain Dask work runs, and a Seamless transformer call fails with the guard's error before any
work is done.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from container_run import container, result_line, run_to_end
from seamless_testing.servers import free_port

CLUSTERS = """
local_cluster: pure
pure:
  type: local
  workers: 1
  frontends:
    - daskserver: {{network_interface: 127.0.0.1, port_start: {start}, port_end: {end}}}
  default_queue: q
  queues:
    q: {{walltime: "01:00:00", memory: 1GiB, cores: 1, unknown_task_duration: 1m,
        target_duration: 5m, maximum_jobs: 1, worker_threads: 2}}
"""


@pytest.mark.timeout(600)
def test_pure_dask_mode_starts_only_dask_and_guards_transformers(
    stack_image: str, host_dir: Path
) -> None:
    start = free_port()
    start = start if start < 65000 else start - 1000
    home = host_dir / "home"
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(CLUSTERS.format(start=start, end=start + 99))
    project = host_dir / "project"
    project.mkdir()
    (project / "seamless.yaml").write_text("- project: guard\n")
    (project / "seamless.profile.yaml").write_text(
        "- cluster: pure\n- execution: remote\n- persistent: false\n- remote: daskserver\n"
    )
    command = "cd /work/project && python /scripts/pure_dask_probe.py /work/marker"
    c = container(stack_image, command, volumes={host_dir: "/work"}, env={"HOME": "/work/home"})
    code, output = run_to_end(c, timeout=400)
    assert code == 0, f"the pure-Dask probe failed (exit {code}):\n{output[-6000:]}"
    result = result_line(output)
    assert result["client"] == "distributed.client.Client"
    assert result["submit"] == 42  # plain Dask work runs
    procs = result["processes"]
    assert any("seamless-dask-wrapper" in p or "seamless_dask" in p for p in procs), procs
    assert not [p for p in procs if "hashserver" in p or "seamless-database" in p], procs
    assert result["guard"] and result["guard"].startswith("PureDaskModeError"), result["guard"]
    assert not result["executed"]  # refused before any work

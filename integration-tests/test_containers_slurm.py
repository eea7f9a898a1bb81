"""Issue 21: a real SLURM (Debian's slurm-wlm + munge) in a container, driven through
seamless-dask-wrapper and dask-jobqueue.

One container runs munged, slurmctld and slurmd (one compute node with 4 CPUs, whatever the
host has), on host networking with free ports, slurm.conf written at start for the host's name
(container_scripts/slurm_start.sh). Inside it, a Seamless client selects a cluster of type
slurm: seamless_config launches a hashserver, a database and seamless-dask-wrapper, whose
SLURMCluster submits the Dask workers as SLURM jobs with sbatch. Checked, in one container
(the image and SLURM start-up are the expensive part):

- every transformation ran inside a SLURM job (its SLURM_JOB_ID), and SLURM's job-completion
  log lists those jobs; all results are in the database;
- under load the wrapper runs ``maximum_jobs`` jobs at once, and none once idle;
- the batch script SLURM holds for a running job is exactly what the rendering code path of
  seamless-dask's tests renders from the wrapper's own parameters;
- a job killed with ``scancel`` mid-run: the run still completes with correct results, the
  killed job's transformations running again in another job.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import container_images
import pytest
from container_run import container, logs, result_line, running, wait_log
from seamless_testing.servers import free_port
from testcontainers.core.container import DockerContainer

MAXIMUM_JOBS = 2
CLUSTERS = """
local_cluster: hpc
hpc:
  type: slurm
  frontends:
    - hostname: localhost
      hashserver: {{bufferdir: /work/buffers, network_interface: 127.0.0.1, {hs}}}
      database: {{database_dir: /work/database, network_interface: 127.0.0.1, {db}}}
      daskserver: {{network_interface: 127.0.0.1, {dask}}}
  default_queue: q
  queues:
    q: {{walltime: "00:30:00", cores: 1, memory: 1GB, maximum_jobs: {maximum_jobs},
        unknown_task_duration: 1m, target_duration: 5s}}
"""


@pytest.fixture(scope="session")
def slurm_image(stack_image: str) -> str:
    """``stack_image`` + slurm-wlm and munge."""
    return container_images.slurm_image(stack_image)


def _port_range() -> str:
    start = free_port()
    start = start if start < 65000 else start - 1000
    return f"port_start: {start}, port_end: {start + 49}"


class Slurm:
    """The running SLURM container; ``sh`` runs a command in it."""

    def __init__(self, c: DockerContainer, root: Path) -> None:
        self.c = c
        self.root = root

    def sh(self, command: str, *, check: bool = True) -> str:
        code, output = self.c.get_wrapped_container().exec_run(
            ["bash", "-c", command], environment={"HOME": "/work/home"}, workdir="/work/project"
        )
        text = output.decode(errors="replace")
        if check:
            assert code == 0, f"`{command}` failed ({code}):\n{text[-4000:]}"
        return text

    def jobs(self, state: str | None = "R") -> list[str]:
        """Job ids in ``state`` (None: pending, running or completing)."""
        states = f"-t {state} " if state else ""
        return self.sh(f"squeue -h {states}-o %i").split()

    def executions(self) -> list[list[str]]:
        path = self.root / "markers" / "executions"
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    def start_client(self, tag: str, count: int, seconds: float) -> Any:
        """Run slurm_client.py in the container, in the background; returns the exec id."""
        api = self.c.get_docker_client().client.api
        command = (
            f"timeout 500 python /scripts/slurm_client.py /work/markers {tag} {count} {seconds} "
            f"> /work/client-{tag}.out 2>&1; echo $? > /work/client-{tag}.rc"
        )
        exec_id = api.exec_create(
            self.c.get_wrapped_container().id,
            ["bash", "-c", command],
            environment={"HOME": "/work/home"},
            workdir="/work/project",
        )
        api.exec_start(exec_id, detach=True)
        return exec_id

    def client_done(self, tag: str) -> bool:
        return (self.root / f"client-{tag}.rc").exists()

    def client_result(self, tag: str, timeout: float = 520) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.client_done(tag):
            assert time.monotonic() < deadline, f"client {tag} did not finish"
            time.sleep(0.5)
        output = (self.root / f"client-{tag}.out").read_text()
        code = int((self.root / f"client-{tag}.rc").read_text())
        assert code == 0, f"client {tag} failed ({code}):\n{output[-6000:]}\n{self.debug()}"
        return result_line(output)

    def debug(self) -> str:
        return self.sh(
            "tail -n 20 /var/log/slurm/slurmctld.log; squeue; "
            "tail -n 30 /work/home/.remote-http-launcher/server/*.log*",
            check=False,
        )

    def wait_for_no_jobs(self, timeout: float = 180) -> float:
        start = time.monotonic()
        while self.jobs(None):
            assert time.monotonic() - start < timeout, f"jobs left:\n{self.debug()}"
            time.sleep(1)
        return time.monotonic() - start


@pytest.fixture
def slurm(slurm_image: str, host_dir: Path) -> Iterator[Slurm]:
    home = host_dir / "home"
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(
        CLUSTERS.format(
            hs=_port_range(), db=_port_range(), dask=_port_range(), maximum_jobs=MAXIMUM_JOBS
        )
    )
    (host_dir / "project").mkdir()
    (host_dir / "project" / "seamless.yaml").write_text("- project: slurmit\n")
    (host_dir / "project" / "seamless.profile.yaml").write_text(
        "- cluster: hpc\n- execution: remote\n- remote: daskserver\n"
    )
    (host_dir / "markers").mkdir()
    c = container(
        slurm_image,
        "bash /scripts/slurm_start.sh",
        volumes={host_dir: "/work"},
        env={"SLURMCTLD_PORT": str(free_port()), "SLURMD_PORT": str(free_port())},
    )
    with running(c):
        start = time.monotonic()
        wait_log(c, "SLURM READY", timeout=90)
        print(f"SLURM up in {time.monotonic() - start:.1f} s")
        yield Slurm(c, host_dir)
        print(logs(c)[-2000:])


@pytest.mark.timeout(1200)
def test_slurm_cluster_through_the_dask_wrapper(slurm: Slurm) -> None:
    # 1. load: 8 transformations of 6 s; the wrapper scales up to maximum_jobs
    slurm.start_client("load", 8, 6)
    most, script_checked = 0, False
    while not slurm.client_done("load"):
        running_jobs = slurm.jobs("R")
        most = max(most, len(running_jobs))
        if running_jobs and not script_checked:
            job = running_jobs[0]
            actual = slurm.sh(f"scontrol write batch_script {job} -")
            name = re.search(r"--name (\S+)", actual)
            assert name, actual
            status = "/work/home/.remote-http-launcher/server/daskserver-*.json"
            rendered = slurm.sh(f"python /scripts/slurm_render.py {status} {name.group(1)}")
            assert actual == rendered, f"submitted:\n{actual}\nrendered:\n{rendered}"
            script_checked = True
        time.sleep(0.5)
    load = slurm.client_result("load")
    assert load["values"] == [i * i for i in range(8)]
    assert not load["exceptions"] and load["stored"] == load["results"]
    assert script_checked, "no job was seen running"
    assert most == MAXIMUM_JOBS, f"at most {most} jobs ran at once"
    ran = [e for e in slurm.executions() if e[0] == "end" and e[1] == "load"]
    assert {int(e[2]) for e in ran} == set(range(8))
    job_ids = {e[3] for e in ran}
    assert "none" not in job_ids, "a transformation ran outside SLURM"

    # 2. idle: back to zero jobs; SLURM's completion log lists the jobs that ran the work
    idle_seconds = slurm.wait_for_no_jobs()
    print(f"scaled down to zero jobs {idle_seconds:.1f} s after the load")
    completed = set(re.findall(r"JobId=(\d+) ", slurm.sh("cat /var/log/slurm/jobcomp.log")))
    assert job_ids <= completed, (job_ids, completed)

    # 3. scancel a job mid-run: the run completes, its work runs again in another job
    slurm.start_client("cancel", 4, 8)
    deadline = time.monotonic() + 300
    victim = None
    while victim is None:
        assert time.monotonic() < deadline, f"no transformation started:\n{slurm.debug()}"
        started = [e for e in slurm.executions() if e[0] == "start" and e[1] == "cancel"]
        if started:
            victim = started[0][3]
        time.sleep(0.2)
    slurm.sh(f"scancel {victim}")
    cancelled = slurm.client_result("cancel")
    assert cancelled["values"] == [i * i for i in range(4)]
    assert not cancelled["exceptions"] and cancelled["stored"] == cancelled["results"]
    events = [e for e in slurm.executions() if e[1] == "cancel"]
    killed = {e[2] for e in events if e[0] == "start" and e[3] == victim} - {
        e[2] for e in events if e[0] == "end" and e[3] == victim
    }
    assert killed, "scancel hit no running transformation"
    for i in killed:
        assert [e for e in events if e[0] == "end" and e[2] == i and e[3] != victim], (
            f"transformation {i} of the cancelled job {victim} did not run again elsewhere"
        )
    state = slurm.sh(f"grep 'JobId={victim} ' /var/log/slurm/jobcomp.log || true")
    print(f"cancelled job {victim}: {state.strip()}")
    print(json.dumps({"load_seconds": load["seconds"], "cancel_seconds": cancelled["seconds"]}))

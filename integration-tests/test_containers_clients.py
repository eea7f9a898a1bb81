"""Scenarios 3 and 4: cache reuse across client containers, and faults.

hashserver and seamless-database each run in their own container with their data on a volume
(a host directory), a Dask scheduler in another, one or two Dask workers in others, and the
clients in containers of their own, all on host networking with free loopback ports. Each real
execution of a transformation appends its worker's name to a shared marker file, so the test
can count what ran where.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from container_run import container, result_line, run_to_end, running, wait_http, wait_log
from seamless_testing.servers import free_port
from testcontainers.core.container import DockerContainer

EXPECTED_CHUNKS = [sum((seed * i) % 7 for i in range(2000)) for seed in range(8)]


@dataclass
class Stack:
    """The service containers of one test and how to reach them."""

    image: str
    root: Path
    hashserver_port: int = field(default_factory=free_port)
    database_port: int = field(default_factory=free_port)
    scheduler_port: int = field(default_factory=free_port)
    workers: dict[str, DockerContainer] = field(default_factory=dict)
    database: DockerContainer | None = None

    @property
    def scheduler(self) -> str:
        return f"tcp://127.0.0.1:{self.scheduler_port}"

    @property
    def remote_clients(self) -> dict[str, Any]:
        return {
            "buffer": [{"url": f"http://127.0.0.1:{self.hashserver_port}", "readonly": False}],
            "database": [{"url": f"http://127.0.0.1:{self.database_port}", "readonly": False}],
        }

    @property
    def markers(self) -> Path:
        return self.root / "markers"

    def executions(self) -> list[str]:
        path = self.markers / "executions"
        return path.read_text().splitlines() if path.exists() else []

    def database_container(self) -> DockerContainer:
        return container(
            self.image,
            f"seamless-database /data/seamless.db --writable --host 127.0.0.1 "
            f"--port {self.database_port}",
            volumes={self.root / "database": "/data"},
        )

    def restart_database(self) -> None:
        """Stop the database container and start a new one on the same volume and port."""
        assert self.database is not None
        self.database.stop()
        self.database = self.database_container().start()
        wait_http(f"http://127.0.0.1:{self.database_port}/healthcheck", self.database)

    def worker(self, name: str) -> DockerContainer:
        return container(
            self.image,
            f"dask worker {self.scheduler} --name {name} --nthreads 2 --resources S=1 "
            f"--host 127.0.0.1 --no-dashboard --nanny --death-timeout 120",
            volumes={self.markers: "/markers"},
            env={"WORKER_NAME": name},
        )

    def client(self, mode: str = "pipeline") -> DockerContainer:
        command = [
            "timeout",
            "400",
            "python",
            "/scripts/pipeline_client.py",
            self.scheduler,
            json.dumps(self.remote_clients),
            "/markers",
            mode,
            str(len(self.workers)),
        ]
        return container(self.image, command, volumes={self.markers: "/markers"})


@contextlib.contextmanager
def service_stack(image: str, root: Path, workers: int, dask: bool = True) -> Iterator[Stack]:
    stack = Stack(image=image, root=root)
    for sub in ("buffers", "database", "markers"):
        (root / sub).mkdir()
    with contextlib.ExitStack() as stop:
        hashserver = stop.enter_context(
            running(
                container(
                    image,
                    f"hashserver /data --writable --host 127.0.0.1 --port {stack.hashserver_port}",
                    volumes={root / "buffers": "/data"},
                )
            )
        )
        stack.database = stack.database_container().start()
        stop.callback(lambda: stack.database.stop() if stack.database else None)
        wait_http(f"http://127.0.0.1:{stack.hashserver_port}/healthcheck", hashserver)
        wait_http(f"http://127.0.0.1:{stack.database_port}/healthcheck", stack.database)
        if dask:
            scheduler = stop.enter_context(
                running(
                    container(
                        image,
                        f"dask scheduler --host 127.0.0.1 --port {stack.scheduler_port} "
                        f"--no-dashboard",
                    )
                )
            )
            wait_log(scheduler, "Scheduler at")
        for i in range(workers):
            name = f"worker{i + 1}"
            stack.workers[name] = stop.enter_context(running(stack.worker(name)))
        yield stack


def _run_client(stack: Stack, mode: str = "pipeline") -> dict[str, Any]:
    code, output = run_to_end(stack.client(mode), timeout=450)
    assert code == 0, f"client container failed (exit {code}):\n{output[-6000:]}"
    return result_line(output)


def _assert_all_stored(result: dict[str, Any]) -> None:
    assert not result["exceptions"], result["exceptions"]
    assert result["stored"] == result["results"], "a result is missing from the database"


@pytest.mark.timeout(900)
def test_second_client_container_executes_nothing(stack_image: str, host_dir: Path) -> None:
    with service_stack(stack_image, host_dir, workers=1) as stack:
        first = _run_client(stack)
        assert first["value"] == sum(EXPECTED_CHUNKS)
        _assert_all_stored(first)
        ran = stack.executions()
        assert sorted(ran) == sorted(f"chunk {s} worker1" for s in range(8))
        second = _run_client(stack)
        assert stack.executions() == ran, "the second client executed something"
        assert second["results"] == first["results"]
        assert second["value"] == first["value"]
    # the data lives on the volumes, outside the containers
    assert any((host_dir / "buffers").iterdir())
    assert (host_dir / "database" / "seamless.db").stat().st_size > 0


@pytest.mark.timeout(900)
def test_database_container_restarted_between_clients_loses_nothing(
    stack_image: str, host_dir: Path
) -> None:
    with service_stack(stack_image, host_dir, workers=1) as stack:
        first = _run_client(stack)
        _assert_all_stored(first)
        ran = stack.executions()
        stack.restart_database()
        second = _run_client(stack)
        assert stack.executions() == ran, "results were lost with the database restart"
        assert second["results"] == first["results"]
        _assert_all_stored(second)


@pytest.mark.timeout(900)
def test_worker_container_killed_mid_run(stack_image: str, host_dir: Path) -> None:
    with service_stack(stack_image, host_dir, workers=2) as stack:
        client = stack.client("hold")
        with running(client):
            held = stack.markers / "held"
            deadline = time.monotonic() + 300
            while not (held.exists() and held.read_text()):
                assert time.monotonic() < deadline, "the held transformation never started"
                client.reload()
                assert client.status == "running", client.get_logs()
                time.sleep(0.2)
            victim = held.read_text()
            stack.workers[victim].get_wrapped_container().kill()
            status = client.get_wrapped_container().wait(timeout=450)
            out, err = client.get_logs()
            output = out.decode(errors="replace") + err.decode(errors="replace")
            assert status["StatusCode"] == 0, output[-6000:]
        result = result_line(output)
        assert result["value"] == sum(EXPECTED_CHUNKS) + 1000
        _assert_all_stored(result)
        holds = [line.split()[1] for line in stack.executions() if line.startswith("hold ")]
        assert holds[0] == victim and len(holds) >= 2
        assert holds[-1] != victim, "the held transformation did not run again elsewhere"
        chunks = [line for line in stack.executions() if line.startswith("chunk ")]
        assert {int(line.split()[1]) for line in chunks} == set(range(8))


@pytest.mark.timeout(900)
def test_second_client_container_executes_nothing_through_the_jobserver(
    stack_image: str, host_dir: Path
) -> None:
    with service_stack(stack_image, host_dir, workers=0, dask=False) as stack:
        port = free_port()
        # the remote clients reach the jobserver as remote-http-launcher passes them: as the
        # `parameters` of its status file
        (host_dir / "jobserver").mkdir()
        status = {"status": "starting", "parameters": stack.remote_clients}
        (host_dir / "jobserver" / "status.json").write_text(json.dumps(status))
        jobserver = container(
            stack_image,
            f"seamless-jobserver --port {port} --host 127.0.0.1 --workers 2 "
            f"--status-file /jobserver/status.json",
            volumes={stack.markers: "/markers", host_dir / "jobserver": "/jobserver"},
        )
        url = f"http://127.0.0.1:{port}"
        with running(jobserver):
            wait_http(f"{url}/healthcheck", jobserver, timeout=120)
            runs = []
            for _ in range(2):
                client = container(
                    stack_image,
                    [
                        "timeout",
                        "400",
                        "python",
                        "/scripts/jobserver_client.py",
                        url,
                        json.dumps(stack.remote_clients),
                        "/markers",
                    ],
                    volumes={stack.markers: "/markers"},
                )
                code, output = run_to_end(client, timeout=450)
                assert code == 0, f"jobserver client failed (exit {code}):\n{output[-6000:]}"
                runs.append((result_line(output), stack.executions()))
        (first, ran_first), (second, ran_second) = runs
        assert first["values"] == second["values"] == EXPECTED_CHUNKS
        assert sorted(ran_first) == sorted(f"chunk {s} jobserver" for s in range(8))
        assert ran_second == ran_first, "the second client executed something"
        assert second["results"] == first["results"]
        assert first["stored"] == first["results"]

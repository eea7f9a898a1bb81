"""Run one Dask LocalCluster on 127.0.0.1 until stdin closes; print its address as a JSON line.

Executed by the Python of the stack under test (compare.py starts it), so scheduler, workers and
the Seamless worker plugin all run that stack's code. The shape is the one seamless-dask-wrapper
derives for ``cores: C`` on a LocalCluster: one worker process with C x 3 threads; Seamless then
spawns C worker processes inside it (worker daemon=False makes that possible).

A scheduler plugin counts the tasks that reach "memory" per key prefix, so the runner can show
how many Dask tasks each stack needed and prove that the work really went through Dask.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

import dask
from distributed import LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin


class TaskCounter(SchedulerPlugin):
    """Counts finished tasks by key prefix (the part before the first '-')."""

    name = "bench-task-counter"

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "memory":
            text = key[0] if isinstance(key, tuple) else key
            self.counts[str(text).split("-", 1)[0]] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2, help="worker cores (threads = cores x 3)")
    options = parser.parse_args()
    dask.config.set({"distributed.worker.daemon": False})
    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=options.cores * 3,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
    )
    cluster.scheduler.add_plugin(TaskCounter(), name=TaskCounter.name)
    print(json.dumps({"address": cluster.scheduler_address}), flush=True)
    sys.stdin.read()
    cluster.close(timeout=10)


if __name__ == "__main__":
    main()

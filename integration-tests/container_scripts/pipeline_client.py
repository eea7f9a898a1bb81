"""A Seamless client in its own container (test_containers_clients.py): connects to the Dask
scheduler, hashserver and database of the other containers, runs a small pipeline and prints
one ``RESULT {json}`` line.

Every real execution appends the executing worker's name (env WORKER_NAME of its container) to
MARKER_DIR/executions, so the test can count them. ``hold`` additionally runs one
transformation that parks (sleeps) the first time, on whichever worker gets it, and writes that
worker's name to MARKER_DIR/held, so the test can kill that worker's container mid-run.

Usage: python pipeline_client.py SCHEDULER REMOTE_CLIENTS_JSON MARKER_DIR MODE NWORKERS
MODE: "pipeline" or "hold".
"""

import json
import sys
import time

import distributed
from report import report
from seamless.transformer import delayed

import seamless_config
from seamless_config import select
from seamless_dask.client import SeamlessDaskClient
from seamless_dask.transformer_client import set_seamless_dask_client


@delayed
def chunk(marker_dir, seed, n):
    import os
    import time

    with open(os.path.join(marker_dir, "executions"), "a") as f:
        f.write(f"chunk {seed} {os.environ.get('WORKER_NAME', '?')}\n")
    time.sleep(0.3)
    return sum((seed * i) % 7 for i in range(n))


@delayed
def hold_once(marker_dir, seconds):
    import os
    import time

    held = os.path.join(marker_dir, "held")
    me = os.environ.get("WORKER_NAME", "?")
    with open(os.path.join(marker_dir, "executions"), "a") as f:
        f.write(f"hold {me}\n")
    if not os.path.exists(held):
        with open(held, "w") as f:
            f.write(me)
        time.sleep(seconds)  # the test kills this worker's container here
    return 1000


@delayed
def add(a, b):
    return a + b


def main() -> None:
    scheduler, clients, marker_dir, mode, nworkers = sys.argv[1:6]
    remote_clients = json.loads(clients)
    seamless_config.set_remote_clients(remote_clients)
    select.select_execution("remote")
    select.select_remote("daskserver")
    dask_client = distributed.Client(scheduler, timeout="60s", set_as_default=False)
    dask_client.wait_for_workers(int(nworkers), timeout=120)
    client = SeamlessDaskClient(dask_client, worker_plugin_workers=1, remote_clients=remote_clients)
    set_seamless_dask_client(client)
    try:
        parts = [chunk(marker_dir, seed, 2000) for seed in range(8)]
        if mode == "hold":
            parts.append(hold_once(marker_dir, 600))
        tf = parts[0]
        sums = []
        for part in parts[1:]:
            tf = add(tf, part)
            sums.append(tf)
        start = time.monotonic()
        value = tf.run()
        seconds = time.monotonic() - start
        tfs = [*parts, *sums]
        for t in tfs:
            t.run()  # upstream results: cache hits now (this constructs them locally)
        result = {"value": value, "seconds": seconds, **report(tfs)}
    finally:
        set_seamless_dask_client(None)
        dask_client.close()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

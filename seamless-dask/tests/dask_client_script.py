"""A second Seamless client process for the multi-client tests (run by test_multi_client.py).

Usage: python dask_client_script.py SCHEDULER REMOTE_CLIENTS_JSON MODE MARKER START_AT
MODE is "same" (one slow transformation that appends to MARKER) or "chain" (a chain of 20).
Prints one line ``RESULT <json>``.
"""

import json
import sys
import time

import distributed
from seamless.transformer import delayed

import seamless_config
from seamless_config import select
from seamless_dask.client import SeamlessDaskClient
from seamless_dask.transformer_client import set_seamless_dask_client


@delayed
def count_execution(marker, delay):
    import os
    import time

    with open(marker, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(delay)
    return 42


@delayed
def add(a, b):
    return a + b


def main() -> None:
    scheduler, clients, mode, marker, start_at = sys.argv[1:6]
    seamless_config.set_remote_clients(json.loads(clients))
    select.select_execution("remote")
    select.select_remote("daskserver")
    dask_client = distributed.Client(scheduler, timeout="20s", set_as_default=False)
    client = SeamlessDaskClient(dask_client, register_plugin=False)
    set_seamless_dask_client(client)
    time.sleep(max(0.0, float(start_at) - time.time()))
    if mode == "same":
        value = count_execution(marker, 1.5).run()
    else:
        tf = add(0, 0)
        for i in range(1, 21):
            tf = add(tf, i)
        value = tf.run()
    print("RESULT " + json.dumps({"value": value}), flush=True)
    set_seamless_dask_client(None)


if __name__ == "__main__":
    main()

"""A client in its own container that runs transformations through a seamless-jobserver in
another container (test_containers_clients.py), over the jobserver's wire protocol
(``seamless_remote.jobserver_remote``): the inputs go to the hashserver, the transformation
dict to the jobserver, and the result is read back from the hashserver and the database.

Every real execution appends to MARKER_DIR/executions (mounted into the jobserver container).

Usage: python jobserver_client.py JOBSERVER_URL REMOTE_CLIENTS_JSON MARKER_DIR
Prints one ``RESULT {json}`` line.
"""

import json
import sys
import urllib.request

from seamless import Buffer

import seamless_config
from seamless_remote import jobserver_remote
from seamless_transformer import delayed, persistence
from seamless_transformer.event_loop import run_sync


def chunk(marker_dir, seed, n):
    import os

    with open(os.path.join(marker_dir, "executions"), "a") as f:
        f.write(f"chunk {seed} jobserver\n")
    return sum((seed * i) % 7 for i in range(n))


def main() -> None:
    url, clients, marker_dir = sys.argv[1:4]
    remote_clients = json.loads(clients)
    seamless_config.set_remote_clients(remote_clients)
    hashserver = remote_clients["buffer"][0]["url"]
    jobserver_remote.define_jobserver(url)
    results, values, stored = {}, [], {}
    for seed in range(8):
        tf = delayed(chunk)(marker_dir, seed, 2000)
        checksum = tf.construct()
        for buffer in tf.input_buffers():
            put = urllib.request.Request(
                f"{hashserver}/{buffer.get_checksum().hex()}", data=buffer.content, method="PUT"
            )
            with urllib.request.urlopen(put, timeout=60):
                pass
        answer = run_sync(
            jobserver_remote.run_transformation(tf.build_dict(), tf_checksum=checksum),
            what="jobserver",
        )
        result = answer["result_checksum"]
        results[checksum.hex()] = result.hex()
        with urllib.request.urlopen(f"{hashserver}/{result.hex()}", timeout=60) as response:
            values.append(Buffer(response.read()).get_value("mixed"))
        found = run_sync(persistence.get_transformation_result(checksum), what="lookup")
        stored[checksum.hex()] = None if found is None else found.hex()
    print(
        "RESULT " + json.dumps({"results": results, "values": values, "stored": stored}),
        flush=True,
    )


if __name__ == "__main__":
    main()

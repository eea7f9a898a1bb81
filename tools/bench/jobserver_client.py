"""One client of jobserver_interop.py: run N transformations with `remote: jobserver`.

Executed by the Python of either stack (this monorepo's or Seamless 1.x's); prints one JSON
line with the values, the transformation and result checksums, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import time


def logged_inc(i, salt, path):
    with open(path, "a") as stream:
        stream.write(f"{i}\n")
    return i + salt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobserver", required=True)
    parser.add_argument("--hashserver", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--salt", type=int, required=True)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--side-effects", required=True, help="file the transformations append to")
    options = parser.parse_args()

    import seamless
    import seamless.config
    from seamless.transformer import delayed

    from seamless_config.select import select_execution, select_remote
    from seamless_remote import jobserver_remote

    clients = {
        kind: [{"readonly": False, "url": url, "remote_url": url}]
        for kind, url in (("database", options.database), ("buffer", options.hashserver))
    }
    seamless.config.set_remote_clients(clients)
    select_execution("remote")
    select_remote("jobserver")
    if hasattr(jobserver_remote, "define_jobserver"):  # this monorepo
        jobserver_remote.define_jobserver(options.jobserver)
    else:  # Seamless 1.x, as its documentation says
        jobserver_remote.define_extern_client("interop", "jobserver", url=options.jobserver)
        jobserver_remote.activate(no_main=True, extern_clients=["interop"])
    t0 = time.perf_counter()
    tfs = [delayed(logged_inc)(i, options.salt, options.side_effects) for i in range(options.count)]
    values = [tf.run() for tf in tfs]
    report = {
        "values": values,
        "tf": [str(tf.transformation_checksum) for tf in tfs],
        "results": [str(tf.result_checksum) for tf in tfs],
        "exceptions": [tf.exception for tf in tfs if tf.exception],
        "wall_s": time.perf_counter() - t0,
    }
    print(json.dumps(report), flush=True)
    seamless.close()


if __name__ == "__main__":
    main()

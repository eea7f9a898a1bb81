"""A Seamless client process for the tests: `remote: jobserver` against given servers.

Usage: python client_script.py JOBSERVER_URL REMOTE_CLIENTS_JSON SIDE_EFFECT_FILE
Prints one JSON line: the results, the exception text of a failing transformation, and the
transformation cache's statistics.
"""

from __future__ import annotations

import json
import sys


def logged_double(x, path):
    with open(path, "a") as stream:
        stream.write(f"{x}\n")
    return 2 * x


def add(a, b):
    return a + b


def fail(x):
    raise ValueError(f"cannot handle {x}")


def main() -> None:
    url, clients, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    import seamless_config
    from seamless_config import select
    from seamless_remote import jobserver_remote

    seamless_config.set_remote_clients(clients)
    select.select_execution("remote")
    select.select_remote("jobserver")
    jobserver_remote.define_jobserver(url)

    from seamless.transformer import TransformationList, delayed, direct

    from seamless_transformer.transformation_cache import get_transformation_cache

    direct_double = direct(logged_double)
    delayed_double = delayed(logged_double)
    delayed_add = delayed(add)
    out: dict = {}
    out["direct"] = direct_double(1, path)
    # a dependency chain: add(double(2), double(3)) -> 10
    out["chain"] = delayed_add(delayed_double(2, path), delayed_double(3, path)).run()
    tfs = TransformationList([delayed_double(x, path) for x in range(10, 15)], nparallel=3)
    out["list"] = tfs.run()
    failing = delayed(fail)("frob")
    failing.compute()
    out["exception"] = failing.exception
    out["stats"] = dict(get_transformation_cache().stats)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

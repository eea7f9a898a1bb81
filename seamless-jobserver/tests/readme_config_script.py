"""Run in a subprocess by test_readme_config.py: the README's configuration with a jobserver.

Expects HOME (with ~/.seamless/clusters.yaml) and the current directory (with seamless.yaml)
prepared by the test; runs transformations through ``seamless_config.init()`` (which launches
the hashserver, the database and the jobserver) and prints one JSON line.
"""

import asyncio
import json
import os
import sys

import seamless_config

seamless_config.init(workdir=os.getcwd())  # the project folder (init() defaults to the script's)

from seamless.transformer import delayed, direct  # noqa: E402

from seamless_remote import database_remote, jobserver_remote  # noqa: E402

if len(sys.argv) > 1:  # only read back the record of this transformation checksum
    record = asyncio.run(database_remote.get_execution_record(sys.argv[1]))
    print("RESULT " + json.dumps(record), flush=True)
    sys.exit(0)


def where(a, b):
    import os

    return [a + b, os.getpid()]


tf = delayed(where)(19, 23)
value, pid = tf.run()
record = asyncio.run(database_remote.get_execution_record(tf.checksum))


@direct
def add(a, b):
    return a + b


result = {
    "value": value,
    "direct": add(19, 23),
    "pid": pid,
    "my_pid": os.getpid(),
    "tf": tf.checksum.hex(),
    "record": record,
    "jobserver": jobserver_remote.has_jobserver(),
    "remote": seamless_config.select.get_remote(),
}
print("RESULT " + json.dumps(result), flush=True)

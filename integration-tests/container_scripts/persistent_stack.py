"""Run twice, in two processes, inside a container where only ``seamless-dask[remote]`` was
installed (test_containers_packages.py). SEAMLESS_CACHE makes seamless_config launch a local
hashserver and database; the transformation appends to MARKER each time it really executes.

Usage: python persistent_stack.py MARKER. Prints one ``RESULT {json}`` line.
"""

import json
import sys

import seamless_config

seamless_config.init()

from seamless.transformer import delayed  # noqa: E402


@delayed
def count_and_add(marker, a, b):
    with open(marker, "a") as f:
        f.write("executed\n")
    return a + b


tf = count_and_add(sys.argv[1], 19, 23)
value = tf.run()
print(
    "RESULT "
    + json.dumps(
        {
            "value": value,
            "checksum": tf.checksum.hex(),
            "result_checksum": tf.result_checksum.hex(),
        }
    ),
    flush=True,
)

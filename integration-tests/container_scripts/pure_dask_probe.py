"""Run inside a container whose cluster config selects pure-Dask mode
(test_containers_guard.py). Expects HOME with ~/.seamless/clusters.yaml and the current
directory with seamless.yaml; prints one ``RESULT {json}`` line with what it observed.

Usage: python pure_dask_probe.py MARKER
"""

import json
import os
import sys
from pathlib import Path

import seamless_config
from seamless_config import pure_daskserver


def processes() -> list[str]:
    """The command lines of every process in this container (its own PID namespace)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
            if cmd:
                found.append(cmd)
    return found


marker = sys.argv[1]
seamless_config.set_stage(workdir=os.getcwd())
client = pure_daskserver.get_client()
result: dict = {"client": type(client).__module__ + "." + type(client).__name__}
result["submit"] = client.submit(lambda x: x + 1, 41, pure=False).result(timeout=120)
result["processes"] = processes()

from seamless.transformer import direct  # noqa: E402


@direct
def add(marker, a, b):
    with open(marker, "a") as f:
        f.write("executed\n")
    return a + b


try:
    add(marker, 1, 2)
    result["guard"] = None
except Exception as exc:
    result["guard"] = f"{type(exc).__name__}: {exc}"
result["executed"] = os.path.exists(marker)
client.close()
print("RESULT " + json.dumps(result), flush=True)

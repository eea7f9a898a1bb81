"""Run in a subprocess by test_pure_dask.py: pure-Dask activation through seamless_config.

Expects HOME (with ~/.seamless/clusters.yaml) and the current directory (with seamless.yaml)
prepared by the test; prints one JSON line with what it observed.
"""

import json
import os
import sys

import seamless_config
from seamless_config import pure_daskserver

seamless_config.set_stage(workdir=os.getcwd())
client = pure_daskserver.get_client()
result: dict = {"client": client is not None}
future = client.submit(lambda x: x + 1, 41, pure=False)
result["submit"] = future.result(timeout=60)

import dask  # noqa: E402

total = dask.delayed(sum)([dask.delayed(lambda v: v * 2)(v) for v in range(5)])
result["delayed"] = total.compute()
workers = client.scheduler_info()["workers"]
result["nthreads"] = sorted(w["nthreads"] for w in workers.values())
result["resources"] = [w["resources"] for w in workers.values()]
result["scheduler"] = client.scheduler.address
result["imported"] = sorted(
    m
    for m in ("seamless", "seamless_remote", "seamless_transformer", "seamless_dask")
    if m in sys.modules
)

from seamless.transformer import direct  # noqa: E402


@direct
def add(a, b):
    return a + b


try:
    add(1, 2)
    result["guard"] = None
except Exception as exc:
    result["guard"] = f"{type(exc).__name__}: {exc}"
# The dashboard link was a notice on stderr (no logging configured). Now the application
# configures logging: the link of the next activation (a stage change) reaches its handler only.
import logging  # noqa: E402

logging.basicConfig(stream=sys.stdout, format="APP %(name)s %(message)s")
seamless_config.set_stage("other", workdir=os.getcwd())
pure_daskserver.get_client().close()
client.close()
print("RESULT " + json.dumps(result), flush=True)

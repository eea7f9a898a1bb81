"""The benchmark workloads, written once against the user API and once against raw Dask.

Imported by runner.py inside the environment of the stack under test (never by the driver), so
the Seamless workloads only use ``from seamless.transformer import delayed`` and the
Transformation methods ``start()``, ``run()``, ``transformation_checksum`` and
``result_checksum``, which both Seamless 1.x and this monorepo provide.

Every workload returns ``(values, transformations)``: the values the user asked for and, for the
Seamless stacks, the Transformations the user ran directly, whose checksums are compared across
stacks (upstream transformations computed on a worker need not know their checksums locally).
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Transformation code. No annotations: Seamless runs the source alone in a fresh namespace.


def inc(x, salt):
    """A tiny transformation; ``salt`` only makes the transformation checksum unique (cold runs)."""
    return x + 1


def add(x, i):
    """One branch of the fan-out: depends on the shared upstream ``x``."""
    return x + i


def add_all(*values):
    """The raw-Dask fan-in (Dask passes futures positionally)."""
    return sum(values)


def part_sum(arr, i):
    """A reduction over one 20th of a large array: the cost is moving the buffer."""
    return float(arr[i::20].sum())


def fan_in_function(width: int) -> Any:
    """``total(x0, ..., x<width-1>)``: a real module function, so both stacks can read its source.

    ``delayed`` only treats named parameters that receive a Transformation as dependencies, so the
    fan-in needs one parameter per branch. The source is generated deterministically, so the code
    checksum is the same in every process and in both Seamless implementations.
    """
    names = [f"x{i}" for i in range(width)]
    source = f"def total({', '.join(names)}):\n    return {' + '.join(names)}\n"
    path = Path.cwd() / f"fanin{width}.py"  # the runner's scratch folder
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module.total


def make_array(salt: int, megabytes: int) -> Any:
    """A deterministic float64 array of ``megabytes`` MB (the same bytes in every stack)."""
    import numpy as np

    return np.random.default_rng(salt).random(megabytes * 1024 * 1024 // 8)


# ---------------------------------------------------------------------------------------------
# Seamless (1.x and ours): the same code for both


def seamless_independent(delayed: Any, *, size: int, salt: int) -> tuple[list, list]:
    """``size`` independent transformations, all started, then all run."""
    tinc = delayed(inc)
    tfs = [tinc(i, salt) for i in range(size)]
    for tf in tfs:
        tf.start()
    return [tf.run() for tf in tfs], tfs


def seamless_chain(delayed: Any, *, size: int, salt: int) -> tuple[list, list]:
    """A chain inc(inc(...inc(0)...)) of ``size`` dependent transformations."""
    tinc = delayed(inc)
    tfs = [tinc(0, salt)]
    for _ in range(size - 1):
        tfs.append(tinc(tfs[-1], salt))
    return [tfs[-1].run()], tfs[-1:]


def seamless_fan(delayed: Any, *, size: int, salt: int) -> tuple[list, list]:
    """Fan-out / fan-in 1 x ``size`` x 1: one root, ``size`` branches on it, one total."""
    tinc, tadd, ttotal = delayed(inc), delayed(add), delayed(fan_in_function(size))
    root = tinc(0, salt)
    branches = [tadd(root, i) for i in range(size)]
    final = ttotal(**{f"x{i}": b for i, b in enumerate(branches)})
    return [final.run()], [final]


def seamless_numpy(delayed: Any, *, size: int, salt: int, megabytes: int) -> tuple[list, list]:
    """``size`` transformations on one shared ``megabytes`` MB numpy input (buffer transfer)."""
    arr = make_array(salt, megabytes)
    tpart = delayed(part_sum)
    tfs = [tpart(arr, i) for i in range(size)]
    for tf in tfs:
        tf.start()
    return [tf.run() for tf in tfs], tfs


SEAMLESS_WORKLOADS = {
    "independent": seamless_independent,
    "chain": seamless_chain,
    "fan": seamless_fan,
    "numpy": seamless_numpy,
}


# ---------------------------------------------------------------------------------------------
# Raw Dask: the floor


def dask_independent(client: Any, *, size: int, salt: int) -> tuple[list, list]:
    """``client.map`` + ``gather``."""
    futures = client.map(inc, range(size), salt=salt, pure=False)
    return client.gather(futures), []


def dask_chain(client: Any, *, size: int, salt: int) -> tuple[list, list]:
    """A chain of ``client.submit`` calls, each taking the previous future."""
    future = client.submit(inc, 0, salt, pure=False)
    for _ in range(size - 1):
        future = client.submit(inc, future, salt, pure=False)
    return [future.result()], []


def dask_fan(client: Any, *, size: int, salt: int) -> tuple[list, list]:
    """Fan-out / fan-in with futures."""
    root = client.submit(inc, 0, salt, pure=False)
    branches = [client.submit(add, root, i, pure=False) for i in range(size)]
    final = client.submit(add_all, *branches, pure=False)
    return [final.result()], []


DASK_WORKLOADS = {
    "independent": dask_independent,
    "chain": dask_chain,
    "fan": dask_fan,
}


# ---------------------------------------------------------------------------------------------
# Floors: raw Dask tasks that also make the storage requests of one persisted transformation


def _request(url: str, method: str, path: str, body: bytes) -> int:
    """One request over this thread's keep-alive connection to ``url``; the status.

    The connections hang on the thread object: this module travels to the workers by value
    (cloudpickle), so a module-level pool would be a fresh one in every task.
    """
    pool = threading.current_thread().__dict__.setdefault("_bench_connections", {})
    for attempt in (1, 2):
        conn = pool.get(url)
        if conn is None:
            parts = urlsplit(url)
            conn = pool[url] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            conn.request(method, path, body=body)
            response = conn.getresponse()
            response.read()
            return response.status
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            pool.pop(url, None)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _store_buffer(content: bytes, hashserver: str, buffer_dir: str | None) -> str:
    checksum = hashlib.sha256(content).hexdigest()
    if buffer_dir is None:
        status = _request(hashserver, "PUT", f"/{checksum}", content)
        assert status in (200, 201, 202), status
    else:
        from seamless_remote.folder_writer import BufferFolderWriter

        BufferFolderWriter(buffer_dir).write_sync(checksum, content)
    return checksum


def persisted_inc(x, salt, hashserver, database, buffer_dir=None):
    """``inc`` plus what persisting it costs: PUT input and transformation buffers, the
    database lookup (a miss), PUT the result buffer, the database PUT. ``buffer_dir``: the
    buffer PUTs go through the local fast path instead (the database stays on HTTP)."""
    result = x + 1
    x_cs = _store_buffer(f"{x}\n".encode(), hashserver, buffer_dir)
    tf = json.dumps({"code": "inc", "x": x_cs, "salt": salt}, sort_keys=True).encode()
    tf_cs = _store_buffer(tf, hashserver, buffer_dir)
    lookup = json.dumps({"type": "transformation", "checksum": tf_cs}).encode()
    assert _request(database, "GET", "/", lookup) == 404
    result_cs = _store_buffer(f"{result}\n".encode(), hashserver, buffer_dir)
    entry = {"type": "transformation", "checksum": tf_cs, "value": result_cs}
    assert _request(database, "PUT", "/", json.dumps(entry).encode()) == 200
    return result


def floor_independent(client: Any, *, size: int, salt: int, storage: dict) -> tuple[list, list]:
    """``client.map`` of ``persisted_inc``."""
    futures = client.map(persisted_inc, range(size), salt=salt, pure=False, **storage)
    return client.gather(futures), []


def floor_chain(client: Any, *, size: int, salt: int, storage: dict) -> tuple[list, list]:
    """A chain of ``persisted_inc`` tasks."""
    future = client.submit(persisted_inc, 0, salt, pure=False, **storage)
    for _ in range(size - 1):
        future = client.submit(persisted_inc, future, salt, pure=False, **storage)
    return [future.result()], []


FLOOR_WORKLOADS = {
    "independent": floor_independent,
    "chain": floor_chain,
}


async def concurrent_lookups(database: str, checksums: list[str], *, bound: int = 30) -> int:
    """The cached floor: database lookups of ``checksums`` from one process, concurrently over
    one shared keep-alive session (at most ``bound`` in flight, like our client); the hits."""
    import asyncio

    import aiohttp

    semaphore = asyncio.Semaphore(bound)

    async def lookup(session: aiohttp.ClientSession, checksum: str) -> bool:
        body = json.dumps({"type": "transformation", "checksum": checksum}).encode()
        async with semaphore, session.get(database, data=body) as response:
            await response.read()
            return response.status == 200

    async with aiohttp.ClientSession() as session:
        hits = await asyncio.gather(*(lookup(session, cs) for cs in checksums))
    return sum(hits)

"""Benchmark: SeamlessDaskClient overhead against raw Dask, and Buffer transfer cost.

In one run, on one LocalCluster (worker processes, loopback), with a real hashserver and
seamless-database started for the run:

1. N independent tiny transformations through SeamlessDaskClient, cold (nothing cached);
2. the same N from a second SeamlessDaskClient with an empty in-memory cache (all database hits);
3. raw ``client.map`` of the same function;
4. moving a Buffer of M MB from one worker to another with our serializer versus pickle.

Targets (issue 5): cold <= 3x raw Dask per task; cached >= 10x faster than cold; serializer
>= 1.5x faster than pickle.

Usage: python seamless-dask/benchmarks/bench_dask.py [--n 500] [--mb 100] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parents[2] / "common" / "testing"


def _servers_module() -> Any:
    """The test harness's server helpers (real hashserver / seamless-database on loopback),
    importable without installing the harness."""
    if str(HARNESS) not in sys.path:
        sys.path.insert(0, str(HARNESS))
    return importlib.import_module("seamless_testing.servers")


def tiny(i: int) -> int:
    """The raw-Dask counterpart of the tiny transformation."""
    return i + 1


class PickleOnly:
    """Holds a Buffer but has no dask serializer: Dask pickles it (the baseline)."""

    def __init__(self, buffer: Any) -> None:
        self.buffer = buffer


def make_buffer(megabytes: int, salt: int, wrap: bool) -> Any:
    from seamless import Buffer

    import seamless_dask.serialization  # noqa: F401

    content = bytes([salt % 256]) * (megabytes * 1024 * 1024)
    buffer = Buffer(content)
    buffer.get_checksum()
    return PickleOnly(buffer) if wrap else buffer


def consume(obj: Any) -> int:
    buffer = obj.buffer if isinstance(obj, PickleOnly) else obj
    return len(buffer.content)


def bench_transfer(client: Any, megabytes: int, repeats: int) -> dict[str, float]:
    """Median seconds to move one buffer from worker A to worker B, per method."""

    a, b = sorted(client.scheduler_info()["workers"])[:2]
    timings: dict[str, list[float]] = {"serializer": [], "pickle": []}
    for rep in range(repeats):
        for method in ("serializer", "pickle"):
            produced = client.submit(
                make_buffer,
                megabytes,
                rep * 2 + (method == "pickle"),
                method == "pickle",
                workers=[a],
                pure=False,
            )
            client.gather(client.submit(len, [produced], workers=[a], pure=False))  # produced on A
            start = time.perf_counter()
            size = client.submit(consume, produced, workers=[b], pure=False).result()
            timings[method].append(time.perf_counter() - start)
            assert size == megabytes * 1024 * 1024
            del produced
    return {k: statistics.median(v) for k, v in timings.items()}


def run_transformations(n: int, offset: int) -> float:
    from seamless.transformer import delayed

    @delayed
    def tiny_tf(i):
        return i + 1

    start = time.perf_counter()
    tfs = [tiny_tf(i + offset) for i in range(n)]
    for tf in tfs:
        tf.start()
    values = [tf.run() for tf in tfs]
    elapsed = time.perf_counter() - start
    assert values == [i + offset + 1 for i in range(n)]
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_dask.py",
        description="SeamlessDaskClient against raw Dask (cold, cached) and Buffer transfer "
        "with our serializer against pickle, on one LocalCluster with real servers.",
    )
    parser.add_argument("--n", type=int, default=500, help="tiny transformations (default 500)")
    parser.add_argument("--mb", type=int, default=100, help="buffer size in MB (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="transfer repetitions (median)")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (>= 2)")
    parser.add_argument("--threads", type=int, default=3, help="threads (= S units) per worker")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    import distributed

    import seamless_config
    from seamless_config import select
    from seamless_dask.client import SeamlessDaskClient
    from seamless_dask.transformer_client import set_seamless_dask_client
    from seamless_transformer.transformation_cache import get_transformation_cache

    servers = _servers_module()
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers.run_hashserver(Path(tmp) / "buffers", log_path=Path(tmp) / "hs.log") as hashserver,
        servers.run_database(Path(tmp) / "db.sqlite", log_path=Path(tmp) / "db.log") as db,
    ):
        remote_clients = servers.remote_clients_dict(hashserver, db)
        seamless_config.set_remote_clients(remote_clients)
        select.select_execution("remote")
        select.select_remote("daskserver")
        with (
            distributed.LocalCluster(
                n_workers=args.workers,
                threads_per_worker=args.threads,
                processes=True,
                resources={"S": args.threads},
                dashboard_address=":0",
                host="127.0.0.1",
            ) as cluster,
            distributed.Client(cluster, set_as_default=False) as dask_client,
        ):
            dask_client.wait_for_workers(args.workers)
            first = SeamlessDaskClient(
                distributed.Client(cluster.scheduler_address, set_as_default=False),
                worker_plugin_workers=args.threads,
                remote_clients=remote_clients,
            )
            set_seamless_dask_client(first)
            run_transformations(20, offset=10**6)  # warm-up: imports, connections, plugins
            dask_client.gather(dask_client.map(tiny, range(20), pure=False))

            cold = run_transformations(args.n, offset=0)

            # a second client (own Dask connection, empty caches) with this process's
            # in-memory results forgotten: everything must come from the database
            second = SeamlessDaskClient(
                distributed.Client(cluster.scheduler_address, set_as_default=False),
                register_plugin=False,
            )
            get_transformation_cache().reset()
            set_seamless_dask_client(second)
            cached = run_transformations(args.n, offset=0)

            start = time.perf_counter()
            raw_values = dask_client.gather(dask_client.map(tiny, range(args.n), pure=False))
            raw = time.perf_counter() - start
            assert raw_values == [i + 1 for i in range(args.n)]

            transfer = bench_transfer(dask_client, args.mb, args.repeats)
            set_seamless_dask_client(None)
    figures = {
        "n": args.n,
        "cold_s": cold,
        "cached_s": cached,
        "raw_dask_s": raw,
        "cold_per_task_ms": 1000 * cold / args.n,
        "raw_per_task_ms": 1000 * raw / args.n,
        "cold_over_raw": cold / raw,
        "cold_over_cached": cold / cached,
        "buffer_mb": args.mb,
        "transfer_serializer_s": transfer["serializer"],
        "transfer_pickle_s": transfer["pickle"],
        "pickle_over_serializer": transfer["pickle"] / transfer["serializer"],
    }
    targets = {
        "cold <= 3x raw": figures["cold_over_raw"] <= 3,
        "cached >= 10x faster than cold": figures["cold_over_cached"] >= 10,
        "serializer >= 1.5x faster than pickle": figures["pickle_over_serializer"] >= 1.5,
    }
    print(f"N={args.n} tiny transformations, {args.workers} workers x {args.threads} threads")
    print(
        f"  cold   (SeamlessDaskClient)    {cold:7.2f} s  {figures['cold_per_task_ms']:6.2f} ms/task"
    )
    print(f"  cached (second client, DB hit) {cached:7.2f} s")
    print(
        f"  raw client.map                 {raw:7.2f} s  {figures['raw_per_task_ms']:6.2f} ms/task"
    )
    print(
        f"{args.mb} MB Buffer worker->worker: serializer {transfer['serializer']:.3f} s, "
        f"pickle {transfer['pickle']:.3f} s"
    )
    for name, ok in targets.items():
        print(f"  target {name}: {'MET' if ok else 'MISSED'}")
    figures["targets"] = targets
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

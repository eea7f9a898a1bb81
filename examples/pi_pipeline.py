"""A Monte Carlo estimate of pi, in chunks plus an aggregation, cached by Seamless.

Each chunk counts how many of N random points (seeded, so deterministic) fall inside the unit
circle; the aggregation turns the counts into an estimate. Every step is a transformation: run
it again with the same settings and every step is a cache hit (from the database when
SEAMLESS_CACHE or a cluster is configured, so also in a new process).

    SEAMLESS_CACHE=.seamless-cache python examples/pi_pipeline.py
"""

from __future__ import annotations

import argparse
import json
import os
import time

import seamless
import seamless.config
from seamless.transformer import TransformationList, delayed


@delayed
def count_inside(seed, npoints):
    import numpy as np

    rng = np.random.default_rng(seed)
    inside = 0
    remaining = npoints
    while remaining > 0:  # blocks of at most a million points bound the memory
        block = min(remaining, 1_000_000)
        xy = rng.random((block, 2))
        inside += int(((xy * xy).sum(axis=1) <= 1.0).sum())
        remaining -= block
    return inside


@delayed
def estimate_pi(counts, npoints_per_chunk):
    return 4.0 * sum(counts) / (len(counts) * npoints_per_chunk)


def _timings_file(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    cache = os.environ.get("SEAMLESS_CACHE")
    return os.path.join(cache, "pi-demo-timings.json") if cache else None


def _where() -> str:
    """Where the transformations ran: in this process, or on which Dask server."""
    from seamless_config.select import get_execution

    execution = get_execution()
    if execution != "remote":
        return f"execution: {execution}"
    try:
        from seamless_dask import get_seamless_dask_client
    except ImportError:
        return "execution: remote"
    client = get_seamless_dask_client()
    if client is None:
        return "execution: remote"
    return f"execution: remote, on Dask (dashboard {client.client.dashboard_link})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=16, help="number of chunks (default 16)")
    parser.add_argument(
        "--points", type=int, default=4_000_000, help="points per chunk (default 4000000)"
    )
    parser.add_argument("--nparallel", type=int, default=4, help="chunks computed at a time")
    parser.add_argument(
        "--workdir",
        help="directory whose seamless.yaml is read (default: the directory of this script)",
    )
    parser.add_argument(
        "--timings",
        help="JSON file remembering the first run's time (default: in SEAMLESS_CACHE, if set)",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    if args.workdir:
        seamless.config.init(workdir=args.workdir)
    else:
        seamless.config.init()
    seamless.config.set_nparallel(args.nparallel)
    from seamless_transformer.transformation_cache import get_transformation_cache

    t_init = time.perf_counter() - t0
    t1 = time.perf_counter()
    chunks = TransformationList([count_inside(seed, args.points) for seed in range(args.chunks)])
    counts = chunks.run()
    aggregate = estimate_pi(counts, args.points)
    pi = aggregate.run()
    elapsed = time.perf_counter() - t1
    stats = get_transformation_cache().stats
    total_points = args.chunks * args.points
    print(f"pi ~= {pi:.6f} from {total_points:,} random points in {args.chunks} chunks")
    print(f"transformation checksum of the aggregation: {aggregate.checksum.hex()}")
    print(
        f"pipeline time: {elapsed:.2f} s (plus {t_init:.2f} s to connect to the cache); "
        f"executed: {stats['executed']}, cache hits: database {stats['database_hits']}, "
        f"memory {stats['memory_hits']}; {_where()}"
    )
    timings = _timings_file(args.timings)
    if timings:
        record = {}
        if os.path.exists(timings):
            with open(timings) as f:
                record = json.load(f)
        key = f"{args.chunks}x{args.points}"
        if stats["executed"] > 0:
            record[key] = elapsed
            with open(timings, "w") as f:
                json.dump(record, f)
        elif key in record:
            print(
                f"all {args.chunks + 1} steps were cache hits: {record[key] / elapsed:.0f}x "
                f"faster than the first run ({record[key]:.2f} s)"
            )
    seamless.close()


if __name__ == "__main__":
    main()

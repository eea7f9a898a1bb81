"""Per-transformation overhead of ``direct`` for a trivial function, against a plain call.

Measures, in one run: a plain Python call; ``direct`` with new inputs every call (fresh: build,
checksum, execute, store in memory) and with the same inputs (in-memory cache hit), first in
process mode, then with a spawned worker pool. Prints a table (microseconds per call and the
ratio to the plain call) and, with --json, a JSON record. Not a test: figures depend on the
machine. Target: a process-mode cache hit under 1 ms.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable


def add(a, b):
    return a + b


def _per_call(func: Callable[[int], object], n: int, *, repeats: int, offset: int) -> float:
    """Best-of-``repeats`` seconds per call of func(i) for i in a fresh range each repeat."""
    timings = []
    for r in range(repeats):
        start = offset + r * n
        t0 = time.perf_counter()
        for i in range(start, start + n):
            func(i)
        timings.append((time.perf_counter() - t0) / n)
    return min(timings)


def measure(*, n: int, repeats: int, spawn_workers: int) -> dict[str, float]:
    """Seconds per call for each scenario."""
    from seamless_transformer import direct, spawn
    from seamless_transformer.worker_pool import shutdown_workers

    tf = direct(add)
    results: dict[str, float] = {}
    results["plain call"] = _per_call(lambda i: add(i, 1), n * 10, repeats=repeats, offset=0)
    tf(0, 0)  # warm up imports
    results["direct, process, fresh"] = _per_call(
        lambda i: tf(i, 1), n, repeats=repeats, offset=1_000_000
    )
    results["direct, process, cache hit"] = _per_call(
        lambda i: tf(7, 1), n * 10, repeats=repeats, offset=0
    )
    if spawn_workers:
        spawn(spawn_workers)
        tf(-1, -1)  # wait for the workers to start
        tf(-2, -2)
        results["direct, spawn, fresh"] = _per_call(
            lambda i: tf(i, 2), n, repeats=repeats, offset=2_000_000
        )
        results["direct, spawn, cache hit"] = _per_call(
            lambda i: tf(8, 2), n * 10, repeats=repeats, offset=0
        )
        shutdown_workers()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", type=int, default=300, help="calls per fresh measurement (x10 for hits)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the best is reported")
    parser.add_argument("--spawn", type=int, default=2, help="spawned workers (0: skip spawn)")
    parser.add_argument("--json", action="store_true", help="also print a JSON record")
    args = parser.parse_args()
    results = measure(n=args.n, repeats=args.repeats, spawn_workers=args.spawn)
    plain = results["plain call"]
    print(f"{'scenario':32} {'us/call':>10} {'x plain':>10}")
    for name, seconds in results.items():
        print(f"{name:32} {seconds * 1e6:10.1f} {seconds / plain:10.0f}")
    hit = results["direct, process, cache hit"]
    print(
        f"process-mode cache hit: {hit * 1e3:.3f} ms ({'meets' if hit < 1e-3 else 'misses'} the 1 ms target)"
    )
    if args.json:
        record = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "seconds_per_call": results,
            "ratio_to_plain": {k: v / plain for k, v in results.items()},
            "median_ratio": statistics.median(v / plain for v in results.values()),
        }
        print(json.dumps(record, indent=2))
    import seamless

    seamless.close()


if __name__ == "__main__":
    main()

"""Per-transformation overhead of ``direct`` for a trivial function, against a plain call.

Measures, in one run: a plain Python call; ``direct`` with new inputs every call (fresh: build,
checksum, execute, store in memory) and with the same inputs (in-memory cache hit), first in
process mode, then with a spawned worker pool. Prints a table (microseconds per call and the
ratio to the plain call) and, with --json, a JSON record. Not a test: figures depend on the
machine. Target: a process-mode cache hit under 1 ms.

``--distinct 200 [--seamless1 PYTHON]``: ``direct(add)(i, 1)`` for 200 values of i (cold),
then the same 200 calls again (memory hits), here and, in the same run, with the Python of a
Seamless 1.x environment (e.g. tools/bench/.envs/seamless1/bin/python); prints both, the
ratios ours / 1.x, and with ``--profile`` the top functions of our cold calls (cProfile).
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


_DISTINCT = """
import json, sys, time
from seamless.transformer import direct

def add(a, b):
    return a + b

n, offset = int(sys.argv[1]), int(sys.argv[2])
tf = direct(add)
tf(-1, -1)  # imports, first-call setup
t0 = time.perf_counter()
for i in range(offset, offset + n):
    tf(i, 1)
cold = (time.perf_counter() - t0) / n
t0 = time.perf_counter()
for i in range(offset, offset + n):
    tf(i, 1)
hit = (time.perf_counter() - t0) / n
print(json.dumps({"cold": cold, "hit": hit}))
import seamless
seamless.close()
"""


def distinct(n: int, python: str, *, offset: int) -> dict[str, float]:
    """Seconds per call: ``n`` distinct cold calls, then the same ``n`` again, in ``python``."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "distinct_calls.py"  # transformers need their source in a file
        script.write_text(_DISTINCT)
        done = subprocess.run(
            [python, str(script), str(n), str(offset)], capture_output=True, text=True, check=True
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile_cold(n: int, *, offset: int, top: int = 15) -> str:
    """cProfile of ``n`` distinct cold ``direct`` calls in this process, by own time."""
    import cProfile
    import io
    import pstats

    from seamless_transformer import direct

    tf = direct(add)
    tf(-3, -3)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(offset, offset + n):
        tf(i, 3)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main_distinct(args: argparse.Namespace) -> None:
    import sys

    pythons = {"ours": sys.executable}
    if args.seamless1:
        pythons["Seamless 1.x"] = args.seamless1
    # interleaved, twice: ours, 1.x, 1.x, ours
    order = list(pythons) + list(pythons)[::-1]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in pythons}
    for k, name in enumerate(order):
        runs[name].append(distinct(args.distinct, pythons[name], offset=10_000_000 * (k + 1)))
    best = {name: {m: min(r[m] for r in rs) for m in ("cold", "hit")} for name, rs in runs.items()}
    print(f"{'stack':14} {'cold us/call':>14} {'memory hit us/call':>20}")
    for name, b in best.items():
        print(f"{name:14} {b['cold'] * 1e6:14.1f} {b['hit'] * 1e6:20.1f}")
    if "Seamless 1.x" in best:
        ours, old = best["ours"], best["Seamless 1.x"]
        print(
            f"ours / 1.x: cold {ours['cold'] / old['cold']:.3f} (target <= 0.2), "
            f"memory hit {ours['hit'] / old['hit']:.3f} (target <= 0.05)"
        )
    if args.profile:
        print(profile_cold(args.distinct, offset=99_000_000))
    if args.json:
        print(json.dumps({"distinct": args.distinct, "best": best, "runs": runs}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", type=int, default=300, help="calls per fresh measurement (x10 for hits)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the best is reported")
    parser.add_argument("--spawn", type=int, default=2, help="spawned workers (0: skip spawn)")
    parser.add_argument("--json", action="store_true", help="also print a JSON record")
    parser.add_argument(
        "--distinct", type=int, help="N distinct cold calls, then the same N again (see above)"
    )
    parser.add_argument("--seamless1", help="with --distinct: a Seamless 1.x Python to compare")
    parser.add_argument("--profile", action="store_true", help="with --distinct: cProfile ours")
    args = parser.parse_args()
    if args.distinct:
        main_distinct(args)
        return
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

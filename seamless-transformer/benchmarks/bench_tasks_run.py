"""Task layer, execution: per-task overhead of a fully cached re-run of 1,000 tasks, against the
same 1,000 plain ``delayed`` transformations re-run from the in-memory cache, in one run.

The graph is layered (``--width`` x ``--layers``, 3 dependencies per task, one option each,
trivial code). Both sides first compute everything once; the timed part is the re-run:

- plain delayed: build the 1,000 transformations again (arguments serialized, dependencies as
  Transformation arguments) and ``.compute()`` each (in-memory cache hits);
- tasks: ``invoke`` (options checked and serialized, plan fingerprints) + run (answered from the
  recorded plans), and also the run alone, and a run whose plan records were dropped (answered
  by the execution fingerprints: the early cut-off path).

Prints microseconds per task and the ratios (target: tasks within 1.5x of plain delayed). Not a
test: figures depend on the machine. ``python seamless-transformer/benchmarks/bench_tasks_run.py``
"""

from __future__ import annotations

import argparse
import json
import time

from bench_tasks_graph import combine, make_env, source


def plain_delayed(width: int, layers: int) -> list:
    """The same graph as delayed transformations, each computed."""
    from seamless_transformer import delayed

    src, comb = delayed(source), delayed(combine)
    n = 0
    layer = []
    everything = []
    for _i in range(width):
        layer.append(src(n))
        n += 1
    everything += layer
    for _layer in range(1, layers):
        nxt = []
        for i in range(width):
            a, b, c = (layer[(i + k) % width] for k in range(3))
            nxt.append(comb(a, b, c, n))
            n += 1
        layer = nxt
        everything += layer
    for tf in everything:
        assert tf.compute() is not None, tf.exception
    return everything


def measure(width: int, layers: int, repeats: int) -> dict[str, float]:
    """Seconds per task for each scenario (best of ``repeats``)."""
    from seamless_transformer.tasks.records import get_plan_record_registry

    ntasks = width * layers
    env = make_env(width, layers)
    options = {name: {"w": n} for n, name in enumerate(env)}
    targets = [f"t{layers - 1}_{i}" for i in range(width)]
    plain_delayed(width, layers)  # first computation
    first = env.invoke(targets, options).start().wait()
    assert set(first.states.values()) <= {"done", "cached"}, first.counts()

    def best(func) -> float:
        timings = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            func()
            timings.append((time.perf_counter() - t0) / ntasks)
        return min(timings)

    def tasks_full() -> None:
        run = env.invoke(targets, options).start().wait()
        assert set(run.states.values()) == {"cached"}

    invocation = env.invoke(targets, options)

    def tasks_run_only() -> None:
        run = invocation.start().wait()
        assert set(run.states.values()) == {"cached"}

    def tasks_execution_fingerprints() -> None:
        get_plan_record_registry().reset()
        run = invocation.start().wait()
        assert set(run.states.values()) == {"cached"}

    result = {
        "plain delayed re-run": best(lambda: plain_delayed(width, layers)),
        "tasks: invoke + run (recorded plans)": best(tasks_full),
        "tasks: run only (recorded plans)": best(tasks_run_only),
        "tasks: run, plan records dropped (execution fingerprints)": best(
            tasks_execution_fingerprints
        ),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=10)
    parser.add_argument("--layers", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print a JSON record")
    args = parser.parse_args()
    result = measure(args.width, args.layers, args.repeats)
    baseline = result["plain delayed re-run"]
    if args.json:
        print(json.dumps({k: v * 1e6 for k, v in result.items()}))
    else:
        print(
            f"fully cached re-run of {args.width * args.layers} tasks "
            f"({args.width} wide x {args.layers} layers, 3 deps each), best of {args.repeats}:"
        )
        for name, seconds in result.items():
            print(f"  {name:58s} {seconds * 1e6:8.1f} us/task  {seconds / baseline:5.2f}x")
        print("  target: tasks within 1.5x of plain delayed")
    import seamless

    seamless.close()


if __name__ == "__main__":
    main()

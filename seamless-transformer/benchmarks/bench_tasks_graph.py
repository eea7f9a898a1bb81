"""Task layer, definition side: define + invoke + plan-fingerprint a graph of 10,000 tasks,
against building the same graph shape with ``dask.delayed``, in one run.

The graph is layered: WIDTH tasks per layer, LAYERS layers (``--shapes 100x100,1000x10``); a
task in layer L > 0 depends on 3 tasks of layer L-1 and has one option. Prints seconds for each
side and the ratio (target: the task layer within 10x of dask.delayed). Dask's side builds the
Delayed objects and materializes the graph of the last layer; deep graphs cost it more, since
every Delayed carries the merged graph of its whole upstream. Needs ``dask`` (e.g. the tox env "dask":
``.tox/dask/bin/python seamless-transformer/benchmarks/bench_tasks_graph.py``). Not a test.
"""

from __future__ import annotations

import argparse
import json
import time


def source(w):
    return w


def combine(a, b, c, w):
    return a + b + c + w


def make_env(width: int, layers: int):  # TaskEnv
    """The layered graph as a task def env (also used by bench_tasks_run.py)."""
    from seamless_transformer.tasks import TaskEnv

    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)))
    for i in range(width):
        env.define_task(f"t0_{i}", source, product="number", options={"w": "number"})
    for layer in range(1, layers):
        for i in range(width):
            up = [f"t{layer - 1}_{(i + k) % width}" for k in range(3)]
            env.define_task(
                f"t{layer}_{i}",
                combine,
                product="number",
                deps={"a": up[0], "b": up[1], "c": up[2]},
                options={"w": "number"},
            )
    return env


def build_tasks(width: int, layers: int) -> tuple[float, float, float]:
    """Seconds to define, to invoke (validate + plan fingerprints), and both."""
    t0 = time.perf_counter()
    env = make_env(width, layers)
    t1 = time.perf_counter()
    options = {name: {"w": n} for n, name in enumerate(env)}
    targets = [f"t{layers - 1}_{i}" for i in range(width)]
    invocation = env.invoke(targets, options)
    t2 = time.perf_counter()
    assert len(invocation) == width * layers
    return t1 - t0, t2 - t1, t2 - t0


def build_dask(width: int, layers: int) -> float:
    """Seconds to build the same graph with dask.delayed (default keys) and materialize it."""
    import dask

    t0 = time.perf_counter()
    n = 0
    layer_objs = []
    for _i in range(width):
        layer_objs.append(dask.delayed(source)(n))
        n += 1
    for _layer in range(1, layers):
        nxt = []
        for i in range(width):
            a, b, c = (layer_objs[(i + k) % width] for k in range(3))
            nxt.append(dask.delayed(combine)(a, b, c, n))
            n += 1
        layer_objs = nxt
    graph = dict(dask.delayed(list)(layer_objs).__dask_graph__())
    t1 = time.perf_counter()
    assert len(graph) == width * layers + 1
    return t1 - t0


def measure(width: int, layers: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` seconds of both sides for one shape."""
    tasks = [build_tasks(width, layers) for _ in range(repeats)]
    dask_best = min(build_dask(width, layers) for _ in range(repeats))
    best = min(tasks, key=lambda t: t[2])
    return {
        "tasks": width * layers,
        "width": width,
        "layers": layers,
        "define_s": round(best[0], 4),
        "invoke_and_plan_s": round(best[1], 4),
        "task_layer_s": round(best[2], 4),
        "dask_delayed_s": round(dask_best, 4),
        "ratio": round(best[2] / dask_best, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--shapes", default="100x100,1000x10", help="comma-separated WIDTHxLAYERS shapes"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print JSON records")
    args = parser.parse_args()
    build_tasks(10, 3)  # warm up imports
    build_dask(10, 3)
    records = []
    for shape in args.shapes.split(","):
        width, layers = (int(x) for x in shape.split("x"))
        records.append(measure(width, layers, args.repeats))
    if args.json:
        print(json.dumps(records))
        return
    for r in records:
        print(
            f"{r['tasks']} tasks ({r['width']} wide x {r['layers']} layers, 3 dependencies per "
            f"task, best of {args.repeats})"
        )
        print(
            f"  task layer: define {r['define_s']:.3f} s + invoke/plan "
            f"{r['invoke_and_plan_s']:.3f} s = {r['task_layer_s']:.3f} s"
        )
        print(f"  dask.delayed graph construction: {r['dask_delayed_s']:.3f} s")
        print(f"  ratio task layer / dask: {r['ratio']}x (target: within 10x)")


if __name__ == "__main__":
    main()

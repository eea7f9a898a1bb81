"""Weather stations, as typed tasks: generate readings, clean them, analyse each station,
summarize; and a stream of daily batches, analysed item by item as the batches arrive, then
summed up into a trend. Every task runs as a Seamless transformation, so a second run is all cache hits
(also in a new process with SEAMLESS_CACHE set), and changing an option re-runs only what it
reaches: a cleaning threshold that removes the same readings re-runs the cleaning and nothing
after it (early cut-off).

    python examples/tasks_pipeline.py                       # in memory
    SEAMLESS_CACHE=.seamless-cache python examples/tasks_pipeline.py --threshold 40
    bash tools/demo.sh --tasks                              # three runs, explained
"""

from __future__ import annotations

import argparse

import seamless
import seamless.config

from seamless_transformer.tasks import Option, Stream, TaskEnv

STATIONS = ("north", "south", "east")


def build_env() -> TaskEnv:
    """Types and tasks of the pipeline (a task def env: copy it to swap in test doubles)."""
    env = TaskEnv()
    env.define_type("count", lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0)
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    env.define_type("temperature", lambda v: -90 <= v <= 60, parent="number")
    env.define_type("station", lambda v: v in STATIONS)
    env.define_type("readings", lambda v: isinstance(v, dict) and set(v) == set(STATIONS))
    env.define_type("stats", lambda v: isinstance(v, dict) and {"mean", "n"} <= set(v))
    env.define_type("summary", lambda v: isinstance(v, dict) and set(STATIONS) <= set(v))

    def generate(seed, per_station):
        import random

        rng = random.Random(seed)
        readings = {}
        for station in ("north", "south", "east"):
            base = {"north": 4.0, "south": 18.0, "east": 11.0}[station]
            values = [round(rng.gauss(base, 3.0), 2) for _ in range(per_station)]
            values[rng.randrange(per_station)] = 999.0  # a broken sensor reading
            readings[station] = values
        return readings

    env.define_task(
        "generate",
        generate,
        product="readings",
        options={"seed": Option("count", default=1), "per_station": Option("count", default=500)},
        doc="simulated readings per station, with one broken value each",
    )

    def clean(generate, threshold):
        return {s: [v for v in values if abs(v) <= threshold] for s, values in generate.items()}

    env.define_task(
        "clean",
        clean,
        product="readings",
        deps=["generate"],
        options={"threshold": Option("temperature", default=50.0)},
        doc="drop readings beyond the threshold",
    )

    def analyse(clean, station):
        import statistics

        values = clean[station]
        return {
            "mean": round(statistics.fmean(values), 3),
            "n": len(values),
            "max": max(values),
            "min": min(values),
        }

    for station in STATIONS:  # one function, one task per station
        env.define_task(
            f"analyse_{station}",
            analyse,
            product="stats",
            deps=["clean"],
            options={"station": Option("station", default=station)},
        )

    env.define_type("batch", lambda v: isinstance(v, list) and all(abs(x) < 100 for x in v))

    def daily_batches(generate, days):
        # a stream: one batch of cleaned north readings per "day", yielded as it is ready
        values = [v for v in generate["north"] if abs(v) < 100]
        size = max(1, len(values) // days)
        for day in range(days):
            yield values[day * size : (day + 1) * size]

    env.define_task(
        "daily_batches",
        daily_batches,
        product=Stream("batch"),
        deps=["generate"],
        options={"days": Option("count", default=10)},
    )

    def daily_mean(daily_batches):
        # item by item: one transformation per batch, started as soon as the batch arrives
        return round(sum(daily_batches) / len(daily_batches), 3)

    env.define_task(
        "daily_mean",
        daily_mean,
        product=Stream("number"),
        deps=["daily_batches"],
        itemwise="daily_batches",
    )

    def summarize(north, south, east, daily_mean):
        # daily_mean is consumed whole: the list of all its items
        trend = round(daily_mean[-1] - daily_mean[0], 3)
        return {"north": north, "south": south, "east": east, "north_trend": trend}

    env.define_task(
        "summarize",
        summarize,
        product="summary",
        deps={**{s: f"analyse_{s}" for s in STATIONS}, "daily_mean": "daily_mean"},
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-station", type=int, default=500)
    parser.add_argument("--threshold", type=float, default=50.0, help="cleaning threshold")
    parser.add_argument("--mermaid", action="store_true", help="print the graph as Mermaid")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args()
    seamless.config.init()
    env = build_env()
    invocation = env.invoke(
        "summarize",
        {
            "generate": {"seed": args.seed, "per_station": args.per_station},
            "clean": {"threshold": args.threshold},
        },
    )
    status = invocation.status()
    print("before the run:", ", ".join(f"{n} {s}" for n, s in status.items()))
    run = invocation.start(progress=not args.no_progress).wait()
    summary = run.results()["summarize"]
    for name, node in run.nodes.items():
        items = f"  {node.items_done}/{node.items} items" if node.items else ""
        print(f"  {name:16s} {node.state:7s} {node.duration or 0:6.3f} s{items}")
    for station in STATIONS:
        stats = summary[station]
        print(f"{station:6s} mean {stats['mean']:7.3f} over {stats['n']} readings")
    daily = run.nodes["daily_mean"]
    print(f"north trend over {daily.items} days: {summary['north_trend']:+.3f}")
    if args.mermaid:
        print(run.to_mermaid())
    seamless.close()


if __name__ == "__main__":
    main()

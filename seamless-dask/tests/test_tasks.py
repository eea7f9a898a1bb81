"""The task layer (seamless_transformer.tasks) on Dask: tasks run as Seamless transformations on
the Dask workers under their deterministic keys; a re-run is answered without submitting."""

from __future__ import annotations

import time
from typing import Any

from conftest import seen_keys

from seamless_dask import keys


def make_env() -> Any:
    from seamless_transformer.tasks import TaskEnv

    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))

    def base(x):
        return x * 2

    def plus(base, k):
        return base + k

    def times(base, k):
        return base * k

    def join(left, right):
        return left * 1000 + right

    env.define_task("base", base, product="number", options={"x": "number"})
    env.define_task("left", plus, product="number", deps=["base"], options={"k": "number"})
    env.define_task("right", times, product="number", deps=["base"], options={"k": "number"})
    env.define_task("join", join, product="number", deps={"left": "left", "right": "right"})
    return env


def test_diamond_runs_on_dask_then_is_cached(persistent: Any, dask_remote: Any) -> None:
    from seamless_transformer.tasks.records import get_plan_record_registry
    from seamless_transformer.transformation_cache import get_transformation_cache

    x = time.time_ns() % 1_000_000  # fresh work for this test
    invocation = make_env().invoke("join", {"base": {"x": x}, "left": {"k": 1}, "right": {"k": 3}})
    run = invocation.start().wait(120)
    assert run.results() == {"join": (2 * x + 1) * 1000 + 6 * x}
    assert set(run.states.values()) == {"done"}
    submitted = seen_keys(dask_remote)
    for name in invocation:
        fingerprint = run.nodes[name].execution_fingerprint
        assert keys.transformation_key("base", fingerprint) in submitted, name
    # a new process would find the recorded plans in the database: simulate it
    get_plan_record_registry().reset()
    get_transformation_cache().reset()
    assert invocation.status() == dict.fromkeys(invocation, "cached")
    before = len(seen_keys(dask_remote))
    again = invocation.start().wait(120)
    assert set(again.states.values()) == {"cached"}
    assert again.results() == run.results()
    assert len(seen_keys(dask_remote)) == before  # nothing was submitted


def test_stream_items_run_on_dask(persistent: Any, dask_remote: Any) -> None:
    from seamless_transformer.tasks import Stream, TaskEnv

    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))

    def produce(n, salt):
        for i in range(n):
            yield i + salt

    def square(produce):
        return produce * produce

    env.define_task(
        "produce", produce, product=Stream("number"), options={"n": "number", "salt": "number"}
    )
    env.define_task(
        "square", square, product=Stream("number"), deps=["produce"], itemwise="produce"
    )
    salt = time.time_ns() % 1_000_000
    run = env.invoke("square", {"produce": {"n": 4, "salt": salt}}).start().wait(120)
    assert run.value("square") == [(i + salt) ** 2 for i in range(4)]
    items = run.items("square")
    assert [i.state for i in items] == ["done"] * 4
    submitted = seen_keys(dask_remote)
    from seamless import Checksum

    from seamless_transformer.tasks.fingerprints import execution_fingerprint

    code = env["square"].code_checksum
    for item in run.items("produce"):
        fingerprint = execution_fingerprint(code=code, inputs={"produce": Checksum(item.checksum)})
        assert keys.transformation_key("base", fingerprint) in submitted

"""Task layer, streams: producers store items as they come, item-wise consumers pipeline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from seamless_transformer.tasks import Stream, TaskEnv, TaskFailedError


def executions(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def base_env() -> TaskEnv:
    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    env.define_type("numbers", lambda v: isinstance(v, list))
    env.define_type("path", lambda v: isinstance(v, str))
    return env


def test_consumers_start_before_the_producer_finishes_and_pipeline(tmp_path):
    """Ordering recorded by the transformers themselves (an append-only event log), no clock
    ratio: the producer holds its last item back until the consumer of item 0 has started, and
    the consumer of item 0 waits until the consumer of item 1 has started. Both waits give up
    after 60 s, so a run that did not pipeline finishes with an event order that fails below."""
    env = base_env()
    log = tmp_path / "events.log"

    def produce(n, log):
        import os
        import time

        def seen(line):
            return os.path.exists(log) and line in open(log).read().splitlines()

        for i in range(n):
            if i == n - 1:
                deadline = time.monotonic() + 60
                while not seen("start 0") and time.monotonic() < deadline:
                    time.sleep(0.02)
            with open(log, "a") as f:
                f.write(f"produced {i}\n")
            yield i

    def work(produce, log):
        import os
        import time

        def seen(line):
            return os.path.exists(log) and line in open(log).read().splitlines()

        with open(log, "a") as f:
            f.write(f"start {produce}\n")
        if produce == 0:
            deadline = time.monotonic() + 60
            while not seen("start 1") and time.monotonic() < deadline:
                time.sleep(0.02)
        with open(log, "a") as f:
            f.write(f"end {produce}\n")
        return produce * 10

    def total(work):
        return sum(work)

    env.define_task(
        "produce", produce, product=Stream("number"), options={"n": "number", "log": "path"}
    )
    env.define_task(
        "work",
        work,
        product=Stream("number"),
        deps=["produce"],
        options={"log": "path"},
        itemwise="produce",
    )
    env.define_task("total", total, product="number", deps=["work"])
    invocation = env.invoke(
        "total", {"produce": {"n": 10, "log": str(log)}, "work": {"log": str(log)}}
    )
    run = invocation.start(nparallel=4).wait(180)
    assert run.results() == {"total": 450}
    events = log.read_text().splitlines()
    assert sorted(events) == sorted(
        [f"{kind} {i}" for kind in ("produced", "start", "end") for i in range(10)]
    ), events  # every transformer ran exactly once
    # the consumer of item 0 started before the producer produced its last item
    assert events.index("start 0") < events.index("produced 9"), events
    # pipelining: the consumer of item 1 started while the consumer of item 0 still ran
    assert events.index("start 1") < events.index("end 0"), events
    for i in range(10):
        assert (
            events.index(f"produced {i}") < events.index(f"start {i}") < events.index(f"end {i}")
        ), events
    items = run.items("work")
    assert [i.state for i in items] == ["done"] * 10
    assert run.nodes["work"].items == 10 and run.nodes["work"].items_done == 10


def chain_env(log: Path, gate: Path) -> TaskEnv:
    env = base_env()

    def produce(values, log):
        with open(log, "a") as f:
            f.write("generator\n")
        yield from values

    def first(produce, log, gate):
        import os
        import time

        if produce == 3:
            while not os.path.exists(gate):
                time.sleep(0.02)
        if produce == 13:
            raise ValueError("thirteen")
        with open(log, "a") as f:
            f.write(f"first:{produce}\n")
        return produce + 1000

    def second(first, log):
        with open(log, "a") as f:
            f.write(f"second:{first}\n")
        return first * 2

    env.define_task(
        "produce", produce, product=Stream("number"), options={"values": "numbers", "log": "path"}
    )
    env.define_task(
        "first",
        first,
        product=Stream("number"),
        deps=["produce"],
        options={"log": "path", "gate": "path"},
        itemwise="produce",
    )
    env.define_task(
        "second",
        second,
        product=Stream("number"),
        deps=["first"],
        options={"log": "path"},
        itemwise="first",
    )
    return env


def chain_options(log: Path, gate: Path, values: list) -> dict:
    return {
        "produce": {"values": values, "log": str(log)},
        "first": {"log": str(log), "gate": str(gate)},
        "second": {"log": str(log)},
    }


def test_a_slow_item_does_not_delay_the_other_chains(tmp_path: Path):
    log, gate = tmp_path / "log", tmp_path / "gate"
    env = chain_env(log, gate)
    run = env.invoke("second", chain_options(log, gate, [1, 2, 3, 4, 5, 6])).start()
    deadline = time.monotonic() + 60
    while [i.state for i in run.items("second")].count("done") < 5:
        assert time.monotonic() < deadline, run.items("second")
        time.sleep(0.02)
    # every chain but item 2 (value 3) is through both steps while item 2 is still running
    states = {i.index: i.state for i in run.items("second")}
    assert {k: v for k, v in states.items() if k != 2} == dict.fromkeys([0, 1, 3, 4, 5], "done")
    assert run.items("first")[2].state == "running"
    assert run.states["second"] == "running"
    gate.write_text("go")
    run.wait(60)
    assert run.value("second") == [2002, 2004, 2006, 2008, 2010, 2012]
    assert (
        max(run.items("second")[k].finished for k in (0, 1, 3, 4, 5))
        < run.items("first")[2].finished
    )


def test_rerun_with_one_changed_item_runs_exactly_one_item_chain(tmp_path: Path):
    log, gate = tmp_path / "log", tmp_path / "gate"
    gate.write_text("open")
    env = chain_env(log, gate)
    first = env.invoke("second", chain_options(log, gate, [1, 2, 3, 4, 5])).start().wait(60)
    assert first.value("second") == [2002, 2004, 2006, 2008, 2010]
    assert len(executions(log)) == 1 + 5 + 5
    run = env.invoke("second", chain_options(log, gate, [1, 2, 30, 4, 5])).start().wait(60)
    assert run.value("second") == [2002, 2004, 2060, 2008, 2010]
    assert executions(log)[11:] == ["generator", "first:30", "second:1030"]
    assert [i.state for i in run.items("first")] == ["cached", "cached", "done", "cached", "cached"]


def test_a_cached_stream_replays_without_running_the_generator(tmp_path: Path):
    log, gate = tmp_path / "log", tmp_path / "gate"
    gate.write_text("open")
    env = chain_env(log, gate)
    opts = chain_options(log, gate, [7, 8])
    del opts["second"]
    env.invoke("first", opts).start().wait(60)
    assert sorted(executions(log)) == ["first:7", "first:8", "generator"]
    # a new consumer of the same stream: the producer is cached and replays its items
    invocation = env.invoke("second", chain_options(log, gate, [7, 8]))
    run = invocation.start().wait(60)
    assert run.states == {"produce": "cached", "first": "cached", "second": "done"}
    assert [i.state for i in run.items("produce")] == ["cached", "cached"]
    assert run.value("second") == [2014, 2016]
    assert executions(log).count("generator") == 1


def test_a_failing_item_is_reported_with_its_index_and_the_rest_complete(tmp_path: Path):
    log, gate = tmp_path / "log", tmp_path / "gate"
    gate.write_text("open")
    env = chain_env(log, gate)
    run = env.invoke("second", chain_options(log, gate, [1, 2, 13, 4])).start().wait(60)
    first, second = run.items("first"), run.items("second")
    assert [i.state for i in first] == ["done", "done", "failed", "done"]
    assert first[2].error.item == 2 and "ValueError: thirteen" in first[2].error.detail
    assert "item 2" in str(first[2].error)
    assert [i.state for i in second] == ["done", "done", "failed", "done"]
    assert second[2].error.upstream == "first"
    assert run.states == {"produce": "done", "first": "failed", "second": "failed"}
    assert "1 of 4 item(s) failed; item 2" in str(run.errors["first"])
    with pytest.raises(TaskFailedError):
        run.results()
    assert sorted(executions(log)) == sorted(
        ["generator", "first:1", "first:2", "first:4", "second:1001", "second:1002", "second:1004"]
    )


def test_items_are_checked_against_the_item_type_as_they_arrive():
    env = base_env()

    def produce(n):
        for i in range(n):
            yield "three" if i == 3 else i

    def double(produce):
        return produce * 2

    env.define_task("produce", produce, product=Stream("number"), options={"n": "number"})
    env.define_task(
        "double", double, product=Stream("number"), deps=["produce"], itemwise="produce"
    )
    run = env.invoke("double", {"produce": {"n": 5}}).start().wait(60)
    items = run.items("produce")
    assert [i.state for i in items] == ["done", "done", "done", "failed", "done"]
    assert "item 'three' fails type 'number'" in items[3].error.detail
    assert [i.state for i in run.items("double")] == ["done", "done", "done", "failed", "done"]
    assert run.states["produce"] == "failed"


def test_progress_bar_and_live_state_count_items(capsys):
    env = base_env()

    def produce(n):
        yield from range(n)

    def plus(produce):
        return produce + 1

    env.define_task("produce", produce, product=Stream("number"), options={"n": "number"})
    env.define_task("plus", plus, product=Stream("number"), deps=["produce"], itemwise="produce")
    run = env.invoke("plus", {"produce": {"n": 6}}).start(progress=True).wait(60)
    assert run.value("plus") == [1, 2, 3, 4, 5, 6]
    assert (run.nodes["plus"].items, run.nodes["plus"].items_done) == (6, 6)
    assert "items 12/12" in capsys.readouterr().err
    assert 'plus["plus : Stream[number]<br/>done 6/6 items' in run.to_mermaid()


def test_a_broken_stream_fails_its_item_wise_chain_instead_of_ending_it():
    env = base_env()

    def produce(n):
        for i in range(n):
            if i == 3:
                raise RuntimeError("sensor offline")
            yield i

    def plus(produce):
        return produce + 1

    def again(plus):
        return plus + 1

    env.define_task("produce", produce, product=Stream("number"), options={"n": "number"})
    env.define_task("plus", plus, product=Stream("number"), deps=["produce"], itemwise="produce")
    env.define_task("again", again, product=Stream("number"), deps=["plus"], itemwise="plus")
    run = env.invoke("again", {"produce": {"n": 6}}).start().wait(60)
    assert run.states == {"produce": "failed", "plus": "failed", "again": "failed"}
    assert "after 3 item(s): RuntimeError: sensor offline" in run.errors["produce"].detail
    assert run.errors["again"].upstream == "produce"
    # the items yielded before the break went through the whole chain
    assert [i.state for i in run.items("again")] == ["done", "done", "done"]

    # a producer whose dependency failed: its consumers fail too, naming the root task
    def broken(n):
        raise ValueError("no data")

    def produce2(broken):
        yield from broken

    env.define_task("broken", broken, product="numbers", options={"n": "number"})
    env.define_task("produce2", produce2, product=Stream("number"), deps=["broken"])
    env.define_task(
        "plus2", plus, product=Stream("number"), deps={"produce": "produce2"}, itemwise="produce"
    )
    run = env.invoke("plus2", {"broken": {"n": 1}}).start().wait(60)
    assert run.states == {"broken": "failed", "produce2": "failed", "plus2": "failed"}
    assert run.errors["plus2"].upstream == "broken"

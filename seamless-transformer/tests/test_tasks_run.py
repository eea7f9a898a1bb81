"""Task layer, execution: tasks as Seamless transformations, caching, early cut-off, recorded
plans across processes, product type checks, failures, transient products, the live run."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest
from tasks_pipeline_module import make_env, options

from seamless_transformer import delayed
from seamless_transformer.tasks import TaskEnv, TaskFailedError

HERE = Path(__file__).parent


def executions(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_diamond_runs_once_per_task_then_cached(tmp_path: Path):
    log = tmp_path / "log"
    invocation = make_env().invoke("report", options(str(log)))
    run = invocation.start()
    assert run.wait(60).results() == {"report": 406}
    assert sorted(executions(log)) == ["left", "load", "report", "right"]
    assert set(run.states.values()) == {"done"}
    again = invocation.start().wait(60)
    assert again.results() == {"report": 406}
    assert set(again.states.values()) == {"cached"}
    assert len(executions(log)) == 4


def test_execution_fingerprint_is_the_transformation_checksum(tmp_path: Path):
    env = make_env()
    log = str(tmp_path / "log")
    run = env.invoke("load", {"load": {"n": 5, "log": log}}).start().wait(60)
    tf = delayed(env["load"].func)(n=5, log=log)
    assert tf.construct() == run.nodes["load"].execution_fingerprint
    assert run.product_checksum("load") == tf.compute()


def test_early_cutoff_upstream_change_with_same_product(tmp_path: Path):
    log = tmp_path / "log"
    env = make_env()
    env.invoke("report", options(str(log), n=31)).start().wait(60)
    assert len(executions(log)) == 4
    # n=32 changes load's options (and every plan fingerprint) but not its product (3)
    invocation = env.invoke("report", options(str(log), n=32))
    assert invocation.outdated() == ["load", "left", "right", "report"]
    run = invocation.start().wait(60)
    assert run.results() == {"report": 406}
    assert executions(log)[4:] == ["load"]
    assert run.states == {"load": "done", "left": "cached", "right": "cached", "report": "cached"}
    # the downstream plans are recorded now, so the next question is answered without running
    assert invocation.outdated() == []


def test_recorded_plans_and_cache_across_processes(tmp_path: Path, persistent):
    log = tmp_path / "log"
    invocation = make_env().invoke("report", options(str(log), n=47))
    assert invocation.status() == dict.fromkeys(["load", "left", "right", "report"], "outdated")
    assert invocation.start().wait(60).results() == {"report": 508}
    assert len(executions(log)) == 4

    def second(n: int) -> dict:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
        out = subprocess.run(
            [
                sys.executable,
                str(HERE / "tasks_second_process.py"),
                json.dumps(persistent),
                str(log),
                str(n),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    answer = second(47)
    assert answer["status"] == dict.fromkeys(["load", "left", "right", "report"], "cached")
    assert set(answer["states"].values()) == {"cached"}
    assert answer["result"] == {"report": 508}
    assert len(executions(log)) == 4  # nothing ran in the second process
    # a changed option in a new process: outdated where it reaches; only load re-runs
    answer = second(48)
    assert answer["status"] == dict.fromkeys(["load", "left", "right", "report"], "outdated")
    assert answer["states"]["load"] == "done"
    assert {answer["states"][n] for n in ("left", "right", "report")} == {"cached"}
    assert executions(log)[4:] == ["load"]


def typed_env() -> TaskEnv:
    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    env.define_type("text", lambda v: isinstance(v, str))
    return env


def test_product_of_the_wrong_type_fails_naming_the_task():
    env = typed_env()

    def wrong(x):
        return f"not a number: {x}"

    env.define_task("wrong", wrong, product="number", options={"x": "number"})

    def after(wrong):
        return wrong

    env.define_task("after", after, product="text", deps=["wrong"])
    run = env.invoke("after", {"wrong": {"x": 1}}).start().wait(60)
    assert run.states == {"wrong": "failed", "after": "failed"}
    error = run.errors["wrong"]
    assert error.task == "wrong" and "fails type 'number'" in str(error)
    assert "'not a number: 1'" in str(error)
    assert run.errors["after"].upstream == "wrong"
    with pytest.raises(TaskFailedError, match="upstream task 'wrong' failed"):
        run.results()
    # a re-run does not turn the wrong product into a cached one
    rerun = env.invoke("after", {"wrong": {"x": 1}}).start().wait(60)
    assert rerun.states["wrong"] == "failed"


def test_failed_task_fails_its_dependents_and_other_branches_finish():
    env = typed_env()

    def base(x):
        return x

    env.define_task("base", base, product="number", options={"x": "number"})

    def broken(base):
        raise ValueError(f"boom {base}")

    env.define_task("broken", broken, product="number", deps=["base"])

    def fine(base):
        return base + 1

    env.define_task("fine", fine, product="number", deps=["base"])

    def below(broken, fine):
        return broken + fine

    env.define_task("below", below, product="number", deps=["broken", "fine"])
    run = env.invoke(["below", "fine"], {"base": {"x": 1}}).start().wait(60)
    assert run.states == {"base": "done", "broken": "failed", "fine": "done", "below": "failed"}
    assert "ValueError: boom 1" in run.errors["broken"].detail
    assert run.errors["broken"].upstream is None
    assert run.errors["below"].upstream == "broken"
    assert "Task 'below' was not run: upstream task 'broken' failed" in str(run.errors["below"])
    assert run.value("fine") == 2


LIVE_PRODUCTS: list[weakref.ref] = []


class Matrix(list):
    """A product that can be weakly referenced (a list subclass)."""


def test_transient_product_released_after_last_dependent_and_never_stored(
    tmp_path: Path, persistent
):
    from seamless import Buffer

    from seamless_transformer import persistence
    from seamless_transformer.event_loop import run_sync

    env = typed_env()
    env.define_type("matrix", lambda v: isinstance(v, list))
    log = tmp_path / "log"
    env.define_type("path", lambda v: isinstance(v, str))

    def big(n, log):
        with open(log, "a") as f:
            f.write("big\n")
        product = Matrix(range(n))
        LIVE_PRODUCTS.append(weakref.ref(product))
        return product

    env.define_task(
        "big", big, product="matrix", options={"n": "number", "log": "path"}, transient=True
    )

    def total(big):
        return sum(big)

    def count(big):
        return len(big)

    env.define_task("total", total, product="number", deps=["big"])
    env.define_task("count", count, product="number", deps=["big"])
    LIVE_PRODUCTS.clear()
    invocation = env.invoke(["total", "count"], {"big": {"n": 1000, "log": str(log)}})
    run = invocation.start().wait(60)
    assert run.results() == {"total": 499500, "count": 1000}
    assert executions(log) == ["big"]
    gc.collect()
    assert len(LIVE_PRODUCTS) == 1 and LIVE_PRODUCTS[0]() is None  # released, run still alive
    assert run.nodes["big"].product is None and run.states["big"] == "done"
    # never stored: its buffer is nowhere, and no plan record names it
    checksum = Buffer(list(range(1000)), "mixed").get_checksum()
    del LIVE_PRODUCTS[:]
    assert run_sync(persistence.get_buffer(checksum), what="test") is None
    assert invocation.status()["big"] == "outdated"
    # dependents are keyed by big's plan fingerprint: a re-run needs no big at all
    rerun = invocation.start().wait(60)
    assert rerun.states == {"big": "skipped", "total": "cached", "count": "cached"}
    assert executions(log) == ["big"]


def test_live_state_during_a_run_with_a_slow_task(tmp_path: Path):
    env = typed_env()
    gate = tmp_path / "gate"

    def quick(x):
        return x + 1

    def slow(x, gate):
        import os
        import time

        while not os.path.exists(gate):
            time.sleep(0.02)
        return x * 10

    def both(quick, slow):
        return quick + slow

    env.define_type("path", lambda v: isinstance(v, str))
    env.define_task("quick", quick, product="number", options={"x": "number"})
    env.define_task("slow", slow, product="number", options={"x": "number", "gate": "path"})
    env.define_task("both", both, product="number", deps=["quick", "slow"])
    invocation = env.invoke(
        "both", {"quick": {"x": 1}, "slow": {"x": time.time_ns(), "gate": str(gate)}}
    )
    events: list[tuple[str, str]] = []
    seen = threading.Event()
    run = invocation.start()
    unsubscribe = run.subscribe(
        lambda status: (events.append((status.name, status.state)), seen.set())
    )
    deadline = time.monotonic() + 30
    while run.states != {"quick": "done", "slow": "running", "both": "waiting"}:
        assert time.monotonic() < deadline, run.states
        time.sleep(0.02)
    live = run.nodes["slow"]
    assert live.started is not None and live.finished is None and live.duration >= 0
    assert '"slow" [label="slow\\n: number\\nrunning' in run.to_dot()
    assert 'both["both : number<br/>waiting"]:::waiting' in run.to_mermaid()
    assert run.counts()["done"] == 1 and not run.done
    gate.write_text("go")
    run.wait(60)
    unsubscribe()
    assert run.states == {"quick": "done", "slow": "done", "both": "done"}
    assert (
        ("slow", "done") in events and ("both", "running") in events and ("both", "done") in events
    )
    assert events.index(("both", "running")) < events.index(("both", "done"))
    assert (
        run.nodes["slow"].duration > 0 and run.nodes["both"].finished >= run.nodes["slow"].finished
    )


def test_progress_bar_counts_tasks(tmp_path: Path, capsys):
    log = tmp_path / "log"
    run = make_env().invoke("report", options(str(log), n=77)).start(progress=True).wait(60)
    assert run.results() == {"report": 814}
    err = capsys.readouterr().err
    assert "tasks: 100%" in err and "4/4" in err


def test_example_pipeline_runs(tmp_path: Path):
    script = HERE.parent.parent / "examples" / "tasks_pipeline.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    out = subprocess.run(
        [sys.executable, str(script), "--no-progress", "--per-station", "50", "--mermaid"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "summarize        done" in out.stdout
    assert "north  mean" in out.stdout and "over 49 readings" in out.stdout
    assert "analyse_north -- north --> summarize" in out.stdout


def test_transient_chain_and_transient_target():
    env = typed_env()

    def a(x):
        return x + 1

    def b(a):
        return a * 2

    def c(b):
        return b + 100

    env.define_task("a", a, product="number", options={"x": "number"}, transient=True)
    env.define_task("b", b, product="number", deps=["a"], transient=True)
    env.define_task("c", c, product="number", deps=["b"])
    invocation = env.invoke(["c", "b"], {"a": {"x": 1}})
    run = invocation.start().wait(60)
    assert run.results() == {"c": 104, "b": 4}
    assert run.states == {"a": "done", "b": "done", "c": "done"}
    # c is cached by b's plan; the transient target b is computed again (never stored)
    again = invocation.start().wait(60)
    assert again.results() == {"c": 104, "b": 4}
    assert again.states == {"a": "done", "b": "done", "c": "cached"}

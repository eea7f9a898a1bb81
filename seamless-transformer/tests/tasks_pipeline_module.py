"""A diamond of tasks shared by test_tasks_run.py and the second process it starts.

Every task appends its name to the file named by its ``log`` option, so executions are counted.
"""

from __future__ import annotations

from seamless_transformer.tasks import TaskEnv


def make_env() -> TaskEnv:
    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    env.define_type("path", lambda v: isinstance(v, str))

    def load(n, log):
        with open(log, "a") as f:
            f.write("load\n")
        return n // 10

    env.define_task("load", load, product="number", options={"n": "number", "log": "path"})

    def left(load, log):
        with open(log, "a") as f:
            f.write("left\n")
        return load + 1

    env.define_task("left", left, product="number", deps=["load"], options={"log": "path"})

    def right(load, log):
        with open(log, "a") as f:
            f.write("right\n")
        return load * 2

    env.define_task("right", right, product="number", deps=["load"], options={"log": "path"})

    def report(left, right, log):
        with open(log, "a") as f:
            f.write("report\n")
        return left * 100 + right

    env.define_task(
        "report", report, product="number", deps=["left", "right"], options={"log": "path"}
    )
    return env


def options(log: str, n: int = 31) -> dict:
    return {
        "load": {"n": n, "log": log},
        "left": {"log": log},
        "right": {"log": log},
        "report": {"log": log},
    }

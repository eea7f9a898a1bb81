"""Task layer: invocation validation, plan fingerprints, graph queries, mutation, exports."""

from __future__ import annotations

import pytest
from seamless import Buffer

from seamless_transformer.tasks import InvocationError, Option, TaskEnv
from seamless_transformer.tasks.fingerprints import plan_fingerprint


def diamond() -> TaskEnv:
    """load -> (left, right) -> report, plus an unrelated task."""
    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    env.define_type("positive", lambda v: v > 0, parent="number")
    env.define_type("name", lambda v: isinstance(v, str))

    def load(n):
        return list(range(n))

    env.define_task("load", load, product="number", options={"n": Option("positive", default=4)})

    def left(load, factor):
        return load * factor

    env.define_task("left", left, product="number", deps=["load"], options={"factor": "number"})

    def right(load, label):
        return load

    env.define_task(
        "right", right, product="number", deps={"load": "load"}, options={"label": "name"}
    )

    def report(a, b):
        return a + b

    env.define_task("report", report, product="number", deps={"a": "left", "b": "right"})

    def other(x):
        return x

    env.define_task("other", other, product="number", options={"x": Option("number", default=1)})
    return env


OPTIONS = {"left": {"factor": 2}, "right": {"label": "r"}}


def test_invocation_reports_all_problems_at_once():
    env = diamond()
    with pytest.raises(InvocationError) as info:
        env.invoke(
            ["report", "missing_target"],
            {
                "load": {"n": -5, "bogus": 1},
                "left": {},
                "right": {"label": 7},
                "other": {"x": 1},
            },
        )
    problems = {(p.task, p.option): p for p in info.value.problems}
    assert set(problems) == {
        ("missing_target", None),
        ("other", None),
        ("load", "bogus"),
        ("load", "n"),
        ("left", "factor"),
        ("right", "label"),
    }
    assert problems["load", "n"].value == -5 and problems["load", "n"].type_name == "positive"
    assert problems["right", "label"].type_name == "name"
    text = str(info.value)
    assert "6 problem(s)" in text
    assert "task 'load', option 'n': value -5 fails type 'positive'" in text
    assert "task 'left', option 'factor': required option (type 'number') not given" in text
    assert "task 'right', option 'label': value 7 fails type 'name'" in text
    assert "task 'other': options given, but the task is not invoked" in text


def test_invocation_binds_defaults_and_closes_over_dependencies():
    invocation = diamond().invoke("report", OPTIONS)
    assert invocation.topological() == ["load", "left", "right", "report"]
    assert dict(invocation["load"].options) == {"n": 4}
    assert "other" not in invocation


def test_plan_fingerprint_is_what_the_docs_say():
    env = diamond()
    invocation = env.invoke("load", {"load": {"n": 3}})
    expected = plan_fingerprint(
        code=env["load"].code_checksum,
        options={"n": ("positive", Buffer(3, "mixed").get_checksum())},
        deps={},
        product="number",
    )
    assert invocation["load"].plan_fingerprint == expected
    # an explicit value equal to the default plans the same
    assert (
        env.invoke("load", {"load": {"n": 4}})["load"].plan_fingerprint
        == env.invoke("load")["load"].plan_fingerprint
    )


def test_plan_fingerprint_golden_value():
    """Pinned, so that a silent change to plan fingerprints fails loudly."""
    from seamless import Checksum

    code = Checksum("ba1a531f581d2e6094e978ed6f7aca7a8d92eeb62c6e7ad73ee692f7f18bc772")
    fp = plan_fingerprint(
        code=code,
        options={"a": ("number", Buffer(19, "mixed").get_checksum())},
        deps={"b": Checksum("00" * 32)},
        product="number",
    )
    assert fp.hex() == GOLDEN_PLAN
    # rebuilt from the documented rule with hashlib + orjson only
    import hashlib

    import orjson

    plan = {
        "kind": "seamless-task-plan",
        "code": code.hex(),
        "options": {"a": ["number", hashlib.sha256(b"19\n").hexdigest()]},
        "deps": {"b": "00" * 32},
        "product": "number",
        "itemwise": None,
    }
    raw = orjson.dumps(plan, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    assert hashlib.sha256(raw).hexdigest() == GOLDEN_PLAN


GOLDEN_PLAN = "24ac0595bf7c2b23bf35b9c667d99aa0f7a07db3c31efda7239da74f1ee7d781"


def test_plan_fingerprints_change_only_downstream_of_an_option():
    env = diamond()
    base = env.invoke("report", OPTIONS).plan_fingerprints()
    changed = env.invoke("report", {**OPTIONS, "left": {"factor": 3}}).plan_fingerprints()
    differs = {name for name in base if base[name] != changed[name]}
    assert differs == {"left", "report"}


def test_mutation_changes_only_plan_fingerprints_downstream_of_it():
    env = diamond()
    before = env.invoke("report", OPTIONS).plan_fingerprints()
    mutated = env.copy()

    def right_double(load, label):
        return load  # a test double with other code

    mutated.substitute("right", right_double)
    after = mutated.invoke("report", OPTIONS).plan_fingerprints()
    differs = {name for name in before if before[name] != after[name]}
    assert differs == {"right"} | env.downstream("right") == {"right", "report"}
    # the original env still plans as before
    assert env.invoke("report", OPTIONS).plan_fingerprints() == before


def test_replace_subgraph():
    env = diamond()
    before = env.invoke("report", OPTIONS).plan_fingerprints()
    mutated = env.copy()

    def report(load):
        return load * 3

    mutated.replace_subgraph(
        ["left", "right", "report"], output="report", func=report, deps=["load"]
    )
    assert list(mutated) == ["load", "report", "other"]
    after = mutated.invoke("report").plan_fingerprints()
    assert after["load"] == before["load"] and after["report"] != before["report"]
    with pytest.raises(Exception, match="outside the subgraph depend on it"):
        env.copy().replace_subgraph(["load", "left"], output="left", func=report, deps=[])


def test_redefine_refuses_a_cycle():
    env = diamond()

    def load(report):
        return report

    with pytest.raises(Exception, match="a cycle"):
        env.redefine("load", load, deps=["report"])


def test_closures_and_topological_order():
    env = diamond()
    assert env.upstream("report") == {"load", "left", "right"}
    assert env.upstream("load") == set()
    assert env.downstream("load") == {"left", "right", "report"}
    assert env.downstream("report") == set()
    assert env.topological() == ["load", "left", "right", "report", "other"]
    invocation = env.invoke("left", {"left": {"factor": 1}})
    assert invocation.topological() == ["load", "left"]
    assert invocation.downstream("load") == {"left"}


def test_topological_order_respects_dependencies_not_definition_order():
    env = diamond()
    mutated = env.copy()

    def load(other):
        return other

    mutated.redefine("load", load, deps=["other"])
    assert mutated.topological() == ["other", "load", "left", "right", "report"]


DOT = """digraph tasks {
  rankdir=LR;
  node [shape=box];
  "load" [label="load\\n: number\\ncached", style=filled, fillcolor="#c8e6c9"];
  "left" [label="left\\n: number\\noutdated", style=filled, fillcolor="#ffe0b2"];
  "right" [label="right\\n: number\\ncached", style=filled, fillcolor="#c8e6c9"];
  "report" [label="report\\n: number\\noutdated", style=filled, fillcolor="#ffe0b2"];
  "load" -> "left";
  "load" -> "right";
  "left" -> "report" [label="a"];
  "right" -> "report" [label="b"];
}
"""

MERMAID = """flowchart LR
  load["load : number<br/>cached"]:::cached
  left["left : number<br/>outdated"]:::outdated
  right["right : number<br/>cached"]:::cached
  report["report : number<br/>outdated"]:::outdated
  load --> left
  load --> right
  left -- a --> report
  right -- b --> report
  classDef cached fill:#c8e6c9
  classDef outdated fill:#ffe0b2
"""


def test_dot_and_mermaid_with_cached_and_outdated():
    from seamless import Checksum

    from seamless_transformer.tasks.records import get_plan_record_registry

    invocation = diamond().invoke("report", OPTIONS)
    registry = get_plan_record_registry()
    # "load" and "right" have a recorded product; "left" has none, so "report" is outdated too
    registry.put(invocation["load"].plan_fingerprint, Checksum("11" * 32))
    registry.put(invocation["right"].plan_fingerprint, Checksum("22" * 32))
    registry.put(invocation["report"].plan_fingerprint, Checksum("33" * 32))
    assert invocation.status() == {
        "load": "cached",
        "left": "outdated",
        "right": "cached",
        "report": "outdated",
    }
    assert invocation.to_dot() == DOT
    assert invocation.to_mermaid() == MERMAID
    assert invocation.cached() == ["load", "right"]
    assert invocation.outdated() == ["left", "report"]

"""Task layer, definition side: types, definitions, env copies (no execution)."""

from __future__ import annotations

import pytest

from seamless_transformer.tasks import (
    Option,
    Stream,
    TaskDefinitionError,
    TaskEnv,
    TypeDefinitionError,
)


def make_env() -> TaskEnv:
    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    env.define_type("positive", lambda v: v > 0, parent="number")
    env.define_type("small", lambda v: v < 10, parent="positive")
    return env


def test_predicate_chain_runs_root_first():
    env = make_env()
    assert [t.name for t in env.types.chain("small")] == ["number", "positive", "small"]
    assert env.types.failing("small", 5) is None
    assert env.types.failing("small", 50) == "type 'small'"
    assert env.types.failing("small", -1) == "type 'positive'"
    # the root predicate runs first: a string never reaches "v > 0" (which would raise)
    assert env.types.failing("small", "x") == "type 'number'"


def test_predicate_that_raises_is_a_failure_with_reason():
    env = TaskEnv()
    env.define_type("text", lambda v: v.isascii())
    assert "predicate raised AttributeError" in env.types.failing("text", 3)


def test_type_declarations_refused():
    env = make_env()
    with pytest.raises(TypeDefinitionError, match="already declared"):
        env.define_type("number", lambda v: True)
    with pytest.raises(TypeDefinitionError, match="parent type 'nope' is not declared"):
        env.define_type("x", lambda v: True, parent="nope")
    with pytest.raises(TypeDefinitionError, match="must be callable"):
        env.define_type("y", 3)
    with pytest.raises(TypeDefinitionError, match="letters"):
        env.define_type("Stream[number]", lambda v: True)


def test_duplicate_task_name_refused():
    env = make_env()

    @env.task(product="number", options={"x": "number"})
    def a(x):
        return x

    with pytest.raises(TaskDefinitionError, match="Task 'a': a task with this name is already"):
        env.define_task("a", a.func, product="number", options={"x": "number"})


def test_unknown_dependency_refused():
    env = make_env()

    def b(a):
        return a

    with pytest.raises(TaskDefinitionError, match="Task 'b': dependency 'a' is not defined"):
        env.define_task("b", b, product="number", deps=["a"])


def test_callable_default_refused():
    env = make_env()

    def a(x):
        return x

    with pytest.raises(TaskDefinitionError, match="option 'x': the default must be a value"):
        env.define_task(
            "a", a, product="number", options={"x": Option("number", default=lambda: 1)}
        )


def test_default_failing_its_type_refused():
    env = make_env()

    def a(x):
        return x

    with pytest.raises(TaskDefinitionError, match="the default -3 fails type 'positive'"):
        env.define_task("a", a, product="number", options={"x": Option("positive", default=-3)})


def test_undeclared_types_refused():
    env = make_env()

    def a(x):
        return x

    with pytest.raises(TaskDefinitionError, match="type 'float' is not declared"):
        env.define_task("a", a, product="number", options={"x": "float"})
    with pytest.raises(TaskDefinitionError, match="declared by name in the env, not inline"):
        env.define_task("a", a, product="number", options={"x": Option(float)})  # type: ignore[arg-type]
    with pytest.raises(TaskDefinitionError, match="product type 'table' is not declared"):
        env.define_task("a", a, product="table", options={"x": "number"})
    with pytest.raises(TaskDefinitionError, match="not inline"):
        env.define_task("a", a, product=int, options={"x": "number"})  # type: ignore[arg-type]
    with pytest.raises(TaskDefinitionError, match="item type 'row' is not declared"):
        env.define_task("a", a, product=Stream("row"), options={"x": "number"})


def test_nested_options_refused():
    env = make_env()

    def a(x):
        return x

    with pytest.raises(TaskDefinitionError, match="option 'x': nested options are not supported"):
        env.define_task("a", a, product="number", options={"x": {"y": Option("number")}})


def test_signature_must_match_options_and_deps():
    env = make_env()

    def a(x, y):
        return x

    with pytest.raises(TaskDefinitionError, match=r"neither option nor dependency: \['y'\]"):
        env.define_task("a", a, product="number", options={"x": "number"})

    def c(x=3):
        return x

    with pytest.raises(TaskDefinitionError, match="has a default in the function"):
        env.define_task("c", c, product="number", options={"x": "number"})
    with pytest.raises(TaskDefinitionError, match="must be a Python function"):
        env.define_task("d", print, product="number")  # type: ignore[arg-type]


def test_generators_only_for_streams():
    env = make_env()

    def gen(n):
        yield from range(n)

    with pytest.raises(TaskDefinitionError, match="only a stream producer"):
        env.define_task("g", gen, product="number", options={"n": "number"})

    def notgen(n):
        return n

    with pytest.raises(TaskDefinitionError, match="must be a generator"):
        env.define_task("g", notgen, product=Stream("number"), options={"n": "number"})
    env.define_task("g", gen, product=Stream("number"), options={"n": "number"})


def test_copied_env_changes_without_touching_original():
    env = make_env()

    @env.task(product="number", options={"x": "number"})
    def a(x):
        return x

    copy = env.copy()
    copy.define_type("extra", lambda v: True)

    def b(a):
        return a + 1

    copy.define_task("b", b, product="number", deps=["a"])

    def a2(x):
        return x * 100

    copy.substitute("a", a2)
    assert "extra" not in env.types and "b" not in env
    assert env["a"].func is a.func and copy["a"].func is a2
    assert list(env) == ["a"] and list(copy) == ["a", "b"]


def test_dependency_mapping_reuses_one_function():
    env = make_env()

    def one(x):
        return x

    env.define_task("p", one, product="number", options={"x": "number"})
    env.define_task("q", one, product="number", options={"x": "number"})

    def add(left, right):
        return left + right

    env.define_task("s", add, product="number", deps={"left": "p", "right": "q"})
    assert dict(env["s"].deps) == {"left": "p", "right": "q"}
    assert env.upstream("s") == {"p", "q"}


def test_tasks_all_is_sorted_and_exact():
    import seamless_transformer.tasks as tasks

    assert tasks.__all__ == sorted(tasks.__all__)
    public = {n for n in vars(tasks) if not n.startswith("_") and n[0].isupper() or n == "invoke"}
    assert public <= set(tasks.__all__) | {"TYPE_CHECKING"}
    for name in tasks.__all__:
        assert hasattr(tasks, name)

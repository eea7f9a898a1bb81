"""The executor interface: remote executors registered by name, the built-ins, the choice."""

from __future__ import annotations

import pytest

from seamless_config import select
from seamless_transformer import TransformationError, delayed, direct
from seamless_transformer.errors import RemoteBackendError
from seamless_transformer.execute import run_transformation_dict_async
from seamless_transformer.executors import (
    Executor,
    choose_executor,
    get_executor,
    get_executor_registry,
    register_executor,
    unregister_executor,
)
from seamless_transformer.transformation_cache import ExecutionResult


class InProcessBackend(Executor):
    """A remote executor that "executes remotely" through the worker-side entry point."""

    remote = True
    accepts_dependencies = True

    def __init__(self, *, claims: bool = False) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.claims = claims

    def claims_unselected_work(self) -> bool:
        return self.claims

    async def execute(self, transformation, *, recompute=False):
        return ExecutionResult(await self.compute(transformation))

    async def compute(self, transformation):
        self.calls.append((transformation.language, sorted(transformation.dependencies)))
        results = {}
        for pin, dependency in transformation.dependencies.items():
            result = await dependency.computation()
            if result is None:
                raise RuntimeError(f"dependency {pin} failed: {dependency.exception}")
            results[pin] = result
        tf_checksum = transformation.construct_from(results)
        return await run_transformation_dict_async(
            transformation.build_dict(results), tf_checksum=tf_checksum
        )


class FailingBackend(Executor):
    remote = True

    async def execute(self, transformation, *, recompute=False):
        raise ConnectionError("cluster unreachable")


@pytest.fixture
def remote_mode():
    select.select_execution("remote")
    assert select.get_execution() == "remote"


def test_remote_without_backend_is_a_clear_error(remote_mode):
    select.select_remote("daskserver")

    @direct
    def one():
        return 1

    with pytest.raises(RemoteBackendError) as info:
        one()
    message = str(info.value)
    assert "remote: daskserver" in message
    assert "no remote executor is registered" in message
    assert "execution: process" in message


def test_backend_computes(remote_mode):
    backend = InProcessBackend()
    register_executor("test", backend)
    assert get_executor("test") is backend

    @direct
    def add(a, b):
        return a + b

    assert add(20, 22) == 42
    assert len(backend.calls) == 1
    assert add(20, 22) == 42  # in-memory cache hit: the backend is not asked again
    assert len(backend.calls) == 1


def test_backend_receives_unconstructed_dependencies(remote_mode):
    backend = InProcessBackend()
    register_executor("test", backend)

    @delayed
    def add(a, b):
        return a + b

    outer = add(add(1, 2), add(3, 4))
    assert outer.run() == 10
    assert backend.calls[0] == ("python", ["a", "b"])
    assert outer.checksum == add(3, 7).construct()


def test_backend_failure_becomes_exception(remote_mode):
    register_executor("failing", FailingBackend())

    @delayed
    def add(a, b):
        return a + b

    tf = add(1, 1)
    assert tf.compute() is None
    assert "ConnectionError: cluster unreachable" in tf.exception
    with pytest.raises(TransformationError, match="cluster unreachable"):
        tf.run()


def test_local_bypasses_backend(remote_mode):
    backend = InProcessBackend()
    register_executor("test", backend)

    @direct
    def add(a, b):
        return a + b

    add.local = True
    assert add(1, 2) == 3
    assert backend.calls == []


def test_registry():
    backend = InProcessBackend()
    register_executor("test", backend)
    unregister_executor("test", FailingBackend())
    assert get_executor("test") is backend
    unregister_executor("test", backend)
    assert get_executor("test") is None
    register_executor("test", backend)
    get_executor_registry().reset()
    assert get_executor("test") is None
    assert get_executor("process") is not None and get_executor("spawn") is not None
    with pytest.raises(TypeError, match="expected an Executor"):
        register_executor("test", object())  # type: ignore[arg-type]


def test_remote_target_chooses_the_executor_by_name(remote_mode):
    dask_like, jobserver_like = InProcessBackend(), InProcessBackend()
    register_executor("daskserver", dask_like)
    register_executor("jobserver", jobserver_like)

    @delayed
    def add(a, b):
        return a + b

    select.select_remote("daskserver")
    assert choose_executor(add(1, 2)) is dask_like
    select.select_remote("jobserver")
    assert add(5, 6).run() == 11
    assert len(jobserver_like.calls) == 1 and dask_like.calls == []


def test_unselected_work_goes_to_a_claiming_executor():
    """The Seamless 1.x rule: a claiming executor (a registered Dask client) runs the work
    unless execution was selected explicitly."""
    claiming = InProcessBackend(claims=True)
    register_executor("daskserver", claiming)

    @delayed
    def add(a, b):
        return a + b

    assert choose_executor(add(1, 2)) is claiming
    assert add(2, 2).run() == 4 and len(claiming.calls) == 1

    @delayed
    def local_add(a, b):
        return a + b

    local_add.local = True
    assert choose_executor(local_add(1, 2)) is get_executor("process")
    select.select_execution("process")
    assert choose_executor(add(1, 2)) is get_executor("process")
    select.select_execution("spawn")
    assert choose_executor(add(1, 2)) is get_executor("spawn")


def test_executor_without_dependency_support_gets_constructed_transformations(remote_mode):
    seen = []

    class Constructed(Executor):
        remote = True

        async def execute(self, transformation, *, recompute=False):
            assert transformation.dependencies == {}
            seen.append(transformation.checksum)
            return await get_executor("process").execute(transformation)

    register_executor("jobserver", Constructed())
    select.select_remote("jobserver")

    @delayed
    def add(a, b):
        return a + b

    assert add(add(1, 2), 4).run() == 7
    assert len(seen) == 2  # upstream first, then the constructed downstream


def test_jobserver_executor_is_chosen_by_the_remote_target(remote_mode):
    from seamless_remote import jobserver_remote
    from seamless_transformer.executors import JobserverExecutor

    @delayed
    def add(a, b):
        return a + b

    registered = InProcessBackend()
    register_executor("test", registered)
    select.select_remote("jobserver")
    assert isinstance(choose_executor(add(1, 2)), JobserverExecutor)
    select.select_remote("daskserver")
    assert choose_executor(add(1, 2)) is registered
    select.select_remote(None)
    assert choose_executor(add(1, 2)) is registered
    get_executor_registry().reset()
    with pytest.raises(RemoteBackendError):
        choose_executor(add(1, 2))  # no jobserver active, nothing registered
    jobserver_remote.define_jobserver("http://127.0.0.1:9")
    try:
        assert isinstance(choose_executor(add(1, 2)), JobserverExecutor)  # the only one active
    finally:
        jobserver_remote.deactivate()


def test_jobserver_executor_without_a_jobserver_names_the_fix(remote_mode):
    from seamless_remote import jobserver_remote

    jobserver_remote.deactivate()
    select.select_remote("jobserver")

    @direct
    def one():
        return 1

    with pytest.raises(TransformationError, match="no jobserver is active"):
        one()

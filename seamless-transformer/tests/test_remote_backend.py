"""Execution mode remote through the registered backend interface."""

from __future__ import annotations

import pytest

from seamless_config import select
from seamless_transformer import TransformationError, delayed, direct
from seamless_transformer.errors import RemoteBackendError
from seamless_transformer.execute import run_transformation_dict_async
from seamless_transformer.remote_backend import (
    RemoteBackend,
    get_remote_backend,
    get_remote_backend_registry,
    register_remote_backend,
    unregister_remote_backend,
)


class InProcessBackend(RemoteBackend):
    """A backend that "executes remotely" through the worker-side entry point."""

    name = "test"

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

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


class FailingBackend(RemoteBackend):
    name = "failing"

    async def compute(self, transformation):
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
    assert "no remote backend is registered" in message
    assert "execution: process" in message


def test_backend_computes(remote_mode):
    backend = InProcessBackend()
    register_remote_backend(backend)
    assert get_remote_backend() is backend

    @direct
    def add(a, b):
        return a + b

    assert add(20, 22) == 42
    assert len(backend.calls) == 1
    assert add(20, 22) == 42  # in-memory cache hit: the backend is not asked again
    assert len(backend.calls) == 1


def test_backend_receives_unconstructed_dependencies(remote_mode):
    backend = InProcessBackend()
    register_remote_backend(backend)

    @delayed
    def add(a, b):
        return a + b

    outer = add(add(1, 2), add(3, 4))
    assert outer.run() == 10
    assert backend.calls[0] == ("python", ["a", "b"])
    assert outer.checksum == add(3, 7).construct()


def test_backend_failure_becomes_exception(remote_mode):
    register_remote_backend(FailingBackend())

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
    register_remote_backend(backend)

    @direct
    def add(a, b):
        return a + b

    add.local = True
    assert add(1, 2) == 3
    assert backend.calls == []


def test_registry():
    backend = InProcessBackend()
    register_remote_backend(backend)
    unregister_remote_backend(FailingBackend())
    assert get_remote_backend() is backend
    unregister_remote_backend(backend)
    assert get_remote_backend() is None
    register_remote_backend(backend)
    get_remote_backend_registry().reset()
    assert get_remote_backend() is None
    with pytest.raises(TypeError):
        register_remote_backend(object())  # type: ignore[arg-type]


def test_jobserver_backend_is_chosen_by_the_remote_target():
    from seamless_remote import jobserver_remote
    from seamless_transformer.jobserver_backend import JobserverBackend

    registered = InProcessBackend()
    register_remote_backend(registered)
    select.select_remote("jobserver")
    assert isinstance(get_remote_backend(), JobserverBackend)
    select.select_remote("daskserver")
    assert get_remote_backend() is registered
    select.select_remote(None)
    assert get_remote_backend() is registered
    get_remote_backend_registry().reset()
    assert get_remote_backend() is None
    jobserver_remote.define_jobserver("http://127.0.0.1:9")
    try:
        assert isinstance(get_remote_backend(), JobserverBackend)  # the only one active
    finally:
        jobserver_remote.deactivate()


def test_jobserver_backend_without_a_jobserver_names_the_fix(remote_mode):
    from seamless_remote import jobserver_remote

    jobserver_remote.deactivate()
    select.select_remote("jobserver")

    @direct
    def one():
        return 1

    with pytest.raises(TransformationError, match="no jobserver is active"):
        one()

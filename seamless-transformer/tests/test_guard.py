"""The pure-Dask guard: transformations are refused, before any work is submitted."""

from __future__ import annotations

import re

import pytest

from seamless_config import select
from seamless_transformer import delayed, direct
from seamless_transformer.errors import PureDaskModeError
from seamless_transformer.executors import Executor, register_executor
from seamless_transformer.guard import pure_dask_reason


class RecordingBackend(Executor):
    remote = True

    def __init__(self) -> None:
        self.calls = []

    async def execute(self, transformation):
        self.calls.append(transformation)
        raise AssertionError("must not be reached")


@pytest.fixture
def pure_dask_selection():
    select.select_cluster("hpc")
    select.select_persistent(False)
    assert select.is_pure_dask_mode()


def test_no_guard_by_default():
    assert pure_dask_reason() is None


def test_creating_a_transformation_is_refused(pure_dask_selection):
    backend = RecordingBackend()
    register_executor("recording", backend)

    @delayed
    def add(a, b):
        return a + b

    with pytest.raises(PureDaskModeError) as info:
        add(1, 2)
    message = str(info.value)
    assert "pure-Dask mode is active" in message
    assert "cluster 'hpc'" in message
    assert re.search(r"persistent '?false", message)
    assert "persistent: true" in message
    assert backend.calls == []


def test_running_a_transformation_made_before_is_refused(pure_dask_selection):
    select.select_persistent(True)

    @delayed
    def add(a, b):
        return a + b

    tf = add(1, 2)
    select.select_persistent(False)
    with pytest.raises(PureDaskModeError, match="Cannot run a transformation"):
        tf.run()
    with pytest.raises(PureDaskModeError, match="Cannot compute a transformation"):
        tf.compute()
    with pytest.raises(PureDaskModeError, match="Cannot start a transformation"):
        tf.start()
    assert tf.status == "Status: ready"


def test_direct_call_is_refused(pure_dask_selection):
    @direct
    def one():
        return 1

    with pytest.raises(PureDaskModeError):
        one()
    assert isinstance(PureDaskModeError(reason="r"), RuntimeError)

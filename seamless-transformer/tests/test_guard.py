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

    async def execute(self, transformation, *, recompute=False):
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


def test_one_pure_dask_mode_error(pure_dask_selection) -> None:
    """One class, defined in seamless_config: catching it by either name catches every raise."""
    from seamless_config import errors as config_errors
    from seamless_config.cluster import define_clusters
    from seamless_transformer import errors as transformer_errors

    assert transformer_errors.PureDaskModeError is config_errors.PureDaskModeError
    assert "PureDaskModeError" in transformer_errors.__all__

    # the guard's raise, caught through seamless_config's names
    @delayed
    def add(a, b):
        return a + b

    with pytest.raises(config_errors.PureDaskModeError) as refused:
        add(1, 2)
    assert isinstance(refused.value, config_errors.ConfigurationError)
    assert refused.value.reason is not None and refused.value.action == "create a transformation"

    # seamless_config's raise (activation: a cluster without a daskserver), caught through
    # seamless_transformer's name
    define_clusters({"hpc": {"type": "local", "workers": 1, "frontends": [{"hostname": "fe"}]}})
    try:
        select.require_daskserver_target("hpc")
    except transformer_errors.PureDaskModeError as exc:
        assert "has no daskserver" in str(exc)
    else:
        raise AssertionError("require_daskserver_target accepted a cluster without a daskserver")

    with pytest.raises(TypeError, match="a message or a reason"):
        transformer_errors.PureDaskModeError()

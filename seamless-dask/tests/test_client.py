"""SeamlessDaskClient on an in-process dummy scheduler: Case 1, Case 2, errors, keys, TTL, priorities."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import dask.config
import pytest
from conftest import scheduler_keys, seen_keys
from seamless.transformer import delayed

from seamless_dask import keys
from seamless_dask.futures import TransformationFutures


def make_add():
    """A fresh transformer (its meta can be changed without affecting others)."""

    @delayed
    def add(a, b):
        return a + b

    return add


@delayed
def slow_add(a, b, delay):
    import time

    time.sleep(delay)
    return a + b


@delayed
def fail(a):
    raise ValueError("boom")


@pytest.mark.timeout(120)
def test_case1_miss_submits_then_database_hit_submits_nothing(
    persistent: Any, dask_remote: Any
) -> None:
    from seamless_transformer.transformation_cache import get_transformation_cache

    add = make_add()
    tf = add(19, 23)
    assert tf.run() == 42
    base_key = keys.transformation_key("base", tf.checksum)
    assert base_key in scheduler_keys(dask_remote)
    assert (
        dask_remote.client.gather(
            dask_remote.client.futures[keys.transformation_key("thin", tf.checksum)]
        )
        is not None
    )

    get_transformation_cache().reset()  # forget in-memory results: only the database knows
    submitted: list[Any] = []
    original = dask_remote.client.submit
    dask_remote.client.submit = lambda *a, **kw: (
        submitted.append(kw.get("key")) or original(*a, **kw)
    )
    try:
        again = make_add()(19, 23)
        found = asyncio.run(dask_remote.ensure_futures(again))
        assert not isinstance(found, TransformationFutures)
        assert found.hex() == tf.result_checksum.hex()
        assert again.run() == 42
    finally:
        dask_remote.client.submit = original
    assert submitted == []  # a hit submits nothing to Dask


@pytest.mark.timeout(120)
def test_case2_chain_and_diamond(dask_remote: Any) -> None:
    add = make_add()
    chain = add(0, 1)
    for i in range(2, 6):
        chain = add(chain, i)
    assert chain.run() == 15
    # the downstream checksum is known afterwards, and its real task ran under the
    # deterministic key (submitted from the worker), not only under the provisional one
    assert keys.transformation_key("base", chain.checksum) in seen_keys(dask_remote)

    source = add(1, 1)
    left, right = add(source, 10), add(source, 100)
    top = add(left, right)
    assert top.run() == 114
    seen = seen_keys(dask_remote)
    assert keys.transformation_key("base", source.construct()) in seen
    assert keys.transformation_key("base", top.checksum) in seen


@pytest.mark.timeout(120)
def test_a_chain_step_makes_two_dask_tasks(dask_remote: Any) -> None:
    """Each dependent step is a provisional base and the real base it submits: the upstream
    base feeds it directly (no fat forwarder), and thin tasks exist only where the client
    waits for a result (the last step and its direct dependency)."""
    add = make_add()
    steps = 6
    chain = add(1000, 1)
    for i in range(2, steps + 1):
        chain = add(chain, i)
    assert chain.run() == 1000 + sum(range(1, steps + 1))
    seen = seen_keys(dask_remote)
    by_kind: dict[str, list[str]] = {}
    for key in seen:
        kind = key.split("-", 1)[0]
        if kind == "base" and keys.is_provisional(key):
            kind = "provisional base"
        by_kind.setdefault(kind, []).append(key)
    assert len(by_kind.get("provisional base", [])) == steps - 1
    assert len(by_kind.get("base", [])) == steps  # the first step and one real base per step
    assert len(by_kind.get("thin", [])) == 2
    assert chain._dask_futures.thin.key in seen  # the last step's (a provisional key)
    assert by_kind.get("fat", []) == []
    assert by_kind.get(keys.FAT_CHECKSUM, []) == []  # small inputs travel inline


@pytest.mark.timeout(120)
def test_error_propagates_and_fails_fast(dask_remote: Any) -> None:
    add = make_add()
    broken = add(fail(1), 2)
    assert broken.compute() is None
    assert "Dependency has an exception." in broken.exception
    assert "boom" in broken.exception
    # an upstream that already has an exception fails fast, without new submissions
    upstream = fail(2)
    assert upstream.compute() is None
    downstream = add(upstream, 1)
    assert downstream.compute() is None
    assert "exception" in downstream.exception.lower()


@pytest.mark.timeout(120)
def test_resource_spec_is_in_the_key(dask_remote: Any) -> None:
    add = make_add()
    add.meta = {"resources": {"ncores": 1}}
    tf = add(3, 4)
    assert tf.run() == 7
    with_res = keys.transformation_key("base", tf.checksum, resources={"ncores": 1})
    plain = keys.transformation_key("base", tf.checksum)
    present = scheduler_keys(dask_remote)
    assert with_res in present and plain not in present


@delayed
def gated_add(a, b, gate):
    import os
    import time

    while not os.path.exists(gate):
        time.sleep(0.02)
    return a + b


@pytest.mark.timeout(120)
def test_long_transformation_outlives_the_ttl(dask_remote: Any, tmp_path: Path) -> None:
    ttl = 0.1
    gate = tmp_path / "gate"
    with dask.config.set(
        {
            "seamless-dask.future-cache.ttl": f"{int(ttl * 1000)}ms",
            "seamless-dask.future-cache.prune-interval": "20ms",
        }
    ):
        tf = gated_add(5, 6, str(gate)).start()  # runs until the test opens the gate
        try:
            deadline = time.monotonic() + 30
            key = None
            while key is None and time.monotonic() < deadline:
                time.sleep(0.05)
                try:
                    key = keys.transformation_key("base", tf.checksum)
                except Exception:  # not constructed yet
                    continue
            assert key is not None
            # prunes well past the TTL while it (certainly) still runs: pinned, not expired
            since = time.monotonic()
            while time.monotonic() - since < 5 * ttl:
                dask_remote.prune()
                time.sleep(0.02)
            assert dask_remote._tf_cache.is_pinned(key)
            assert key in dask_remote._tf_cache
            gate.touch()
            assert tf.run() == 11
            # after completion the short TTL applies: a prune drops it (polled to a deadline)
            deadline = time.monotonic() + 30
            while key in dask_remote._tf_cache:
                assert time.monotonic() < deadline, "the finished entry never expired"
                dask_remote.prune()
                time.sleep(0.02)
        finally:
            gate.touch()  # never leave a worker thread waiting


def test_nested_priorities_rank_higher(dask_remote: Any) -> None:
    from seamless_dask.worker_tasks import get_worker_task_registry

    top = dask_remote._priorities()
    registry = get_worker_task_registry()
    registry.enter("base-outer", top["base"])
    try:
        nested = dask_remote._priorities()
    finally:
        registry.leave("base-outer")
    assert nested["base"] == top["base"] * 2 and nested["thin"] > top["thin"]
    assert nested["base"] > top["base"]


@pytest.mark.timeout(120)
def test_provisional_base_holds_no_s_unit(dask_remote: Any) -> None:
    tf = slow_add(slow_add(1, 2, 0.5), 3, 0.5).start()
    restrictions: dict[str, Any] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        k.startswith("base-provisional") for k in restrictions
    ):
        restrictions = dask_remote.client.run_on_scheduler(
            lambda dask_scheduler: {
                k: ts.resource_restrictions for k, ts in dask_scheduler.tasks.items()
            }
        )
        time.sleep(0.05)
    assert tf.run() == 6
    provisional = [k for k in restrictions if k.startswith("base-provisional")]
    real = [
        k for k in restrictions if k.startswith("base-") and not k.startswith("base-provisional")
    ]
    assert provisional and real
    assert all(not restrictions[k] for k in provisional)
    assert all(restrictions[k] == {"S": 1} for k in real)


@pytest.mark.timeout(120)
def test_small_held_inputs_travel_inline(dask_remote: Any) -> None:
    add = make_add()
    tf = add(5, 6)
    assert tf.run() == 11
    loaders = {k for k in seen_keys(dask_remote) if k.startswith(keys.FAT_CHECKSUM + "-")}
    assert loaders == set()  # the inputs and the code travelled inside the base task

    with dask.config.set({"seamless-dask.inline-input-limit": 0}):
        again = make_add()(7, 8)
        assert again.run() == 15
    loaders = {k for k in seen_keys(dask_remote) if k.startswith(keys.FAT_CHECKSUM + "-")}
    tf_dict = again.build_dict()
    expected = {
        keys.fat_checksum_key(triple[2])
        for pin, triple in tf_dict.items()
        if not pin.startswith("__") and triple is not None
    }
    assert expected and expected <= loaders


class _Records(logging.Handler):
    """Collects the records of one logger (independent of pytest's capture handlers, whose
    level a LocalCluster start can change)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> _Records:
        self._level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)


@pytest.mark.timeout(120)
def test_waiting_for_workers_logs_instead_of_printing(capsys: pytest.CaptureFixture[str]) -> None:
    """``Client.wait_for_workers``: a warning (not a print) when no worker connects in time,
    an INFO record and no warning once one has."""
    import distributed

    from seamless_dask.client import SeamlessDaskClient

    with (
        _Records("seamless_dask.client") as log,
        distributed.LocalCluster(
            n_workers=0,
            processes=False,
            dashboard_address="127.0.0.1:0",
            protocol="tcp://",
            host="127.0.0.1",
        ) as cluster,
    ):
        dask_client = distributed.Client(cluster.scheduler_address, set_as_default=False)
        client = SeamlessDaskClient(dask_client, register_plugin=False)
        try:
            started = time.monotonic()
            client._wait_for_workers(timeout=0.5)
            assert time.monotonic() - started >= 0.5
            assert [r.levelno for r in log.records] == [logging.INFO, logging.WARNING]
            message = log.records[1].getMessage()
            assert cluster.scheduler_address in message
            assert "no worker after 0.5 s" in message
            log.records.clear()
            cluster.scale(1)
            client._wait_for_workers(timeout=60)
            assert [r.levelno for r in log.records] == [logging.INFO]
            assert "waiting for Dask workers" in log.records[0].getMessage()
        finally:
            client.close()
    assert capsys.readouterr() == ("", "")

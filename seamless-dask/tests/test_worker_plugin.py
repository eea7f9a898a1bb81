"""SeamlessWorkerPlugin: the Seamless worker count comes from the worker's own S resource."""

from types import SimpleNamespace

from seamless_dask.worker_plugin import SeamlessWorkerPlugin


def _worker(resources: dict) -> SimpleNamespace:
    return SimpleNamespace(state=SimpleNamespace(total_resources=resources))


def test_static_s_resource_of_the_worker_wins() -> None:
    plugin = SeamlessWorkerPlugin(seamless_workers=4)
    assert plugin.workers_of(_worker({"S": 1.0})) == 1
    assert plugin.workers_of(_worker({"S": 2.0, "GPU": 1.0})) == 2


def test_plugin_count_without_an_s_resource() -> None:
    plugin = SeamlessWorkerPlugin(seamless_workers=3)
    assert plugin.workers_of(_worker({})) == 3
    assert plugin.workers_of(_worker({"GPU": 1.0})) == 3

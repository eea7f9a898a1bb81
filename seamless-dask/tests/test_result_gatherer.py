"""ResultGatherer: futures that finish together are fetched with one gather; errors and
cancellations reach their own waiter."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from distributed.client import FutureCancelledError

from seamless_dask.result_gatherer import ResultGatherer


class CountingClient:
    """A real distributed.Client that counts its gather calls."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.gathers: list[int] = []

    def gather(self, futures: list[Any]) -> Any:
        self.gathers.append(len(futures))
        return self.client.gather(futures)


def _gate(seconds: float) -> int:
    import time

    time.sleep(seconds)
    return 1


def _after(gate: int, i: int) -> int:
    return gate + i


def _fail(gate: int) -> int:
    raise ValueError("boom")


@pytest.mark.timeout(120)
def test_futures_that_finish_together_are_gathered_together(dask_remote: Any) -> None:
    client = dask_remote.client
    counting = CountingClient(client)
    gate = client.submit(_gate, 1.0, pure=False)
    futures = [client.submit(_after, gate, i, pure=False) for i in range(40)]

    async def main() -> list[Any]:
        gatherer = ResultGatherer(counting, asyncio.get_running_loop())
        return await asyncio.gather(*(gatherer.result(f) for f in futures))

    assert asyncio.run(main()) == [1 + i for i in range(40)]
    assert sum(counting.gathers) == 40
    assert len(counting.gathers) < 40  # batched: fewer gathers than futures


@pytest.mark.timeout(120)
def test_an_error_or_a_cancel_reaches_only_its_own_waiter(dask_remote: Any) -> None:
    client = dask_remote.client
    gate = client.submit(_gate, 1.0, pure=False)
    good = [client.submit(_after, gate, i, pure=False) for i in range(5)]
    bad = client.submit(_fail, gate, pure=False)
    canceled = client.submit(_after, gate, 100, pure=False)

    async def main() -> list[Any]:
        gatherer = ResultGatherer(client, asyncio.get_running_loop())
        waiting = [gatherer.result(f) for f in [*good, bad, canceled]]
        tasks = [asyncio.ensure_future(w) for w in waiting]
        await asyncio.sleep(0)
        client.cancel([canceled])
        return await asyncio.gather(*tasks, return_exceptions=True)

    outcomes = asyncio.run(main())
    assert outcomes[:5] == [1 + i for i in range(5)]
    assert isinstance(outcomes[5], ValueError) and "boom" in str(outcomes[5])
    # what awaiting that future alone raises (distributed's FutureCancelledError)
    assert isinstance(outcomes[6], (FutureCancelledError, asyncio.CancelledError))

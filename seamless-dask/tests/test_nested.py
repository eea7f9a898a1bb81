"""Nested transformations: started inside a running one, they get permission and rank higher."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import seen_priorities
from seamless.transformer import delayed


@delayed
def outer(x):
    from seamless.transformer import delayed

    @delayed
    def inner(y):
        return y * 2

    return inner(x).run() + 1


@pytest.mark.timeout(120)
def test_nested_transformation_runs_through_dask_with_higher_priority(dask_remote: Any) -> None:
    from seamless_dask.permissions import get_permission_registry

    assert outer(20).run() == 41
    priorities = seen_priorities(dask_remote)
    bases = {k: p for k, p in priorities.items() if k.startswith("base-")}
    assert len(bases) == 2, bases  # outer and inner both ran as Dask base tasks
    # the nested base is ranked before its parent (Dask: lower tuple head runs first)
    assert sorted(bases.values())[0] < sorted(bases.values())[1]
    manager = get_permission_registry().manager
    assert manager is not None and manager.S == manager.workers  # permission given back

"""Recorded plans: plan fingerprint -> product checksum, written after a task's product passed
its type check, so that "cached / outdated" can be answered before anything runs.

Kept in memory (this process) and, in persistent mode, in the database, as an ordinary
``transformation`` entry keyed by the plan fingerprint (``seamless_remote``'s
``set_transformation_result`` / ``get_transformation_result``). A plan fingerprint is the
checksum of a dict that starts with ``"kind": "seamless-task-plan"``, so it can never equal a
transformation checksum; its dict is not uploaded, so a client that tries to recompute it (the
fingertip path) finds nothing and moves on.
"""

from __future__ import annotations

from seamless import Checksum

from seamless_config.registries import register_registry

from .. import persistence


class PlanRecordRegistry:
    """Plan fingerprint -> product checksum, in this process."""

    def __init__(self) -> None:
        self._records: dict[Checksum, Checksum] = {}

    def get(self, plan: Checksum) -> Checksum | None:
        """The product recorded in this process, or None."""
        return self._records.get(plan)

    def put(self, plan: Checksum, product: Checksum) -> None:
        """Record ``plan -> product`` in this process."""
        self._records[plan] = product

    def reset(self) -> None:
        """Forget everything (tests)."""
        self._records.clear()


_plan_record_registry = register_registry(
    "seamless_transformer.tasks.records", PlanRecordRegistry()
)


def get_plan_record_registry() -> PlanRecordRegistry:
    """The process-wide plan records."""
    return _plan_record_registry


async def lookup(plan: Checksum) -> Checksum | None:
    """The product recorded for ``plan``: this process first, then the database."""
    product = _plan_record_registry.get(plan)
    if product is not None:
        return product
    product = await persistence.get_transformation_result(plan)
    if product is not None:
        _plan_record_registry.put(plan, product)
    return product


async def record(plan: Checksum, product: Checksum) -> None:
    """Record ``plan -> product`` here and, in persistent mode, in the database."""
    known = _plan_record_registry.get(plan)
    _plan_record_registry.put(plan, product)
    if (known is None or known != product) and persistence.is_persistent():
        await persistence.set_transformation_result(plan, product)

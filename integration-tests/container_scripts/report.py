"""Shared by the client scripts: what a finished pipeline reports about its transformations."""

from typing import Any

from seamless_transformer import persistence
from seamless_transformer.event_loop import run_sync


def report(tfs: list[Any]) -> dict[str, Any]:
    """Result checksums, what the database holds for each transformation, and exceptions."""
    stored = {}
    for tf in tfs:
        found = run_sync(persistence.get_transformation_result(tf.checksum), what="lookup")
        stored[tf.checksum.hex()] = None if found is None else found.hex()
    return {
        "results": {tf.checksum.hex(): tf.result_checksum.hex() for tf in tfs},
        "stored": stored,
        "exceptions": [tf.exception for tf in tfs if tf.exception],
    }

"""A heartbeat transformer and polling helpers for the cancel and timeout tests.

``heartbeat_code(path, rounds)`` writes "<pid> <count>" to ``path`` every 0.05 s for ``rounds``
rounds, then returns a text that names ``path`` (so its result checksum is known in advance:
:func:`heartbeat_result_checksum`). The helpers poll to a deadline; none of them sleeps a fixed
time to assert that nothing happened.

Part of the installed test harness: ``from seamless_testing.heartbeat import heartbeat_code``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seamless import Checksum

__all__ = [
    "DEADLINE",
    "heartbeat_code",
    "heartbeat_result_checksum",
    "read_beat",
    "wait_for_heartbeat",
    "wait_for_heartbeat_stop",
    "wait_for_process_end",
]

#: seconds any wait may take on a loaded machine before the test fails
DEADLINE = 60.0


# a transformer, whose source is its code: it stays without annotations
def heartbeat_code(path, rounds):  # type: ignore[no-untyped-def]
    import os
    import time

    for count in range(rounds):
        with open(path + ".tmp", "w") as f:
            f.write(f"{os.getpid()} {count}")
        os.replace(path + ".tmp", path)
        time.sleep(0.05)
    return f"finished {rounds} rounds: {path}"


def heartbeat_result_checksum(path: Path, rounds: int) -> Checksum:
    """The checksum the heartbeat's result would have (celltype mixed, as a transformer's)."""
    from seamless import Buffer

    return Buffer(f"finished {rounds} rounds: {path}", "mixed").get_checksum()


def read_beat(path: Path) -> tuple[int, int] | None:
    """(pid, count) of the last beat, or None before the first one."""
    try:
        pid, count = path.read_text().split()
    except (FileNotFoundError, ValueError):
        return None
    return int(pid), int(count)


def wait_for_heartbeat(path: Path, deadline: float = DEADLINE) -> int:
    """The pid writing the heartbeat, once it has beaten a few times."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        beat = read_beat(path)
        if beat is not None and beat[1] >= 3:
            return beat[0]
        time.sleep(0.05)
    raise AssertionError(f"no heartbeat in {path} after {deadline} s")


def wait_for_process_end(pid: int, deadline: float = DEADLINE) -> None:
    """Poll until process ``pid`` is gone."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still runs {deadline} s after the cancel")


def wait_for_heartbeat_stop(path: Path, deadline: float = DEADLINE) -> tuple[int, int]:
    """Poll until the heartbeat no longer moves (two reads 1 s apart agree); the last beat."""
    end = time.monotonic() + deadline
    last = read_beat(path)
    while time.monotonic() < end:
        time.sleep(1.0)
        beat = read_beat(path)
        if beat is not None and beat == last:
            return beat
        last = beat
    raise AssertionError(f"the heartbeat in {path} still beats {deadline} s after the cancel")

"""seamless-remote's service modules are seamless-config hooks, found through entry points."""

from __future__ import annotations

import json
import subprocess
import sys


def test_entry_points_provide_the_service_modules() -> None:
    """In a fresh process: seamless_config finds each service without seamless_remote having
    been imported (the one allowed way upward)."""
    code = (
        "import json, sys\n"
        "from seamless_config.hooks import find_hook\n"
        "before = 'seamless_remote' in sys.modules\n"
        "names = {n: find_hook(n).__name__ for n in "
        "('buffer', 'database', 'daskserver', 'jobserver')}\n"
        "print(json.dumps([before, names]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    before, names = json.loads(out.stdout)
    assert before is False
    assert names == {
        "buffer": "seamless_remote.buffer_remote",
        "database": "seamless_remote.database_remote",
        "daskserver": "seamless_remote.daskserver_remote",
        "jobserver": "seamless_remote.jobserver_remote",
    }

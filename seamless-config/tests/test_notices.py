"""Notices (the Dask dashboard link): on stderr by default, through the application's own
logging handlers (and only those) once it configured logging. Each scenario runs in a fresh
interpreter, since pytest itself configures logging."""

from __future__ import annotations

import subprocess
import sys

import pytest

_DEFAULT = """
from seamless_config.notices import notice
notice("Dask dashboard: %s", "http://127.0.0.1:1")
"""

_CONFIGURED = """
import logging, sys
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="APP %(name)s %(message)s")
from seamless_config.notices import notice
notice("Dask dashboard: %s", "http://127.0.0.1:1")
"""

_CONFIGURED_LATER = """
import logging, sys
from seamless_config.notices import notice
notice("first %s", 1)
logging.getLogger().addHandler(logging.StreamHandler(sys.stdout))
notice("second %s", 2)
"""

_SILENCED = """
import logging
logging.getLogger("seamless_config.notices").setLevel(logging.WARNING)
from seamless_config.notices import notice
notice("Dask dashboard: %s", "http://127.0.0.1:1")
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.timeout(120)
def test_a_notice_reaches_stderr_when_logging_is_not_configured() -> None:
    proc = _run(_DEFAULT)
    assert proc.stderr == "Dask dashboard: http://127.0.0.1:1\n"
    assert proc.stdout == ""


@pytest.mark.timeout(120)
def test_a_configured_application_gets_the_notice_once_through_its_handlers() -> None:
    proc = _run(_CONFIGURED)
    assert proc.stdout == "APP seamless_config.notices Dask dashboard: http://127.0.0.1:1\n"
    assert proc.stderr == ""  # not a second copy


@pytest.mark.timeout(120)
def test_the_default_handler_steps_aside_once_logging_is_configured() -> None:
    proc = _run(_CONFIGURED_LATER)
    assert proc.stderr == "first 1\n"
    assert proc.stdout == "second 2\n"


@pytest.mark.timeout(120)
def test_notices_can_be_silenced_by_level() -> None:
    proc = _run(_SILENCED)
    assert (proc.stdout, proc.stderr) == ("", "")

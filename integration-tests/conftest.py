"""Session fixtures of the integration tests: the wheelhouse, the Docker engine and the images.

The images are built once per session and reused across runs while their inputs are unchanged
(see container_images.py). No engine means a loud failure of every container test, never a
skip. At the end, the wall time of each container scenario and of each image build is printed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

import container_images
from package_facts import build_wheels, our_version

_DURATIONS: dict[str, float] = {}


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of all five packages, built from the working tree."""
    return build_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A Docker engine that answers; otherwise every container test errors out, naming the fix."""
    try:
        container_images.check_engine()
    except container_images.EngineError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    """The debootstrapped Debian image (python3 only)."""
    return container_images.base_image()


@pytest.fixture(scope="session")
def stack_image(base_image: str, wheelhouse: Path) -> str:
    """``base_image`` + every package of this repository in /venv (on PATH)."""
    return container_images.stack_image(base_image, wheelhouse, our_version())


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A uv cache shared by the clean containers of one session (downloads happen once)."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def host_dir(tmp_path: Path) -> Iterator[Path]:
    """A per-test directory to mount into containers; files the containers (root) wrote in it
    are made removable again afterwards."""
    yield tmp_path
    for root, dirs, files in os.walk(tmp_path):
        for name in dirs + files:
            try:
                os.chmod(os.path.join(root, name), 0o777)
            except OSError:
                pass


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "test_containers" in report.nodeid:
        _DURATIONS[report.nodeid] = _DURATIONS.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _DURATIONS and not container_images.BUILD_TIMES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("container scenarios: wall time")
    for name, seconds in container_images.BUILD_TIMES.items():
        state = "reused" if seconds == 0.0 else f"built in {seconds:.1f} s"
        write(f"image {name}: {state}")
    for nodeid, seconds in _DURATIONS.items():
        write(f"{seconds:7.1f} s  {nodeid}")
    write(f"(reported at {time.strftime('%H:%M:%S')})")

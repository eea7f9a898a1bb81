"""Running containers for the integration tests with testcontainers: host networking only,
no Ryuk (it would need a registry pull), everything stopped by the test that started it."""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

from testcontainers.core.container import DockerContainer

LOOPBACK = "127.0.0.1"
SCRIPTS = Path(__file__).with_name("container_scripts")


def container(
    image: str,
    command: str | Sequence[str],
    *,
    volumes: Mapping[str | os.PathLike[str], str] = (),  # type: ignore[assignment]
    env: Mapping[str, str] = (),  # type: ignore[assignment]
    name: str | None = None,
    **kwargs: Any,
) -> DockerContainer:
    """A not-yet-started container with host networking. ``volumes`` maps host paths to
    ``/container/path`` or ``/container/path:ro``; the test scripts are always at /scripts."""
    if isinstance(command, str):
        command = ["bash", "-c", command]
    c = (
        DockerContainer(image)
        .with_command(list(command))
        .with_kwargs(network_mode="host", **kwargs)
    )
    c = c.with_volume_mapping(str(SCRIPTS), "/scripts", "ro")
    for host, target in dict(volumes).items():
        path, _, mode = target.partition(":")
        c = c.with_volume_mapping(str(host), path, mode or "rw")
    for key, value in dict(env).items():
        c = c.with_env(key, value)
    if name:
        c = c.with_name(name)
    return c


def logs(c: DockerContainer) -> str:
    """stdout + stderr of the container so far."""
    out, err = c.get_logs()
    return out.decode(errors="replace") + err.decode(errors="replace")


def run_to_end(c: DockerContainer, timeout: float) -> tuple[int, str]:
    """Start, wait for the command to finish (at most ``timeout`` s), remove; exit code + logs."""
    c.start()
    try:
        try:
            status = c.get_wrapped_container().wait(timeout=timeout)
        except Exception as exc:  # requests' ReadTimeout / ConnectionError from docker-py
            raise AssertionError(
                f"the container did not finish within {timeout} s ({exc!r}):\n{logs(c)[-6000:]}"
            ) from None
        return int(status["StatusCode"]), logs(c)
    finally:
        c.stop()


def result_line(text: str) -> dict[str, Any]:
    """The JSON of the last ``RESULT {...}`` line a container script printed."""
    lines = [ln for ln in text.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise AssertionError(f"the container printed no RESULT line:\n{text[-6000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def wait_http(url: str, c: DockerContainer, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200, failing early (with the logs) if the container died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        c.reload()
        if c.status in ("exited", "dead"):
            break
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{logs(c)[-4000:]}")


def wait_log(c: DockerContainer, text: str, timeout: float = 60) -> None:
    """Wait until the container's output contains ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in logs(c):
            return
        c.reload()
        if c.status in ("exited", "dead"):
            break
        time.sleep(0.2)
    raise AssertionError(
        f"{text!r} not in the container output after {timeout} s:\n{logs(c)[-4000:]}"
    )


@contextlib.contextmanager
def running(c: DockerContainer) -> Iterator[DockerContainer]:
    """Start ``c`` for the ``with`` block; stop and remove it afterwards."""
    c.start()
    try:
        yield c
    finally:
        with contextlib.suppress(Exception):
            c.stop()

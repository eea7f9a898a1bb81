"""Old ``seamless-it/*`` tags are removed once a run has its current tag, unless in use
(a running container, a live run's lease, a recent build); on the real engine, with small
images built on the base image under a repository name of this test."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import container_images
import image_pruning
import pytest


def _build(base: str, tag: str) -> None:
    dockerfile = f"FROM {base}\nLABEL seamless-it-prune-test={tag}\n"
    container_images.docker("build", "-q", "-t", tag, "-", input=dockerfile.encode())


def _tags(repository: str) -> set[str]:
    out = container_images.docker("images", "--format", "{{.Repository}}:{{.Tag}}", repository)
    return set(out.split())


@pytest.mark.timeout(600)
def test_old_tags_go_unless_a_container_a_live_run_or_their_age_keeps_them(
    base_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEAMLESS_IT_LEASES", str(tmp_path / "leases"))
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")  # the legacy builder: no buildx here
    repository = f"seamless-it/prune-test-{uuid.uuid4().hex[:8]}"
    running, leased, unused, current = (
        f"{repository}:{name}" for name in ("running", "leased", "unused", "current")
    )
    holder = subprocess.Popen(["sleep", "300"])
    container = None
    try:
        for tag in (running, leased, unused, current):
            _build(base_image, tag)
        container = container_images.docker(
            "run", "-d", "--rm", "--network", "host", running, "sleep", "300"
        ).strip()
        image_pruning.hold(leased, holder.pid)
        image_pruning.hold(current)  # this run's own tag (never removed anyway)
        assert image_pruning.holders(leased) == [holder.pid]

        # tags younger than the minimum age stay (runs of older code take no leases)
        assert image_pruning.prune_older(current) == []
        assert _tags(repository) == {running, leased, unused, current}

        assert image_pruning.prune_older(current, min_age=0) == [unused]
        assert _tags(repository) == {running, leased, current}

        holder.kill()  # the run holding the lease dies without releasing it
        holder.wait()
        assert image_pruning.holders(leased) == []
        assert image_pruning.prune_older(current, min_age=0) == [leased]

        container_images.docker("rm", "-f", container)
        container = None
        assert image_pruning.prune_older(current, min_age=0) == [running]
        assert _tags(repository) == {current}
        assert image_pruning.holders(current) == [os.getpid()]
    finally:
        holder.kill()
        holder.wait()
        if container is not None:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
        for tag in _tags(repository):
            subprocess.run(["docker", "rmi", tag], capture_output=True, check=False)

"""Local Docker images for the containerized integration tests, built without any registry.

- ``base``: a minimal Debian (the machine's own release) made with ``debootstrap`` from the
  mirror in the machine's apt sources, turned into an image with ``docker import``. Its tag is a
  hash of what goes in (release, package list), so it is built once and reused by later runs.
- ``stack``: ``base`` plus ``uv``, the host's CA bundle, and this repository's wheels installed
  in ``/venv``, pinned to our version. Tagged by a hash of the Dockerfile, the base tag and the
  wheel contents (hatchling wheels are reproducible), so an unchanged tree reuses the image.
- ``slurm``: ``stack`` plus Debian's ``slurm-wlm`` and ``munge`` (issue 21).

Every container runs with host networking; no Docker network is ever created.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import image_pruning

logger = logging.getLogger(__name__)

PREFIX = "seamless-it"
BASE_PACKAGES = ("python3", "ca-certificates", "procps")
#: bump to rebuild the base image when the recipe below changes
BASE_RECIPE = "1"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

#: seconds spent building each image in this process (0.0 = reused); reported by the tests
BUILD_TIMES: dict[str, float] = {}


class EngineError(RuntimeError):
    """No usable Docker engine: the containerized tests cannot run (never a skip)."""


def docker(*args: str, timeout: float = 600, input: bytes | None = None) -> str:
    """Run the docker CLI; raise with its stderr on failure."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, timeout=timeout, input=input, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"docker {' '.join(args[:3])} ... failed ({done.returncode}):\n"
            f"{done.stderr.decode(errors='replace')[-3000:]}"
        )
    return done.stdout.decode(errors="replace")


def _checked(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> None:
    """Run ``argv``; raise with the tail of its output if it fails."""
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:3])} ... failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )


def check_engine() -> None:
    """Raise :class:`EngineError` unless ``docker info`` answers."""
    if shutil.which("docker") is None:
        raise EngineError("no docker client on PATH: run `bash tools/docker-engine.sh start`")
    done = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise EngineError(
            "the Docker engine does not answer (`docker info` failed). Start it with "
            "`bash tools/docker-engine.sh start` (.ci/run does this):\n" + done.stderr[-2000:]
        )


def image_exists(tag: str) -> bool:
    done = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    return done.returncode == 0


def debian_release() -> str:
    """The machine's Debian codename (``/etc/os-release``)."""
    text = Path("/etc/os-release").read_text()
    found = re.search(r"^VERSION_CODENAME=\"?([a-z]+)\"?$", text, re.M)
    if not found:
        raise RuntimeError("/etc/os-release names no VERSION_CODENAME: not a Debian machine?")
    return found.group(1)


def debian_mirror(release: str) -> str:
    """The Debian mirror URI that this machine's apt sources use for ``release`` (read at run
    time, never written into the repository)."""
    candidates: list[str] = []
    sources = Path("/etc/apt/sources.list.d")
    for path in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(
                (key.strip().lower(), value.strip())
                for key, _, value in (
                    line.partition(":")
                    for line in stanza.splitlines()
                    if line and not line.startswith("#") and ":" in line
                )
            )
            if (
                release in fields.get("suites", "").split()
                and "main" in fields.get("components", "").split()
            ):
                candidates += fields.get("uris", "").split()
    legacy = [Path("/etc/apt/sources.list")]
    legacy += sorted(sources.glob("*.list")) if sources.is_dir() else []
    for path in legacy:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            parts = re.sub(r"\[[^]]*\]", "", line).split()
            if len(parts) >= 4 and parts[0] == "deb" and parts[2] == release:
                candidates.append(parts[1])
    if not candidates:
        raise RuntimeError(
            f"no apt source for Debian {release!r} main in /etc/apt/sources.list(.d): "
            "debootstrap needs the machine's mirror"
        )
    return candidates[0]


def _digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def base_image() -> str:
    """The Debian base image, made with debootstrap + ``docker import`` unless it exists."""
    release = debian_release()
    key = _digest([release.encode(), " ".join(BASE_PACKAGES).encode(), BASE_RECIPE.encode()])
    tag = f"{PREFIX}/base:{release}-{key}"
    image_pruning.hold(tag)
    if image_exists(tag):
        BUILD_TIMES.setdefault("base", 0.0)
        image_pruning.prune_older(tag)
        return tag
    if shutil.which("debootstrap") is None:
        raise EngineError("debootstrap is missing: run `bash tools/docker-engine.sh start`")
    start = time.monotonic()
    mirror = debian_mirror(release)
    with tempfile.TemporaryDirectory(prefix="seamless-it-rootfs-") as tmp:
        root = Path(tmp) / "root"
        _checked(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                release,
                str(root),
                mirror,
            ],
            timeout=1200,
        )
        # the image does not need apt's downloaded packages or docs
        for junk in ("var/cache/apt/archives", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(root / junk, ignore_errors=True)
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        imported = subprocess.run(
            [
                "docker",
                "import",
                "-c",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "-c",
                "ENV LANG=C.UTF-8",
                "-",
                tag,
            ],
            stdin=tar.stdout,
            capture_output=True,
            timeout=600,
            check=False,
        )
        tar.stdout.close()
        tar.wait()
        if imported.returncode != 0:
            raise RuntimeError(f"docker import failed:\n{imported.stderr.decode()[-2000:]}")
    BUILD_TIMES["base"] = time.monotonic() - start
    logger.info("built %s in %.1f s", tag, BUILD_TIMES["base"])
    image_pruning.prune_older(tag)
    return tag


def uv_binary() -> Path:
    """The ``uv`` executable of the test environment (copied into the images)."""
    found = shutil.which("uv") or str(Path(os.sys.executable).with_name("uv"))
    if not Path(found).exists():
        raise RuntimeError("uv is required: add it to the integration env deps")
    return Path(found).resolve()


def _build(name: str, dockerfile: str, files: dict[str, Path], extra_key: Iterable[bytes]) -> str:
    """``docker build`` (legacy builder, host network) of a context holding ``files``; the tag
    is a hash of the Dockerfile, the files' contents and ``extra_key``."""
    parts = [dockerfile.encode(), *extra_key]
    for target, source in sorted(files.items()):
        parts.append(target.encode())
        if source.is_dir():
            for item in sorted(source.iterdir()):
                parts += [item.name.encode(), item.read_bytes()]
        else:
            parts.append(source.read_bytes())
    tag = f"{PREFIX}/{name}:{_digest(parts)}"
    image_pruning.hold(tag)
    if image_exists(tag):
        BUILD_TIMES.setdefault(name, 0.0)
        image_pruning.prune_older(tag)
        return tag
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"seamless-it-{name}-") as tmp:
        context = Path(tmp)
        for target, source in files.items():
            if source.is_dir():
                shutil.copytree(source, context / target)
            else:
                shutil.copy2(source, context / target)
        (context / "Dockerfile").write_text(dockerfile)
        _checked(
            ["docker", "build", "--network", "host", "-q", "-t", tag, str(context)],
            timeout=1800,
            env=dict(os.environ, DOCKER_BUILDKIT="0"),  # the legacy builder: no buildx here
        )
    BUILD_TIMES[name] = time.monotonic() - start
    logger.info("built %s in %.1f s", tag, BUILD_TIMES[name])
    image_pruning.prune_older(tag)
    return tag


STACK_DOCKERFILE = """\
FROM {base}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY uv /usr/local/bin/uv
COPY wheels /wheels
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_LINK_MODE=copy \\
    UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1
RUN uv venv --quiet --python /usr/bin/python3 /venv \\
 && uv pip install --quiet --python /venv/bin/python --find-links /wheels \\
    "seamless-dask[remote,hpc]=={version}" "seamless-jobserver=={version}"
ENV PATH=/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"""


def stack_image(base: str, wheelhouse: Path, version: str) -> str:
    """``base`` + this repository's wheels (pinned to ``version``) installed in ``/venv``."""
    dockerfile = STACK_DOCKERFILE.format(base=base, version=version)
    files = {"ca-certificates.crt": CA_BUNDLE, "uv": uv_binary(), "wheels": wheelhouse}
    return _build("stack", dockerfile, files, [])


def image_size_mb(tag: str) -> float:
    """The image's size in MB (as ``docker image inspect`` reports it)."""
    return json.loads(docker("image", "inspect", tag))[0]["Size"] / 1e6


SLURM_DOCKERFILE = """\
FROM {stack}
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
    slurm-wlm munge > /dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /usr/share/doc /usr/share/man
# the munge key is made here, at image build: every container of the image shares it
RUN dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none \\
 && chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key \\
 && mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm \\
 && chown munge:munge /run/munge
"""


def slurm_image(stack: str) -> str:
    """``stack`` + Debian's slurm-wlm and munge, with a munge key (issue 21)."""
    return _build("slurm", SLURM_DOCKERFILE.format(stack=stack), {}, [])

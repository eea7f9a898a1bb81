"""Scenario 1: each package alone in a clean container (debootstrapped Debian + python3 only).

Inside the container, uv installs the package from this repository's wheels (pinned to our
version; its declared dependencies come from PyPI) into a fresh /venv; then the import must not
load any higher layer and every console script must answer --help. Last,
``seamless-dask[remote]==<our version>`` alone must give a working persistent stack.
"""

from __future__ import annotations

from pathlib import Path

import container_images
import pytest
from container_run import container, result_line, run_to_end
from package_facts import ALL_PACKAGES, CONSOLE_SCRIPTS, FORBIDDEN_ON_IMPORT, our_version

INSTALL = (
    "uv venv --quiet --python /usr/bin/python3 /venv && "
    "uv pip install --quiet --python /venv/bin/python --find-links /wheels {requirement}"
)


def _clean(base_image: str, wheelhouse: Path, uv_cache: Path, command: str, **kw: object):
    """A container from the bare base image with the wheels, uv and the CA bundle mounted."""
    volumes = {
        wheelhouse: "/wheels:ro",
        container_images.uv_binary(): "/usr/local/bin/uv:ro",
        container_images.CA_BUNDLE: "/etc/ssl/certs/ca-certificates.crt:ro",
        uv_cache: "/uv-cache",
        **kw.pop("volumes", {}),  # type: ignore[dict-item]
    }
    env = {
        "UV_CACHE_DIR": "/uv-cache",
        "UV_LINK_MODE": "copy",
        "UV_PYTHON_DOWNLOADS": "never",
        "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
    }
    return container(base_image, command, volumes=volumes, env=env)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("package", ALL_PACKAGES)
def test_package_alone_in_a_clean_container(
    package: str, base_image: str, wheelhouse: Path, uv_cache: Path
) -> None:
    module = package.replace("-", "_")
    requirement = f'"{package}=={our_version(package)}"'
    scripts = " ".join(CONSOLE_SCRIPTS[package])
    command = (
        INSTALL.format(requirement=requirement)
        + f" && /venv/bin/python /scripts/hygiene_probe.py {module} {scripts}"
    )
    code, output = run_to_end(_clean(base_image, wheelhouse, uv_cache, command), timeout=600)
    assert code == 0, f"{package} in a clean container (exit {code}):\n{output[-6000:]}"
    result = result_line(output)
    assert module in result["loaded"]
    leaked = [name for name in FORBIDDEN_ON_IMPORT[module] if name in result["loaded"]]
    assert not leaked, f"import {module} also imported {leaked}"
    assert sorted(result["scripts"]) == sorted(CONSOLE_SCRIPTS[package])
    for script, shown in result["scripts"].items():
        assert shown["exists"], f"{package} does not install the console script {script}"
        assert shown["code"] == 0 and shown["usage"], f"{script} --help: {shown}"


@pytest.mark.timeout(900)
def test_seamless_dask_remote_alone_is_a_working_persistent_stack(
    base_image: str, wheelhouse: Path, uv_cache: Path, host_dir: Path
) -> None:
    requirement = f'"seamless-dask[remote]=={our_version()}"'
    run_twice = (
        "export HOME=/tmp/home SEAMLESS_CACHE=/tmp/cache PATH=/venv/bin:$PATH && mkdir -p $HOME && "
        "timeout 150 /venv/bin/python /scripts/persistent_stack.py /out/marker && "
        "timeout 150 /venv/bin/python /scripts/persistent_stack.py /out/marker"
    )
    command = INSTALL.format(requirement=requirement) + " && " + run_twice
    c = _clean(base_image, wheelhouse, uv_cache, command, volumes={host_dir: "/out"})
    code, output = run_to_end(c, timeout=300)
    assert code == 0, f"the persistent stack failed (exit {code}):\n{output[-6000:]}"
    runs = [line for line in output.splitlines() if line.startswith("RESULT ")]  # one per process
    assert len(runs) == 2, output[-6000:]
    first, second = result_line(runs[0]), result_line(runs[1])
    assert first["value"] == second["value"] == 42
    assert first["checksum"] == second["checksum"]
    assert first["result_checksum"] == second["result_checksum"]
    # executed by the first process only: the second found the result in the launched database
    assert (host_dir / "marker").read_text().splitlines() == ["executed"]

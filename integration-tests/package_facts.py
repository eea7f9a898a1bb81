"""What the integration tests know about the packages: names, import rules, console scripts,
the wheelhouse they are built into. Shared by the venv tests and the container tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = [
    "seamless-config",
    "seamless-remote",
    "seamless-transformer",
    "seamless-dask",
    "seamless-jobserver",
]
ALL_PACKAGES = PACKAGES

# Modules that importing each package must NOT load (docs/architecture.md, "Packages and layers").
FORBIDDEN_ON_IMPORT = {
    "seamless_config": [
        "seamless",
        "seamless_remote",
        "seamless_transformer",
        "seamless_dask",
        "seamless_jobserver",
    ],
    "seamless_remote": ["seamless_transformer", "seamless_dask", "seamless_jobserver"],
    "seamless_transformer": ["seamless_dask", "seamless_jobserver"],
    "seamless_dask": ["seamless_jobserver"],
    "seamless_jobserver": ["seamless_dask"],
}

CONSOLE_SCRIPTS = {
    "seamless-config": ["seamless-init", "seamless-service-resolve"],
    "seamless-remote": ["seamless-resolve"],
    "seamless-transformer": ["seamless-run", "seamless-upload", "seamless-download"],
    "seamless-dask": ["seamless-dask-wrapper"],
    "seamless-jobserver": ["seamless-jobserver"],
}


def uv() -> str:
    """The uv executable of the test environment."""
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        raise RuntimeError("uv is required for the packaging tests: add it to the integration deps")
    return found


def our_version(package: str = "seamless-dask") -> str:
    """The version in ``package``'s pyproject.toml (all five share it)."""
    return tomllib.loads((REPO / package / "pyproject.toml").read_text())["project"]["version"]


def build_wheels(out: Path) -> Path:
    """Wheels of all five packages, built from the working tree into ``out``."""
    for folder in ALL_PACKAGES:
        subprocess.run(
            [uv(), "build", "--wheel", "--quiet", "--out-dir", str(out), str(REPO / folder)],
            check=True,
        )
    return out

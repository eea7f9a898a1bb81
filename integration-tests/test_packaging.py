"""Each package, built as a wheel and installed alone into a fresh virtual environment.

This catches what editable installs hide: undeclared dependencies, missing package data
(tools.yaml, py.typed), console scripts that point nowhere, and imports that pull in more
than the import direction of docs/architecture.md allows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from package_facts import CONSOLE_SCRIPTS, FORBIDDEN_ON_IMPORT, PACKAGES, REPO, our_version, uv

_uv = uv


def _pinned(package: str) -> str:
    """`package==<our version>`: our .dev versions are pre-releases, so an unpinned name
    would resolve to the older Seamless 1.x release of the same name on PyPI."""
    return f"{package}=={our_version(package)}"


def _fresh_env(root: Path, wheelhouse: Path, *requirements: str) -> Path:
    venv = root / "venv"
    subprocess.run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            _uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "--find-links",
            str(wheelhouse),
            *requirements,
        ],
        check=True,
    )
    return python


@pytest.mark.timeout(900)
@pytest.mark.parametrize("package", PACKAGES)
def test_wheel_installs_alone_and_imports_cleanly(
    package: str, wheelhouse: Path, tmp_path: Path
) -> None:
    module = package.replace("-", "_")
    python = _fresh_env(tmp_path, wheelhouse, _pinned(package))
    probe = (
        "import json, sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, f"import {module} failed in a fresh venv:\n{done.stderr}"
    loaded = set(json.loads(done.stdout))
    leaked = [name for name in FORBIDDEN_ON_IMPORT[module] if name in loaded]
    assert not leaked, f"import {module} also imported {leaked}"
    for script in CONSOLE_SCRIPTS[package]:
        exe = python.parent / script
        assert exe.exists(), f"{package} does not install the console script {script}"
        shown = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
        assert shown.returncode == 0, f"{script} --help failed:\n{shown.stderr}"
        assert "usage" in shown.stdout.lower()


README_EXAMPLE = """
import seamless_config

seamless_config.init()
from seamless.transformer import direct


@direct
def add(a, b):
    return a + b


print(add(19, 23))  # computed once; every later run, in any process, is a cache hit
"""


def _readme_example() -> str:
    """The zero-configuration example of the README, as the README shows it."""
    text = (REPO / "README.md").read_text()
    start = text.index("```python\nimport seamless_config\n")
    body = text[start + len("```python\n") :]
    return body[: body.index("```")]


@pytest.mark.timeout(900)
def test_readme_example_with_the_venv_python_and_no_venv_on_path(
    wheelhouse: Path, tmp_path: Path
) -> None:
    """`venv/bin/python example.py` without activating the venv (its bin/ is not on PATH)."""
    from seamless_testing.servers import stop_launched_services

    example = _readme_example()
    assert example.strip() == README_EXAMPLE.strip(), "the README example changed: update this test"
    python = _fresh_env(
        tmp_path,
        wheelhouse,
        _pinned("seamless-transformer"),
        "hashserver>=1.1",
        "seamless-database>=2.1",
        "aiofiles>=23",
    )
    script = tmp_path / "example.py"
    script.write_text(example)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "SEAMLESS_CACHE": str(tmp_path / "cache"),
    }
    assert shutil.which("rhl-inspect", path=env["PATH"]) is None
    try:
        for _ in range(2):  # computed, then a cache hit from the launched services
            done = subprocess.run(
                [str(python), str(script)],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                cwd=tmp_path,
            )
            assert done.returncode == 0, done.stderr[-4000:]
            assert done.stdout.strip().splitlines()[-1] == "42"
        states = list((home / ".remote-http-launcher" / "server").glob("*.json"))
        assert len(states) == 2
        assert oct((tmp_path / "cache").stat().st_mode & 0o777) == "0o700"
        assert oct((home / ".remote-http-launcher").stat().st_mode & 0o777) == "0o700"
    finally:
        stop_launched_services(home)

"""import seamless_config, loading config files and pure-Dask activation import no sibling package."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

FORBIDDEN = ("seamless", "seamless_remote", "seamless_transformer", "seamless_dask")


def run_fresh(code: str, home: Path) -> dict:
    """Run ``code`` in a fresh interpreter; it must print a JSON line last."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOADED = f"""
import json, sys
print(json.dumps(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))
"""


def test_import_loads_no_sibling(tmp_path: Path) -> None:
    loaded = run_fresh("import seamless_config\n" + LOADED, tmp_path)
    assert loaded == []


def test_every_public_module_imports_clean(tmp_path: Path) -> None:
    code = """
    import seamless_config, seamless_config.select, seamless_config.tools, seamless_config.cluster
    import seamless_config.config_files, seamless_config.pure_daskserver, seamless_config.extern_clients
    import seamless_config.cli.init, seamless_config.cli.service_resolve
    """
    loaded = run_fresh(textwrap.dedent(code) + LOADED, tmp_path)
    assert loaded == []


def test_pure_dask_set_stage_imports_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = tmp_path / "project"
    (home / ".seamless").mkdir(parents=True)
    project.mkdir()
    cluster = {
        "type": "local",
        "workers": 2,
        "frontends": [
            {
                "daskserver": {
                    "network_interface": "127.0.0.1",
                    "port_start": 40000,
                    "port_end": 40100,
                }
            }
        ],
        "default_queue": "q",
        "queues": {
            "q": {
                "walltime": "01:00:00",
                "memory": "1GB",
                "unknown_task_duration": "1m",
                "target_duration": "5m",
                "maximum_jobs": 1,
            }
        },
    }
    (home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump({"lab": cluster}))
    (project / "seamless.yaml").write_text(
        yaml.safe_dump(
            [
                {"project": "p"},
                {"stage scan": [{"cluster": "lab"}, {"persistent": False}]},
            ]
        )
    )
    code = f"""
    import warnings
    warnings.simplefilter("ignore")
    import seamless_config
    from seamless_config import pure_daskserver, select
    pure_daskserver.DISABLED = True
    seamless_config.set_workdir({str(project)!r})
    seamless_config.set_stage("scan")
    assert select.is_pure_dask_mode() and pure_daskserver.is_active()
    assert select.pure_dask_reason() is not None
    seamless_config.set_stage(None)
    assert not pure_daskserver.is_active()
    """
    loaded = run_fresh(textwrap.dedent(code) + LOADED, home)
    assert loaded == []


def test_loading_config_files_imports_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "seamless.yaml").write_text(
        "- project: p\n- execution: process\n- persistent: false\n"
    )
    code = f"""
    import seamless_config
    from seamless_config import config_files, select
    seamless_config.set_workdir({str(project)!r})
    config_files.load_config_files()
    assert select.get_selected_project() == "p"
    """
    loaded = run_fresh(textwrap.dedent(code) + LOADED, tmp_path)
    assert loaded == []

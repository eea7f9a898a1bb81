"""Hostile cluster values on their way into SLURM / OAR job scripts: refused or inert.

The cluster definition is read by seamless-config, turned into the daskserver launch dict,
then into the wrapper configuration and the dask-jobqueue job script, exactly as a launch
does. The script is then *run by bash* (with a stub ``python`` that records its arguments):
no command substitution may run, and the script's own variables still expand.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from seamless_dask.wrapper_config import build_wrapper_configuration, shell_word

QUEUE = {
    "walltime": "01:00:00",
    "cores": 2,
    "memory": "2GiB",
    "unknown_task_duration": "1m",
    "target_duration": "5m",
    "maximum_jobs": 1,
}


def _cluster(kind: str, **queue: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "type": kind,
        "frontends": [
            {"hostname": "login", "daskserver": {"port_start": 40000, "port_end": 40099}}
        ],
        "default_queue": "q",
        "queues": {"q": {**QUEUE, **queue}},
    }
    if kind == "oar":
        definition["memory_per_core_property_name"] = "memcore"
    return {"hpc": definition}


def _load(home: Path, monkeypatch: pytest.MonkeyPatch, clusters: dict[str, Any]) -> Path:
    import seamless_config
    from seamless_config import config_files

    monkeypatch.setenv("HOME", str(home))
    path = home / ".seamless" / "clusters.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(clusters))
    seamless_config.reset()
    config_files.load_cluster_files()
    return path


def _job_script(kind: str) -> str:
    from seamless_config import tools

    conf = tools.configure_daskserver(cluster="hpc", project="p")
    cluster_string = conf["cluster_string"]
    config = build_wrapper_configuration(
        cluster_string=cluster_string,
        parameters=conf["file_parameters"],
        host="127.0.0.1",
        port_range=(40000, 40099),
    )
    kwargs = config.jobqueue_cluster_kwargs(scheduler_port=40001, dashboard_port=40002)
    kwargs.pop("scheduler_options")
    if kind == "slurm":
        from dask_jobqueue.slurm import SLURMJob as Job
    else:
        from dask_jobqueue.oar import OARJob as Job
    return Job(scheduler="tcp://127.0.0.1:40001", name="w", **kwargs).job_script()


def _run_script(script: str, tmp_path: Path) -> list[str]:
    """Run the job script with bash, as the batch system would; the argv of the worker command."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "argv.json"
    stub = bindir / "python"
    stub.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"json.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n"
    )
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    workdir = tmp_path / "job"
    workdir.mkdir()
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "SLURM_JOB_CPUS_PER_NODE": "2"}
    env["JOBVAR"] = "expanded"
    done = subprocess.run(
        ["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert list(workdir.iterdir()) == [], "the job script created files"
    return json.loads(record.read_text())


HOSTILE_INERT = {
    "tmpdir": "/tmp/x$(touch MARKER1)`touch MARKER2`'\"a b$JOBVAR",
    "partition": "gpu$(touch MARKER3)",
    "project": "acct`touch MARKER4`",
    "job_extra_directives": ["--comment=$(touch MARKER5)"],
    "dask_resources": {"GPU": 1},
}


@pytest.mark.parametrize("kind", ["slurm", "oar"])
def test_hostile_job_script_values_are_inert(kind, tmp_path, monkeypatch) -> None:
    _load(tmp_path / "home", monkeypatch, _cluster(kind, **HOSTILE_INERT))
    script = _job_script(kind)
    argv = _run_script(script, tmp_path)
    # the tmpdir arrives as one argument; only the variable expanded
    local_directory = argv[argv.index("--local-directory") + 1]
    assert local_directory == "/tmp/x$(touch MARKER1)`touch MARKER2`'\"a bexpanded"
    assert argv.count("--nthreads") == 1 and argv.count("--name") == 1
    assert any(a.startswith("--resources=") and "GPU=1" in a for a in argv)
    assert not list(tmp_path.rglob("MARKER*"))


@pytest.mark.parametrize(
    ("queue", "field"),
    [
        ({"tmpdir": "/tmp\ntouch MARKER"}, "tmpdir"),
        ({"partition": "gpu\ntouch MARKER"}, "partition"),
        ({"job_extra_directives": ["--x\ntouch MARKER"]}, "job_extra_directives"),
        ({"extra_dask_config": {"distributed.worker.$(touch MARKER)": "1"}}, "extra_dask_config"),
        ({"dask_resources": {"GPU$(touch MARKER)": 1}}, "dask_resources"),
    ],
)
def test_unsafe_job_script_values_are_refused_naming_file_and_field(
    queue, field, tmp_path, monkeypatch
) -> None:
    from seamless_config.errors import ClusterDefinitionError

    with pytest.raises(ClusterDefinitionError) as info:
        _load(tmp_path / "home", monkeypatch, _cluster("slurm", **queue))
    message = str(info.value)
    assert "clusters.yaml" in message and "cluster 'hpc'.queues.q" in message
    assert field in message
    assert not list(tmp_path.rglob("MARKER*"))


def test_the_wrapper_refuses_unsafe_values_it_receives_directly() -> None:
    from seamless_dask.errors import WrapperConfigError

    base = {**QUEUE, "tmpdir": "/tmp"}
    with pytest.raises(WrapperConfigError, match="tmpdir"):
        build_wrapper_configuration(
            cluster_string="dask_jobqueue::SLURMCluster",
            parameters={**base, "tmpdir": "/tmp\nrm -rf x"},
            port_range=(40000, 40099),
        )
    with pytest.raises(WrapperConfigError, match="extra_dask_config"):
        build_wrapper_configuration(
            cluster_string="dask_jobqueue::SLURMCluster",
            parameters={**base, "extra_dask_config": {"distributed.worker.$(x)": 1}},
            port_range=(40000, 40099),
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/scratch/me", "/scratch/me"),
        ("$TMPDIR/dask", '"$TMPDIR/dask"'),
        ("${TMPDIR}/x", '"${TMPDIR}/x"'),
        ("a$(b)", '"a\\$(b)"'),
        ("a`b`", '"a\\`b\\`"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("a b", '"a b"'),
        ("cost$5", '"cost\\$5"'),
    ],
)
def test_shell_word(text: str, expected: str) -> None:
    assert shell_word(text) == expected
    echoed = subprocess.run(
        ["bash", "-c", f"printf %s {shell_word(text)}"],
        capture_output=True,
        text=True,
        env={"TMPDIR": "/T", "PATH": os.environ["PATH"]},
    ).stdout
    assert echoed == text.replace("$TMPDIR", "/T").replace("${TMPDIR}", "/T")

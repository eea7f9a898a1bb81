"""build_wrapper_configuration: threads/processes in Seamless and pure-Dask modes, jobqueue scripts."""

import pytest

from seamless_dask.errors import WrapperConfigError
from seamless_dask.wrapper_config import build_wrapper_configuration

BASE = {"walltime": "01:00:00", "memory": "2GiB", "maximum_jobs": 1}


def build(params: dict, cluster: str = "distributed::LocalCluster"):
    return build_wrapper_configuration(
        cluster_string=cluster, parameters=params, host="127.0.0.1", port_range=(40000, 40099)
    )


def test_seamless_defaults() -> None:
    cfg = build({**BASE, "cores": 2})
    assert (cfg.processes, cfg.worker_threads, cfg.seamless_workers) == (1, 6, 2)
    assert cfg.worker_resources == {"S": 2.0}
    assert cfg.env_exports["SEAMLESS_WORKER_TRANSFORMATION_THROTTLE"] == "3"
    assert cfg.dask_config["distributed.worker.daemon"] is False
    kwargs = cfg.local_cluster_kwargs(scheduler_port=40001, dashboard_port=40002)
    assert kwargs["threads_per_worker"] == 6 and kwargs["n_workers"] == 1
    assert kwargs["memory_limit"] == 2 * 2**30
    assert kwargs["resources"] == {"S": 2.0}
    assert kwargs["host"] == "127.0.0.1" and kwargs["dashboard_address"] == "127.0.0.1:40002"
    assert cfg.lifetime is None  # maximum_jobs == 1


def test_seamless_explicit_threads_and_processes() -> None:
    cfg = build({**BASE, "cores": 4, "worker_threads": 5, "processes": 2, "maximum_jobs": 2})
    assert (cfg.processes, cfg.worker_threads, cfg.seamless_workers) == (2, 5, 2)
    assert cfg.worker_resources == {"S": 2.0}  # per worker process: 4 cores over 2 processes
    assert cfg.n_local_workers == 4
    assert cfg.lifetime == f"{3600 - 240 - 60}s"


def test_seamless_processes_share_out_the_cores() -> None:
    cfg = build({**BASE, "cores": 4, "processes": 4})
    assert (cfg.processes, cfg.worker_threads, cfg.seamless_workers) == (4, 3, 1)
    kwargs = cfg.local_cluster_kwargs(scheduler_port=1, dashboard_port=2)
    assert (kwargs["n_workers"], kwargs["threads_per_worker"]) == (4, 3)
    assert kwargs["memory_limit"] == 2 * 2**30 // 4  # the job's 2GiB over its 4 processes
    assert kwargs["resources"] == {"S": 1.0}
    assert build({**BASE, "cores": 2, "processes": 3}).seamless_workers == 1


def test_pure_dask_no_throttle_no_override() -> None:
    cfg = build({**BASE, "cores": 4, "pure_dask": True})
    assert cfg.pure_dask and cfg.seamless_workers is None and cfg.transformation_throttle is None
    assert cfg.worker_threads is None and cfg.processes is None
    assert "S" not in cfg.worker_resources
    assert "SEAMLESS_WORKER_TRANSFORMATION_THROTTLE" not in cfg.env_exports
    assert "distributed.worker.daemon" not in cfg.dask_config
    kwargs = cfg.local_cluster_kwargs(scheduler_port=1, dashboard_port=2)
    assert "threads_per_worker" not in kwargs and "resources" not in kwargs


def test_pure_dask_explicit() -> None:
    cfg = build({**BASE, "cores": 4, "pure_dask": True, "worker_threads": 2, "processes": 3})
    assert (cfg.worker_threads, cfg.processes) == (2, 3)
    assert cfg.n_local_workers == 3


def test_exclusive() -> None:
    cfg = build({**BASE, "exclusive": True}, "dask_jobqueue::SLURMCluster")
    assert (cfg.processes, cfg.worker_threads, cfg.worker_resources["S"]) == (1, 1, 1.0)
    assert cfg.env_exports["SEAMLESS_DASK_QUEUE_EXCLUSIVE"] == "1"
    with pytest.raises(WrapperConfigError, match="job_cores"):
        build({**BASE, "exclusive": True, "job_cores": 4}, "dask_jobqueue::SLURMCluster")


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"walltime": "01:00:00", "cores": 1}, "memory"),
        ({**BASE, "memory": "lots", "cores": 1}, "memory"),
        ({"memory": "1GiB", "walltime": "01:00:00"}, "cores"),
        ({"memory": "1GiB", "cores": 1}, "walltime"),
        ({**BASE, "cores": 0}, "cores"),
        ({**BASE, "cores": 1, "worker_threads": "x"}, "worker_threads"),
        ({**BASE, "cores": 1, "walltime": "00:04:00", "maximum_jobs": 2}, "walltime"),
    ],
)
def test_errors_name_the_key(params: dict, key: str) -> None:
    with pytest.raises(WrapperConfigError) as info:
        build_wrapper_configuration(
            cluster_string="distributed::LocalCluster",
            parameters=params,
            port_range=(1, 2),
            status_file="/tmp/st.json",
        )
    assert info.value.key == key
    assert "/tmp/st.json" in str(info.value) and repr(key) in str(info.value)


def test_unknown_cluster() -> None:
    with pytest.raises(WrapperConfigError, match="unknown cluster class"):
        build({**BASE, "cores": 1}, "foo::Bar")


def test_slurm_job_script_without_batch_system() -> None:
    from dask_jobqueue.slurm import SLURMJob

    cfg = build(
        {
            **BASE,
            "cores": 8,
            "partition": "gpu",
            "project": "proj42",
            "job_extra_directives": ["--gres=gpu:1"],
            "job_script_prologue": ["module load cuda"],
            "extra_dask_config": {"distributed.scheduler.work-stealing": "False"},
        },
        "dask_jobqueue::SLURMCluster",
    )
    kwargs = cfg.jobqueue_cluster_kwargs(scheduler_port=40001, dashboard_port=40002, log="/tmp/x")
    scheduler_options = kwargs.pop("scheduler_options")
    assert scheduler_options == {
        "port": 40001,
        "dashboard_address": "127.0.0.1:40002",
        "host": "127.0.0.1",
    }
    script = SLURMJob(scheduler="tcp://127.0.0.1:40001", name="w", **kwargs).job_script()
    assert "#SBATCH -p gpu" in script and "#SBATCH -A proj42" in script
    assert "#SBATCH --gres=gpu:1" in script and "#SBATCH --output=/tmp/x-%j.out" in script
    assert "--nthreads 24" in script and "--resources=S=8" in script
    assert script.count("--nthreads") == 1 and script.count("--name") == 1
    assert "#SBATCH --cpus-per-task=8" in script  # the job's cores, not its threads
    assert "export SEAMLESS_WORKER_TRANSFORMATION_THROTTLE=3" in script
    assert "export DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING=False" in script
    assert "export PYTHON_CPU_COUNT=$SLURM_JOB_CPUS_PER_NODE" in script
    assert script.index("export SEAMLESS_DASK_WORKERS=8") < script.index("module load cuda")


def test_oar_requires_memory_property_and_renders() -> None:
    params = {**BASE, "cores": 2, "pure_dask": True}
    with pytest.raises(WrapperConfigError, match="memory_per_core_property_name"):
        build(params, "dask_jobqueue::OARCluster")
    from dask_jobqueue.oar import OARJob

    cfg = build({**params, "memory_per_core_property_name": "memcore"}, "dask_jobqueue::OARCluster")
    kwargs = cfg.jobqueue_cluster_kwargs(scheduler_port=40001, dashboard_port=40002)
    kwargs.pop("scheduler_options")
    script = OARJob(scheduler="tcp://127.0.0.1:40001", name="w", **kwargs).job_script()
    assert "memcore" in script and "SEAMLESS_WORKER_TRANSFORMATION_THROTTLE" not in script
    assert script.count("--nthreads") == 1  # no Seamless override; jobqueue derives its own
    assert "#OAR -l /nodes=1/core=2" in script and "#OAR -p memcore>=" in script


def test_killable_queue_reaches_the_workers() -> None:
    """`killable: true` sets seamless-dask.killable for the workers (Dask config of local
    workers, an export in job scripts); without it nothing changes; pure Dask ignores it."""
    import dask.config

    plain = build({**BASE, "cores": 2})
    assert "seamless-dask.killable" not in plain.dask_config
    assert "DASK_SEAMLESS_DASK__KILLABLE" not in plain.env_exports
    cfg = build({**BASE, "cores": 2, "killable": True})
    assert cfg.dask_config["seamless-dask.killable"] is True
    assert cfg.dask_config["distributed.worker.daemon"] is False  # workers may start children
    export = cfg.env_exports["DASK_SEAMLESS_DASK__KILLABLE"]
    assert dask.config.interpret_value(export) is True  # what a job-script worker reads
    slurm = build({**BASE, "cores": 2, "killable": True}, "dask_jobqueue::SLURMCluster")
    assert (
        "export DASK_SEAMLESS_DASK__KILLABLE=true" in slurm.jobqueue_options["job_script_prologue"]
    )
    pure = build({**BASE, "cores": 2, "killable": True, "pure_dask": True})
    assert "seamless-dask.killable" not in pure.dask_config
    with pytest.raises(WrapperConfigError, match="killable"):
        build({**BASE, "cores": 2, "killable": "yes"})

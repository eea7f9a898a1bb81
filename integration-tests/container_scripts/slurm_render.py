"""Render the SLURM job script the way seamless-dask's rendering tests do
(``build_wrapper_configuration`` -> ``jobqueue_cluster_kwargs`` -> ``SLURMJob.job_script()``),
from the parameters, ports and log of the running wrapper's status file; print it.

Usage: python slurm_render.py STATUS_FILE WORKER_NAME
"""

import json
import sys

from dask_jobqueue.slurm import SLURMJob

from seamless_dask.wrapper_config import build_wrapper_configuration

status_file, name = sys.argv[1], sys.argv[2]
status = json.loads(open(status_file).read())
argv = status["command"].split()
port_range = (int(argv[argv.index("--port-range") + 1]), int(argv[argv.index("--port-range") + 2]))
config = build_wrapper_configuration(
    cluster_string=argv[1],
    parameters=status["parameters"],
    host=status["network_interface"],
    port_range=port_range,
    status_file=status_file,
)
kwargs = config.jobqueue_cluster_kwargs(
    scheduler_port=status["port"], dashboard_port=status["dashboard_port"], log=status["log"]
)
options = kwargs.pop("scheduler_options")
scheduler = f"tcp://{options['host']}:{options['port']}"
sys.stdout.write(SLURMJob(scheduler=scheduler, name=name, **kwargs).job_script())

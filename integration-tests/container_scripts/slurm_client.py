"""A Seamless client inside the SLURM container (test_containers_slurm.py). The current
directory holds seamless.yaml / seamless.profile.yaml selecting a cluster of type slurm, so
seamless_config.init() launches a hashserver, a database and seamless-dask-wrapper, whose
dask-jobqueue SLURMCluster submits the Dask workers as SLURM jobs.

Every execution appends ``start|end TAG I SLURM_JOB_ID`` to MARKER_DIR/executions.

Usage: python slurm_client.py MARKER_DIR TAG COUNT SECONDS. Prints one ``RESULT {json}`` line.
"""

import json
import os
import sys
import time

import seamless_config

seamless_config.init(workdir=os.getcwd())

from report import report  # noqa: E402
from seamless.transformer import delayed  # noqa: E402


@delayed
def work(marker_dir, tag, i, seconds):
    import os
    import time

    job = os.environ.get("SLURM_JOB_ID", "none")
    path = os.path.join(marker_dir, "executions")
    with open(path, "a") as f:
        f.write(f"start {tag} {i} {job}\n")
    time.sleep(seconds)
    with open(path, "a") as f:
        f.write(f"end {tag} {i} {job}\n")
    return i * i


def main() -> None:
    marker_dir, tag, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    start = time.monotonic()
    tfs = [work(marker_dir, tag, i, seconds) for i in range(count)]
    for tf in tfs:
        tf.start()
    values = [tf.run() for tf in tfs]
    elapsed = time.monotonic() - start
    result = {"values": values, "seconds": elapsed, **report(tfs)}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

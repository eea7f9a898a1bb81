#!/usr/bin/env bash
# The demo ("run the main job"): a Monte Carlo estimate of pi, cached by Seamless.
# Creates .venv-demo with the packages, sets SEAMLESS_CACHE=.seamless-cache (a local hashserver
# and database are launched on 127.0.0.1 automatically), then runs the pipeline twice: the
# second run is all cache hits. Extra arguments go to examples/pi_pipeline.py (see --help).
# `bash tools/demo.sh --dask [--workdir DIR] [pipeline options]` runs the same pipeline in Dask
# mode (examples/dask_demo.py): a hashserver, a database and seamless-dask-wrapper on 127.0.0.1.
# `bash tools/demo.sh --tasks [options]` runs examples/tasks_pipeline.py (the task layer) three
# times: computed, all cached in a new process, then a changed option with early cut-off.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$REPO"
VENV="$REPO/.venv-demo"
[ -x "$VENV/bin/python" ] || "$UV" venv -q "$VENV"
"$UV" pip install -q --python "$VENV/bin/python" -e ./seamless-config -e ./seamless-remote \
    -e ./seamless-transformer -e ./seamless-dask hashserver seamless-database aiofiles
export PATH="$VENV/bin:$PATH"
if [ "${1:-}" = "--dask" ]; then
    shift
    exec python examples/dask_demo.py "$@"
fi
export SEAMLESS_CACHE="$REPO/.seamless-cache"
if [ "${1:-}" = "--tasks" ]; then
    shift
    echo "== tasks: first run (SEAMLESS_CACHE=$SEAMLESS_CACHE) =="
    python examples/tasks_pipeline.py "$@"
    echo "== tasks: same job, new process: every task is cached =="
    python examples/tasks_pipeline.py "$@"
    echo "== tasks: --threshold 40 drops the same readings: clean re-runs, nothing after it =="
    python examples/tasks_pipeline.py --threshold 40 "$@"
    exit 0
fi
echo "== first run (SEAMLESS_CACHE=$SEAMLESS_CACHE) =="
python examples/pi_pipeline.py "$@"
echo "== second run: same job, new process =="
python examples/pi_pipeline.py "$@"
echo "(the hashserver and database keep serving $SEAMLESS_CACHE on 127.0.0.1 and exit after 10 idle minutes; 'rhl-ps' lists them)"

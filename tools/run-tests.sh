#!/usr/bin/env bash
# Runs every test environment of the monorepo (the README's test command; CI runs exactly this
# through .ci/run). Without arguments it also makes sure a Docker engine runs for the
# containerized integration tests (tools/docker-engine.sh: reused when one runs, else installed
# and started, and stopped again at the end unless another run still uses it); a machine where no engine can start fails here.
# Extra arguments go to tox, e.g. `bash tools/run-tests.sh -e config -- -k select` (then start
# an engine yourself with `bash tools/docker-engine.sh start` if the selection needs one).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$REPO"
if [ "$#" -eq 0 ]; then
    start=$(date +%s)
    # registered under this run's PID: the engine is stopped when the last run using it ends
    bash tools/docker-engine.sh start $$
    trap 'bash tools/docker-engine.sh stop $$; echo "run-tests: $(( $(date +%s) - start )) s in total" >&2' EXIT
    "$BOOT/bin/tox" run
    exit 0
fi
exec "$BOOT/bin/tox" run "$@"

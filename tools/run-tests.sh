#!/usr/bin/env bash
# Runs every test environment of the monorepo (the README's test command; CI runs exactly this).
# Extra arguments go to tox, e.g. `bash tools/run-tests.sh -e config -- -k select`.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$REPO"
if [ "$#" -eq 0 ]; then
    exec "$BOOT/bin/tox" run
fi
exec "$BOOT/bin/tox" run "$@"

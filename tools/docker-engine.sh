#!/usr/bin/env bash
# Makes a Docker engine available for the containerized integration tests, or stops the one it
# started. Usage: bash tools/docker-engine.sh start|stop [RUN_PID] | status
#
# The engine is shared by every test run on the machine, so it is reference-counted: each run
# registers its PID (RUN_PID, default: the calling process) in the state directory.
# start: registers the run; reuses an engine that already answers `docker info`; otherwise
#   installs docker.io and debootstrap from the machine's apt sources if missing and starts
#   `dockerd --bridge=none --iptables=false --ip-masq=false` (no bridge, no NAT: containers use
#   host networking only). Exits non-zero, loudly, when no engine can be started.
# stop: removes the run's registration, then stops the engine only if this script started it
#   (its PID is kept in the state directory) and no other registered run is still alive. A
#   registration whose process is gone (a run killed with SIGKILL) is dropped, never waited for.
# Registrations and the engine start happen under a lock (flock), so two runs starting at once
# start one engine. SEAMLESS_DOCKER_STATE overrides the state directory.
set -euo pipefail
STATE="${SEAMLESS_DOCKER_STATE:-${TMPDIR:-/tmp}/seamless-docker-engine}"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
RUNS="$STATE/runs"

engine_answers() {
    command -v docker > /dev/null && docker info > /dev/null 2>&1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# The start time of process $1 (field 22 of /proc/PID/stat), empty if it does not exist or is a
# zombie: a PID together with its start time names one process, even after the PID is reused.
start_time() {
    local stat
    stat="$(cat "/proc/$1/stat" 2> /dev/null)" || return 0
    stat="${stat##*) }" # the command name may contain spaces; fields after it are fixed
    # shellcheck disable=SC2086
    set -- $stat
    case "$1" in Z | X) return 0 ;; esac
    echo "${20}"
}

register_run() {
    mkdir -p "$RUNS"
    start_time "$1" > "$RUNS/$1"
}

unregister_run() {
    rm -f "$RUNS/$1"
}

# Drops registrations of processes that are gone; prints the PIDs of the live ones.
live_runs() {
    local file pid
    [ -d "$RUNS" ] || return 0
    for file in "$RUNS"/*; do
        [ -e "$file" ] || continue
        pid="$(basename "$file")"
        if [ -n "$(start_time "$pid")" ] && [ "$(start_time "$pid")" = "$(cat "$file")" ]; then
            echo "$pid"
        else
            rm -f "$file"
        fi
    done
}

lock_state() {
    mkdir -p "$STATE"
    exec 9> "$STATE/lock"
    flock 9
}

install_missing() {
    local missing=()
    command -v dockerd > /dev/null || missing+=(docker.io)
    command -v docker > /dev/null || missing+=(docker.io)
    command -v debootstrap > /dev/null || missing+=(debootstrap)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "docker-engine: installing ${missing[*]} with apt-get" >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" iptables > "$STATE/apt.log" 2>&1 || {
            tail -20 "$STATE/apt.log" >&2
            echo "docker-engine: apt-get install ${missing[*]} failed (log: $STATE/apt.log)" >&2
            exit 1
        }
    fi
}

start() {
    local run="$1"
    lock_state
    register_run "$run"
    if engine_answers; then
        command -v debootstrap > /dev/null || install_missing
        echo "docker-engine: reusing the running engine" >&2
        return 0
    fi
    install_missing
    echo "docker-engine: starting dockerd (log: $LOG)" >&2
    rm -f "$STATE/dockerd.own.pid"
    # 9>&-: the engine must not inherit the state lock (it outlives this script)
    as_root dockerd --bridge=none --iptables=false --ip-masq=false \
        --pidfile "$STATE/dockerd.own.pid" > "$LOG" 2>&1 9>&- &
    local launcher=$!
    for _ in $(seq 1 120); do
        if engine_answers; then
            # dockerd's own PID (not the PID of the background job, a subshell or sudo)
            cp "$STATE/dockerd.own.pid" "$PIDFILE"
            echo "docker-engine: engine up (pid $(cat "$PIDFILE"))" >&2
            return 0
        fi
        if ! kill -0 "$launcher" 2> /dev/null; then
            break
        fi
        sleep 0.5
    done
    tail -30 "$LOG" >&2 || true
    echo "docker-engine: dockerd did not start; the containerized tests cannot run" >&2
    exit 1
}

stop() {
    local run="$1" others
    lock_state
    unregister_run "$run"
    if [ ! -f "$PIDFILE" ]; then
        echo "docker-engine: not started by this script; leaving the engine alone" >&2
        return 0
    fi
    others="$(live_runs | tr '\n' ' ')"
    if [ -n "$others" ]; then
        echo "docker-engine: other test runs still use the engine (pid ${others% }); leaving it" >&2
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    rm -f "$PIDFILE"
    if kill -0 "$pid" 2> /dev/null; then
        echo "docker-engine: stopping dockerd (pid $pid)" >&2
        as_root kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2> /dev/null || return 0
            sleep 0.5
        done
        as_root kill -KILL "$pid" || true
    fi
}

case "${1:-}" in
    start) start "${2:-$PPID}" ;;
    stop) stop "${2:-$PPID}" ;;
    status) engine_answers && echo "engine answers" || { echo "no engine"; exit 1; } ;;
    *)
        echo "usage: bash tools/docker-engine.sh start|stop [RUN_PID] | status" >&2
        exit 2
        ;;
esac

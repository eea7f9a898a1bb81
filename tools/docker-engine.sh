#!/usr/bin/env bash
# Makes a Docker engine available for the containerized integration tests, or stops the one it
# started. Usage: bash tools/docker-engine.sh start|stop|status
#
# start: reuses an engine that already answers `docker info`; otherwise installs docker.io and
#   debootstrap from the machine's apt sources if missing and starts
#   `dockerd --bridge=none --iptables=false --ip-masq=false` (no bridge, no NAT: containers use
#   host networking only). Exits non-zero, loudly, when no engine can be started.
# stop: stops the engine only if `start` started it (its PID is kept in the state directory).
set -euo pipefail
STATE="${SEAMLESS_DOCKER_STATE:-${TMPDIR:-/tmp}/seamless-docker-engine}"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"

engine_answers() {
    command -v docker > /dev/null && docker info > /dev/null 2>&1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
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
    mkdir -p "$STATE"
    if engine_answers; then
        command -v debootstrap > /dev/null || install_missing
        echo "docker-engine: reusing the running engine" >&2
        return 0
    fi
    install_missing
    echo "docker-engine: starting dockerd (log: $LOG)" >&2
    rm -f "$STATE/dockerd.own.pid"
    as_root dockerd --bridge=none --iptables=false --ip-masq=false \
        --pidfile "$STATE/dockerd.own.pid" > "$LOG" 2>&1 &
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
    if [ ! -f "$PIDFILE" ]; then
        echo "docker-engine: not started by this script; leaving the engine alone" >&2
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
    start) start ;;
    stop) stop ;;
    status) engine_answers && echo "engine answers" || { echo "no engine"; exit 1; } ;;
    *)
        echo "usage: bash tools/docker-engine.sh start|stop|status" >&2
        exit 2
        ;;
esac

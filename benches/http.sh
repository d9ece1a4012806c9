#!/usr/bin/env bash
# HTTP/1.1 hello world under wrk: hyper on strands (examples/hyper_server.rs) against the same
# service on tokio current_thread (examples/hyper_tokio.rs), one after the other, loopback only.
#
# Usage: benches/http.sh [DURATION] [CONNECTIONS]   (defaults: 10s, 50; wrk -t1)
# Env: CARGO_TARGET_DIR as for cargo; PORT_BASE (default 18480).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${1:-10s}
CONNS=${2:-50}
PORT_BASE=${PORT_BASE:-18480}
TARGET=${CARGO_TARGET_DIR:-target}

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release -q -p strands --example hyper_server --example hyper_tokio

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# wait_port PORT: until something listens there (5 s at most).
wait_port() {
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

declare -A RPS LAT_AVG LAT_P50 LAT_P99 ERRORS
run() { # run NAME EXAMPLE PORT
    local name=$1 example=$2 port=$3 out
    # Connection errors the server reports (wrk resets its connections at the end) go to a
    # log; only their count is shown.
    local log
    log=$(mktemp)
    "$TARGET/release/examples/$example" "127.0.0.1:$port" >/dev/null 2>"$log" &
    local pid=$!
    PIDS+=("$pid")
    wait_port "$port"
    wrk -t1 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port/" >/dev/null # warm-up run, discarded
    out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port/")
    echo "--- $name ---"
    echo "$out"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    RPS[$name]=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    LAT_AVG[$name]=$(awk '/^ +Latency / {print $2; exit}' <<<"$out")
    LAT_P50[$name]=$(awk '$1 == "50%" {print $2}' <<<"$out")
    LAT_P99[$name]=$(awk '$1 == "99%" {print $2}' <<<"$out")
    ERRORS[$name]="$(awk '/Socket errors|Non-2xx/ {sub(/^ +/, ""); printf "%s; ", $0}' <<<"$out")server errors: $(wc -l <"$log")"
    if [[ -s $log ]]; then
        echo "server errors of $name, by kind:"
        sed 's/^[^ ]*: //' "$log" | sort | uniq -c
    fi
    rm -f "$log"
}

run strands hyper_server "$PORT_BASE"
run tokio hyper_tokio "$((PORT_BASE + 1))"

echo
echo "wrk -t1 -c$CONNS -d$DURATION, hyper 1 HTTP/1.1 hello world, one server thread each"
printf '%-10s %14s %10s %10s %10s  %s\n' runtime "requests/s" "lat avg" "lat p50" "lat p99" notes
for name in strands tokio; do
    printf '%-10s %14s %10s %10s %10s  %s\n' "$name" "${RPS[$name]}" "${LAT_AVG[$name]}" \
        "${LAT_P50[$name]}" "${LAT_P99[$name]}" "${ERRORS[$name]}"
done
awk -v s="${RPS[strands]}" -v t="${RPS[tokio]}" \
    'BEGIN { if (t > 0) printf "strands / tokio requests/s: %.3f\n", s / t }'

#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds
# riskstream, starts a local Kafka broker and Redis from scratch, creates
# the topics, streams the sample events and shows them as riskstream reads
# them back.
#
# Usage: tools/demo.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${RS_BUILD_DIR:-$root/build}"

tools/install-deps.sh
# shellcheck source=../deploy/local/env.sh
. deploy/local/env.sh

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)"

# The demo starts from an empty broker and Redis every time, so what it
# shows is exactly this run's sample.
deploy/local/kafka.sh fresh
deploy/local/redis.sh fresh

settings=(--config deploy/local/riskstream.conf
    --set "kafka.bootstrap.servers=$RS_KAFKA_BROKERS"
    --set "redis.port=$RS_REDIS_PORT")
rs() {
    "$build/riskstream" "$1" "${settings[@]}" "${@:2}"
}

echo
echo "== creating topics"
rs topics
echo
echo "== producing the sample events (two customers)"
rs sample
echo
echo "== the input topics, as riskstream decodes them"
rs tail --topic invoices --topic payments --topic bureau \
    --topic communications --max 8 --idle-ms 5000 |
    if command -v jq >/dev/null; then
        jq -r '"\(.value.event_time / 1000 | todate)  \(.topic)/\(.partition)@\(.offset)  customer \(.key)  \(.value.type)"'
    else
        cat
    fi
echo
echo "== running riskstream over them"
log="$RS_RUN_DIR/riskstream-demo.log"
"$build/riskstream" run "${settings[@]}" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
echo "(log: $log)"
echo
echo "== the alerts riskstream made"
rs tail --topic alerts --idle-ms 10000 |
    if command -v jq >/dev/null; then
        jq -r '.value | "\(.event_time / 1000 | todate)  customer \(.customer_id): \(.level_before) -> \(.level_after) (score \(.score_before) -> \(.score_after))\n  why:  \(.reasons[0].message)\n  do:   \(.recommended_actions | map(.text) | join("\n        "))"'
    else
        cat
    fi
kill -TERM "$pid"
wait "$pid" || { echo "riskstream exited with an error; see $log" >&2; exit 1; }
trap - EXIT
echo
echo "== the customer's state in Redis"
key=$(redis-cli -p "$RS_REDIS_PORT" --scan --pattern 'rs:{t*}:c:C002' | head -n 1)
echo "HGETALL $key (without the packed state):"
for field in level score open_amount overdue_amount days_beyond_terms last_event_time; do
    printf '  %-18s %s\n' "$field" "$(redis-cli -p "$RS_REDIS_PORT" hget "$key" "$field")"
done
echo
echo "Kafka is at $RS_KAFKA_BROKERS, Redis at $RS_REDIS_ADDR;"
echo "stop them with deploy/local/kafka.sh stop; deploy/local/redis.sh stop"

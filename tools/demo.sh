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

rs() {
    "$build/riskstream" "$1" --config deploy/local/riskstream.conf \
        --set "kafka.bootstrap.servers=$RS_KAFKA_BROKERS" \
        --set "redis.port=$RS_REDIS_PORT" "${@:2}"
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
echo "Kafka is at $RS_KAFKA_BROKERS, Redis at $RS_REDIS_ADDR;"
echo "stop them with deploy/local/kafka.sh stop; deploy/local/redis.sh stop"

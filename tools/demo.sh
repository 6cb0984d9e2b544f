#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds
# riskstream, starts a local Kafka broker and Redis from scratch, creates
# the topics, generates a year of history for a few hundred customers (some
# of whom deteriorate, each in a different way), streams it — and the IBM
# accounts-receivable sample when you have it — through the real daemon,
# prints a readable summary of the alerts, and writes a backtest report of
# the same history.
#
# Usage: tools/demo.sh
#   RS_DEMO_IBM_CSV=path/to/WA_Fn-UseC_-Accounts-Receivable.csv  also stream
#       the IBM sample (public: Kaggle "Finance Factoring: IBM Late Payment
#       Histories"; see docs/import.md)
#   RS_DEMO_CUSTOMERS (300), RS_DEMO_DAYS (400), RS_DEMO_SEED (7)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${RS_BUILD_DIR:-$root/build}"
customers="${RS_DEMO_CUSTOMERS:-300}"
days="${RS_DEMO_DAYS:-400}"
seed="${RS_DEMO_SEED:-7}"

tools/install-deps.sh
# shellcheck source=../deploy/local/env.sh
. deploy/local/env.sh

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)"

# The demo starts from an empty broker and Redis every time, so what it
# shows is exactly this run's input.
deploy/local/kafka.sh fresh
deploy/local/redis.sh fresh

work="$RS_RUN_DIR/demo"
rm -rf "$work"
mkdir -p "$work"
settings=(--config deploy/local/riskstream.conf
    --set "kafka.bootstrap.servers=$RS_KAFKA_BROKERS"
    --set "redis.port=$RS_REDIS_PORT")
rs() {
    "$build/riskstream" "$1" "${settings[@]}" "${@:2}"
}
partitions=$(sed -n 's/^topic.partitions *= *//p' deploy/local/riskstream.conf)

# Every input record applied: each task's applied offsets in Redis (o0..o3
# of rs:{t<p>}:meta) reach the end of its partitions.
wait_processed() {
    local topics=(invoices payments bureau communications) deadline=$((SECONDS + 300))
    while :; do
        local done=1
        for ((p = 0; p < partitions && done; p++)); do
            for k in 0 1 2 3; do
                local last applied
                last=$(kcat -b "$RS_KAFKA_BROKERS" -C -t "${topics[$k]}" -p "$p" \
                    -o -1 -c 1 -e -q -f '%o\n' 2>/dev/null || true)
                [ -n "$last" ] || continue
                applied=$(redis-cli -p "$RS_REDIS_PORT" hget "rs:{t$p}:meta" "o$k")
                if [ -z "$applied" ] || [ "$applied" -le "$last" ]; then
                    done=0
                    break
                fi
            done
        done
        [ "$done" = 1 ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || {
            echo "riskstream did not process all input within 300 s; see $log" >&2
            return 1
        }
        sleep 1
    done
}

echo
echo "== creating topics"
rs topics
echo
echo "== generating $days days of history for $customers customers (seed $seed)"
"$build/riskstream" gen --customers "$customers" --days "$days" \
    --start 2025-01-01 --seed "$seed" --deteriorating-share 0.25 \
    --out "$work/history.rsev" --truth "$work/truth.csv"
echo "planted deteriorations (ground truth in $work/truth.csv):"
tail -n +2 "$work/truth.csv" | cut -d, -f2 | grep -v '^none$' | sort | uniq -c |
    awk '{ printf "  %-18s %s customer%s\n", $2, $1, $1 == 1 ? "" : "s" }'
if [ -n "${RS_DEMO_IBM_CSV:-}" ]; then
    # 2012-2014: produced first, so each topic stays in event-time order.
    echo
    echo "== importing the IBM accounts-receivable sample ($RS_DEMO_IBM_CSV)"
    "$build/riskstream" import --mapping tools/mappings/ibm-accounts-receivable.map \
        --csv "$RS_DEMO_IBM_CSV" --out "$work/ibm.rsev"
    rs produce "$work/ibm.rsev"
else
    echo "(set RS_DEMO_IBM_CSV to a copy of the IBM accounts-receivable CSV to stream it too)"
fi
rs produce "$work/history.rsev"

echo
echo "== running riskstream over it"
log="$RS_RUN_DIR/riskstream-demo.log"
"$build/riskstream" run "${settings[@]}" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
echo "(log: $log)"
wait_processed
kill -TERM "$pid"
wait "$pid" || { echo "riskstream exited with an error; see $log" >&2; exit 1; }
trap - EXIT
rs tail --topic alerts --idle-ms 3000 > "$work/alerts.jsonl" 2>/dev/null

echo
echo "== the alerts ($(wc -l < "$work/alerts.jsonl") in all; $work/alerts.jsonl)"
echo "by new level:"
jq -r '.value.level_after' "$work/alerts.jsonl" | sort | uniq -c |
    awk '{ printf "  %-9s %s\n", $2, $1 }'
echo
echo "customers raised to HIGH or CRITICAL, first time each (up to 15):"
jq -r 'select(.value.level_after == "HIGH" or .value.level_after == "CRITICAL") |
       .value | [.customer_id, (.event_time / 1000 | strftime("%Y-%m-%d")),
       .level_before, .level_after, (.score_after | tostring),
       .reasons[0].code, .reasons[0].message,
       (.recommended_actions | map(.code) | join(", "))] | @tsv' \
    "$work/alerts.jsonl" | sort -t $'\t' -k2,2 -s | awk -F'\t' '!seen[$1]++ && shown++ < 15' |
    while IFS=$'\t' read -r who when before after score code why actions; do
        printf '%s  %-9s %s -> %s (score %s)  %s\n' "$when" "$who" "$before" "$after" "$score" "$code"
        printf '             why: %s\n' "$why"
        printf '             do:  %s\n' "$actions"
    done

# The state riskstream keeps of the last customer it alerted on, as an
# operator reads it from Redis.
last=$(jq -r '.value.customer_id' "$work/alerts.jsonl" | tail -n 1)
if [ -n "$last" ]; then
    echo
    echo "== $last as riskstream holds it in Redis (riskstream state $last)"
    rs state "$last" | jq .
fi

echo
echo "== the same history as a backtest (in-process, same engine)"
"$build/riskstream" backtest --events "$work/history.rsev" --truth "$work/truth.csv" \
    --report "$work/report" "${settings[@]}"
echo
echo "open $work/report/index.html for the report (timelines, score"
echo "distribution, alerts per month); quality figures: $work/report/quality.json"
echo
echo "Kafka is at $RS_KAFKA_BROKERS, Redis at $RS_REDIS_ADDR;"
echo "stop them with deploy/local/kafka.sh stop; deploy/local/redis.sh stop"

#!/bin/sh
# Two builds in turns over one backlog: the comparison this project trusts
# on shared, noisy machines (docs/performance.md). Fills one set of topics
# once, then runs `riskstream run` of build A, then of build B, and so on
# for N pairs, each under its own consumer group and Redis prefix, until
# the group has committed the end of the input. Prints each run's wall and
# CPU seconds (the process's, all its threads) and, per build, the medians
# and how many pairs it won.
#
#   bench/turns.sh [-n PAIRS] [-e EVENTS] [-c CUSTOMERS] BUILD_A BUILD_B
#
# BUILD_A and BUILD_B are build directories holding riskstream and
# bench/rsbench (Release, e.g. build-rel and a worktree's build). Runs
# against the local Kafka (127.0.0.1:19092) and Redis (127.0.0.1:16379) of
# deploy/local; other addresses: RS_KAFKA=host:port RS_REDIS_PORT=port
# (Redis on 127.0.0.1). Deletes its topics, groups and keys at the end.
set -eu
pairs=5
events=2000000
customers=100000
while getopts n:e:c: o; do
    case $o in
    n) pairs=$OPTARG ;;
    e) events=$OPTARG ;;
    c) customers=$OPTARG ;;
    *) echo "usage: $0 [-n PAIRS] [-e EVENTS] [-c CUSTOMERS] BUILD_A BUILD_B" >&2
       exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ]; then
    echo "usage: $0 [-n PAIRS] [-e EVENTS] [-c CUSTOMERS] BUILD_A BUILD_B" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
kafka=${RS_KAFKA:-127.0.0.1:19092}
rport=${RS_REDIS_PORT:-16379}
for b in "$1" "$2"; do
    for f in riskstream bench/rsbench; do
        if [ ! -x "$b/$f" ]; then
            echo "turns: $b/$f is missing: build it first (Release)" >&2
            exit 2
        fi
    done
done
a_dir=$(cd "$1" && pwd)
b_dir=$(cd "$2" && pwd)
rsbench="$a_dir/bench/rsbench"
name="turns-$$"
topics="$name-invoices,$name-payments,$name-bureau,$name-communications"
topics="$topics,$name-alerts,$name-deadletter"
sets="-s kafka.bootstrap.servers=$kafka -s schema.dir=$root/schemas"
for k in invoices payments bureau communications alerts deadletter; do
    sets="$sets -s topic.$k=$name-$k"
done
groups=""
log=$(mktemp -d)

cleanup() {
    "$rsbench" admin -s "kafka.bootstrap.servers=$kafka" delete "$topics" \
        >/dev/null 2>&1 || true
    if [ -n "$groups" ]; then
        "$rsbench" admin -s "kafka.bootstrap.servers=$kafka" delete-groups \
            "${groups#,}" >/dev/null 2>&1 || true
    fi
    redis-cli -p "$rport" --scan --pattern "$name-*" |
        xargs -r redis-cli -p "$rport" del >/dev/null 2>&1 || true
    rm -rf "$log"
}
trap cleanup EXIT INT TERM

"$rsbench" admin -s "kafka.bootstrap.servers=$kafka" create "$topics" 4 \
    >/dev/null
# shellcheck disable=SC2086 # $sets is a list of options
"$rsbench" fill $sets --events "$events" --customers "$customers" \
    --zipf 0.8 --seed 1 --days 365 \
    --time-to $(( $(date +%s) * 1000 - 3600000 )) --tag E \
    >/dev/null 2>"$log/fill.log" || {
    cat "$log/fill.log" >&2
    exit 1
}

# One run: prints "<wall> <cpu>".
run() {
    dir=$1 id=$2
    # shellcheck disable=SC2086
    "$dir/riskstream" run $sets -s redis.host=127.0.0.1 \
        -s "redis.port=$rport" -s "app.id=$id" -s "redis.prefix=$id" \
        -s instance.id=turns >"$log/$id.log" 2>&1 &
    pid=$!
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    if ! "$rsbench" lag $sets -s "app.id=$id" --timeout 600 \
        >"$log/$id.lag" 2>&1; then
        kill "$pid" 2>/dev/null || true
        echo "turns: $id did not reach the end; its log:" >&2
        tail -20 "$log/$id.log" >&2
        exit 1
    fi
    t1=$(date +%s.%N)
    cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$pid/stat")
    kill -INT "$pid"
    wait "$pid" || true
    echo "$t0 $t1 $cpu" | awk '{ printf "%.2f %s\n", $2 - $1, $3 }'
}

median() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "turns: $events events of $customers customers, $pairs pairs"
echo "pair  A wall  A cpu   B wall  B cpu"
i=1
: >"$log/a"
: >"$log/b"
while [ "$i" -le "$pairs" ]; do
    groups="$groups,$name-a$i,$name-b$i"
    ra=$(run "$a_dir" "$name-a$i") || exit 1
    rb=$(run "$b_dir" "$name-b$i") || exit 1
    echo "$ra" >>"$log/a"
    echo "$rb" >>"$log/b"
    echo "$i $ra $rb" | awk '{ printf "%4d  %6.2f  %6.2f  %6.2f  %6.2f\n",
        $1, $2, $3, $4, $5 }'
    i=$((i + 1))
done
wa=$(cut -d' ' -f1 "$log/a" | median)
ca=$(cut -d' ' -f2 "$log/a" | median)
wb=$(cut -d' ' -f1 "$log/b" | median)
cb=$(cut -d' ' -f2 "$log/b" | median)
won=$(paste -d' ' "$log/a" "$log/b" | awk '$3 < $1 { n++ } END { print n + 0 }')
echo "median wall: A $wa s, B $wb s (B/A $(echo "$wb $wa" | awk '{ printf "%.3f", $1 / $2 }')); B faster in $won of $pairs pairs"
echo "median CPU:  A $ca s, B $cb s (B/A $(echo "$cb $ca" | awk '{ printf "%.3f", $1 / $2 }'))"

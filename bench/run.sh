#!/bin/sh
# The benchmark in one command: builds riskstream and rsbench (Release, no
# sanitizers) in build-rel/, then runs bench/run.py against the local Kafka
# (127.0.0.1:19092) and Redis (127.0.0.1:16379). Options go to run.py
# (bench/run.py --help); e.g. `bench/run.sh --large`, `bench/run.sh -s
# order.queue.records=100000`. Results: bench/results/latest.{json,md},
# bench/results/latency.svg. See docs/performance.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-rel"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRS_BUILD_TESTS=OFF \
    >/dev/null
cmake --build "$build" --target riskstream rsbench -j 2 >/dev/null
exec python3 "$root/bench/run.py" --build "$build" "$@"

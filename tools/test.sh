#!/usr/bin/env bash
# Runs every riskstream test on this machine: installs what is missing,
# builds with -Werror, AddressSanitizer and UndefinedBehaviorSanitizer,
# starts the local Kafka broker and Redis (deploy/local/), and runs CTest.
# Integration tests fail, not skip, when Kafka or Redis is not there.
#
# Usage: tools/test.sh [extra ctest arguments, e.g. -L unit]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${RS_TEST_BUILD_DIR:-$root/build-test}"

tools/install-deps.sh
# shellcheck source=../deploy/local/env.sh
. deploy/local/env.sh

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DRS_WERROR=ON -DRS_SANITIZE=ON
cmake --build "$build" -j "$(nproc)"

deploy/local/kafka.sh start
deploy/local/redis.sh start

export RS_TEST_KAFKA="$RS_KAFKA_BROKERS"
export RS_TEST_REDIS="$RS_REDIS_ADDR"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$build" --output-on-failure --no-tests=error "$@"

# shellcheck shell=bash
# Settings for the local Kafka + Redis stack (deploy/local/*.sh).
#
# Sourced by kafka.sh and redis.sh; you can also source it from your own
# bash shell or test harness to get RS_KAFKA_BROKERS / RS_REDIS_ADDR.
# Every value is a default: set the variable in the environment first to
# override it, e.g.  RS_KAFKA_PORT=29092 deploy/local/kafka.sh start
#
# Only assignments here, no `set` options and no functions, so sourcing it
# into an interactive shell changes nothing else.

# Repository root, derived from this file's location (deploy/local/env.sh).
RS_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Ports, all bound on 127.0.0.1 only.
: "${RS_KAFKA_PORT:=19092}"
: "${RS_KAFKA_CONTROLLER_PORT:=19093}"
: "${RS_REDIS_PORT:=16379}"

# Kafka broker version fetched from Maven Central through deploy/local/pom.xml.
# Stay on 3.9.x: see the comment in pom.xml (Debian's librdkafka 2.0.2 and
# Kafka 4.x do not get along).
: "${RS_KAFKA_VERSION:=3.9.1}"

# Broker JVM heap (used for both -Xmx and -Xms).
: "${RS_KAFKA_HEAP:=512m}"

# log4j level of the broker's log file (WARN keeps it short; INFO to debug).
: "${RS_KAFKA_LOG_LEVEL:=WARN}"

# Data, logs and pid files of both services.
: "${RS_RUN_DIR:=$RS_REPO_ROOT/.run}"

# Downloaded broker jars (kept across `fresh` and across checkouts).
: "${RS_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/riskstream}"

# Relative directories would be taken relative to whatever directory a
# service happens to run in; anchor them to the current one now.
case "$RS_RUN_DIR" in /*) ;; *) RS_RUN_DIR="$PWD/$RS_RUN_DIR" ;; esac
case "$RS_CACHE_DIR" in /*) ;; *) RS_CACHE_DIR="$PWD/$RS_CACHE_DIR" ;; esac

RS_KAFKA_BROKERS="127.0.0.1:$RS_KAFKA_PORT"
RS_REDIS_ADDR="127.0.0.1:$RS_REDIS_PORT"

export RS_REPO_ROOT RS_KAFKA_PORT RS_KAFKA_CONTROLLER_PORT RS_REDIS_PORT \
    RS_KAFKA_VERSION RS_KAFKA_HEAP RS_KAFKA_LOG_LEVEL RS_RUN_DIR RS_CACHE_DIR \
    RS_KAFKA_BROKERS RS_REDIS_ADDR

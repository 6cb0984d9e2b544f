#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# for riskstream development and tests. No ZooKeeper, no Docker: the broker
# jars come from Maven Central through deploy/local/pom.xml.
#
# Usage: deploy/local/kafka.sh {start|stop|restart|fresh|status|logs [-f]|fetch}
# Settings (ports, directories, version, heap): deploy/local/env.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
. "$HERE/env.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

PROG="kafka.sh"
KAFKA_DIR="$RS_RUN_DIR/kafka"
DATA_DIR="$KAFKA_DIR/data"
PROPS="$KAFKA_DIR/server.properties"
LOG4J="$KAFKA_DIR/log4j.properties"
BROKER_LOG="$KAFKA_DIR/broker.log"
CONSOLE_LOG="$KAFKA_DIR/console.log"
PID_FILE="$KAFKA_DIR/kafka.pid"
LOCK_FILE="$KAFKA_DIR/.lock"
JAR_HOME="$RS_CACHE_DIR/kafka-$RS_KAFKA_VERSION"
JAR_DIR="$JAR_HOME/jars"
JAR_MARKER="$JAR_HOME/.complete"
MAVEN_LOG="$JAR_HOME/maven.log"
START_DEADLINE_S="${RS_KAFKA_START_TIMEOUT:-90}"
STOP_DEADLINE_S=30
LOCK_WAIT_S=180
JAVA_MIN_MAJOR=17
# Shell code that closes every file descriptor above 2. Daemons are started
# through it so that they keep no pipe of the caller's open (a CI runner or
# a `$(...)` waiting for EOF on such a pipe would wait until they exit).
# shellcheck disable=SC2016 # expanded by the inner shell
CLOSE_FDS='for f in /proc/$$/fd/*; do n=${f##*/}; if ((n > 2)); then eval "exec $n>&-"; fi; done'

if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA="java"
fi

usage() {
    cat <<EOF
usage: $0 {start|stop|restart|fresh|status|logs [-f]|fetch}

  start    start the broker if needed and wait until it answers metadata
           requests at $RS_KAFKA_BROKERS (at most ${START_DEADLINE_S}s)
  stop     stop the broker (SIGTERM, SIGKILL after ${STOP_DEADLINE_S}s); fine if not running
  restart  stop, then start (data kept)
  fresh    stop, delete all broker data (topics, offsets), start
  status   exit 0 and print "kafka up at ..." if the broker answers, else exit 1
  logs     print the end of the broker log (-f: follow it)
  fetch    only download the broker jars (Maven) into the cache

Run dir: $KAFKA_DIR
Jars:    $JAR_DIR
EOF
}

check_port() { # NAME VALUE
    if ! [[ $2 =~ ^[0-9]{1,5}$ ]] || ((10#$2 < 1 || 10#$2 > 65535)); then
        die "$1='$2' is not a TCP port number (1-65535)"
    fi
}

check_settings() {
    check_port RS_KAFKA_PORT "$RS_KAFKA_PORT"
    check_port RS_KAFKA_CONTROLLER_PORT "$RS_KAFKA_CONTROLLER_PORT"
    if ((10#$RS_KAFKA_PORT == 10#$RS_KAFKA_CONTROLLER_PORT)); then
        die "RS_KAFKA_PORT and RS_KAFKA_CONTROLLER_PORT are both $RS_KAFKA_PORT; they must differ"
    fi
    if ! [[ $START_DEADLINE_S =~ ^[0-9]+$ ]]; then
        die "RS_KAFKA_START_TIMEOUT='$START_DEADLINE_S' is not a number of seconds"
    fi
    if ! [[ $RS_KAFKA_HEAP =~ ^[0-9]+[kKmMgG]?$ ]]; then
        die "RS_KAFKA_HEAP='$RS_KAFKA_HEAP' is not a JVM heap size (e.g. 512m, 1g)"
    fi
    if ! [[ $RS_KAFKA_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
        die "RS_KAFKA_VERSION='$RS_KAFKA_VERSION' is not a Kafka version (e.g. 3.9.1)"
    fi
    if ! [[ $RS_KAFKA_LOG_LEVEL =~ ^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL|OFF)$ ]]; then
        die "RS_KAFKA_LOG_LEVEL='$RS_KAFKA_LOG_LEVEL' is not a log4j level (e.g. WARN, INFO)"
    fi
}

require_java() {
    local out major
    if ! command -v "$JAVA" >/dev/null 2>&1; then
        die "java not found (looked for '$JAVA'); the Kafka broker needs Java $JAVA_MIN_MAJOR+ (Debian: openjdk-17-jre-headless, or run tools/install-deps.sh)"
    fi
    if ! out="$("$JAVA" -version 2>&1)"; then
        die "'$JAVA -version' failed: ${out%%$'\n'*}"
    fi
    if ! [[ $out =~ version\ \"([0-9]+)(\.([0-9]+))? ]]; then
        die "cannot tell the Java version from '$JAVA -version': ${out%%$'\n'*}"
    fi
    major="${BASH_REMATCH[1]}"
    if ((major == 1)); then # 1.8.0_x style
        major="${BASH_REMATCH[3]:-0}"
    fi
    if ((major < JAVA_MIN_MAJOR)); then
        die "'$JAVA' is Java $major; the Kafka broker needs Java $JAVA_MIN_MAJOR+ (Debian: openjdk-17-jre-headless; set JAVA_HOME to pick another JDK)"
    fi
}

require_kcat() {
    command -v kcat >/dev/null 2>&1 ||
        die "kcat not found on PATH; it is used to check that the broker answers (Debian: kcat, or run tools/install-deps.sh)"
}

# Take an exclusive lock on FILE through file descriptor FD, so that two
# scripts never start/stop the same broker or fill the same cache at once.
take_lock() { # FD FILE WHAT
    local fd="$1" file="$2" what="$3"
    mkdir -p "$(dirname "$file")"
    eval "exec $fd>\"\$file\""
    if ! flock -w "$LOCK_WAIT_S" "$fd"; then
        die "another kafka.sh has been busy with $what for over ${LOCK_WAIT_S}s (lock $file)"
    fi
}

jars_complete() {
    [[ -f $JAR_MARKER && -f $JAR_DIR/kafka_2.13-$RS_KAFKA_VERSION.jar ]]
}

fetch() {
    if jars_complete; then
        return 0
    fi
    take_lock 8 "$RS_CACHE_DIR/.kafka-$RS_KAFKA_VERSION.lock" "the jar cache $JAR_HOME"
    if jars_complete; then # another script fetched them while we waited
        return 0
    fi
    command -v mvn >/dev/null 2>&1 ||
        die "mvn (Apache Maven) not found on PATH; it is needed once to fetch the Kafka $RS_KAFKA_VERSION jars into $JAR_DIR (Debian: maven, or run tools/install-deps.sh)"
    require_java

    local partial="$JAR_HOME/jars.partial" t0
    # Anything here without the marker is the leftover of an interrupted fetch.
    rm -rf "$partial" "$JAR_DIR" "$JAR_MARKER"
    mkdir -p "$JAR_HOME"
    t0="$(now_ms)"
    log "fetching Kafka $RS_KAFKA_VERSION broker jars with Maven into $JAR_DIR ..."
    if ! mvn -q -B -f "$HERE/pom.xml" \
        -Dkafka.version="$RS_KAFKA_VERSION" \
        dependency:copy-dependencies \
        -DoutputDirectory="$partial" -DincludeScope=runtime \
        >"$MAVEN_LOG" 2>&1 8>&- 9>&-; then
        tail -n 40 "$MAVEN_LOG" >&2 || true
        rm -rf "$partial"
        die "Maven could not fetch org.apache.kafka:kafka_2.13:$RS_KAFKA_VERSION (full output: $MAVEN_LOG; is Maven Central reachable?)"
    fi
    if [[ ! -f $partial/kafka_2.13-$RS_KAFKA_VERSION.jar ]]; then
        rm -rf "$partial"
        die "Maven succeeded but produced no kafka_2.13-$RS_KAFKA_VERSION.jar (output: $MAVEN_LOG)"
    fi
    mv "$partial" "$JAR_DIR"
    touch "$JAR_MARKER" # only now is the cache complete
    log "fetched $(find "$JAR_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$JAR_DIR" | cut -f1)) in $(since "$t0")"
}

write_config() {
    mkdir -p "$KAFKA_DIR" "$DATA_DIR"
    cat >"$PROPS" <<EOF
# Generated by deploy/local/kafka.sh on every start; edits are overwritten.
# Single node KRaft: this JVM is both the broker and the only controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$RS_KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$RS_KAFKA_PORT,CONTROLLER://127.0.0.1:$RS_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$RS_KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR

# One node: everything has a single replica.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4

# Tests want consumer groups to form at once and topics created explicitly.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true

# After an unclean exit (kill -9, crash) the restarted broker can only
# register once the old registration's session has expired: with the
# default 9 s session such a start took ~15 s, with 3 s it takes ~5 s.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000

# Small machine: few threads.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
    cat >"$LOG4J" <<EOF
# Generated by deploy/local/kafka.sh; level from RS_KAFKA_LOG_LEVEL.
log4j.rootLogger=$RS_KAFKA_LOG_LEVEL, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$BROKER_LOG
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

java_cmd() { # runs a class from the broker jars in the foreground
    "$JAVA" -Xmx256m -Dlog4j.configuration="file:$LOG4J" \
        -cp "$JAR_DIR/*" "$@" 8>&- 9>&-
}

format_if_needed() {
    if [[ -f $DATA_DIR/meta.properties ]]; then
        return 0
    fi
    local cluster_id out
    if ! cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>&1)" ||
        ! [[ $cluster_id =~ ^[A-Za-z0-9_-]{22}$ ]]; then
        die "could not make a KRaft cluster id with kafka.tools.StorageTool: $cluster_id"
    fi
    if ! out="$(java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "formatting the KRaft log dir $DATA_DIR failed (output above)"
    fi
    log "formatted new KRaft log dir $DATA_DIR (cluster id $cluster_id)"
}

# True if PID is a live broker started from this run dir (not a zombie,
# not a recycled pid now used by something else).
is_ours() { # PID
    local cmdline
    cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")" || return 1
    [[ $cmdline == *kafka.Kafka* && $cmdline == *"$PROPS"* ]]
}

answering() {
    local out
    # A closed port would make kcat wait out its whole timeout; skip that.
    port_in_use "$RS_KAFKA_PORT" || return 1
    out="$(kcat -b "$RS_KAFKA_BROKERS" -L -m 2 2>/dev/null)" || return 1
    [[ $out == *"broker 1 at"* ]]
}

show_log_tail() {
    if [[ -s $BROKER_LOG ]]; then
        printf -- '--- last 40 lines of %s ---\n' "$BROKER_LOG" >&2
        tail -n 40 "$BROKER_LOG" >&2
    fi
    if [[ -s $CONSOLE_LOG ]]; then
        printf -- '--- last 40 lines of %s ---\n' "$CONSOLE_LOG" >&2
        tail -n 40 "$CONSOLE_LOG" >&2
    fi
    printf -- '---\n' >&2
}

wait_ready() { # PID T0_MS
    local pid="$1" t0="$2" deadline=$((SECONDS + START_DEADLINE_S))
    while :; do
        if answering; then
            log "kafka up at $RS_KAFKA_BROKERS (pid $pid, ready after $(since "$t0"))"
            return 0
        fi
        if ! is_ours "$pid"; then
            rm -f "$PID_FILE"
            show_log_tail
            die "the kafka broker (pid $pid) exited before it answered at $RS_KAFKA_BROKERS (log above; if its data is the problem, '$0 fresh' starts over with none)"
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail
            die "the kafka broker (pid $pid) did not answer a metadata request at $RS_KAFKA_BROKERS within ${START_DEADLINE_S}s; it is still running ('$0 stop' stops it)"
        fi
        sleep 0.5
    done
}

# Keep the previous run's logs for one more start (post-mortem of a crash).
rotate_logs() {
    if [[ -s $BROKER_LOG ]]; then mv -f "$BROKER_LOG" "$BROKER_LOG.prev"; fi
    if [[ -s $CONSOLE_LOG ]]; then mv -f "$CONSOLE_LOG" "$CONSOLE_LOG.prev"; fi
    rm -f "$BROKER_LOG" "$CONSOLE_LOG"
}

launch() {
    local pid="" i
    rm -f "$PID_FILE"
    # New session (no terminal, no SIGHUP); the inner shell closes the fds
    # it inherited and writes its own pid, which exec makes the JVM's pid.
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
    setsid bash -c "$CLOSE_FDS"'; echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$PID_FILE" \
        "$JAVA" "-Xmx$RS_KAFKA_HEAP" "-Xms$RS_KAFKA_HEAP" \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$LOG4J" \
        -cp "$JAR_DIR/*" kafka.Kafka "$PROPS" \
        </dev/null >"$CONSOLE_LOG" 2>&1 &
    for ((i = 0; i < 100; i++)); do
        if [[ -s $PID_FILE ]]; then
            pid="$(<"$PID_FILE")"
            break
        fi
        sleep 0.05
    done
    [[ -n $pid ]] || die "the kafka broker process did not start (no pid file $PID_FILE after 5s)"
    printf '%s' "$pid"
}

start() {
    local pid t0
    t0="$(now_ms)"
    require_kcat
    take_lock 9 "$LOCK_FILE" "the broker in $KAFKA_DIR"
    if pid="$(running_pid)"; then
        if answering; then
            log "kafka already running at $RS_KAFKA_BROKERS (pid $pid)"
            return 0
        fi
        log "kafka (pid $pid) is running but not answering yet; waiting for it"
        wait_ready "$pid" "$t0"
        return 0
    fi
    if port_in_use "$RS_KAFKA_PORT"; then
        die "127.0.0.1:$RS_KAFKA_PORT (RS_KAFKA_PORT) is already in use by a process not started from $KAFKA_DIR; stop it or set another RS_KAFKA_PORT"
    fi
    if port_in_use "$RS_KAFKA_CONTROLLER_PORT"; then
        die "127.0.0.1:$RS_KAFKA_CONTROLLER_PORT (RS_KAFKA_CONTROLLER_PORT) is already in use by another process; stop it or set another RS_KAFKA_CONTROLLER_PORT"
    fi
    require_java
    fetch
    write_config
    rotate_logs
    format_if_needed
    pid="$(launch)"
    log "started kafka broker (pid $pid), waiting for $RS_KAFKA_BROKERS ..."
    wait_ready "$pid" "$t0"
}

stop() {
    local pid
    take_lock 9 "$LOCK_FILE" "the broker in $KAFKA_DIR"
    if ! pid="$(running_pid)"; then
        if port_in_use "$RS_KAFKA_PORT"; then
            log "warning: no broker from $KAFKA_DIR is running, but something else listens on 127.0.0.1:$RS_KAFKA_PORT; left alone" >&2
        fi
        log "kafka not running"
        return 0
    fi
    log "stopping kafka (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$pid" "$STOP_DEADLINE_S"; then
        log "kafka (pid $pid) still running after ${STOP_DEADLINE_S}s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait_exit "$pid" 10 || die "kafka (pid $pid) survived SIGKILL for 10s"
    fi
    rm -f "$PID_FILE"
    log "kafka stopped"
}

fresh() {
    stop
    log "deleting kafka data in $DATA_DIR"
    rm -rf "$DATA_DIR"
    start
}

status() {
    local pid=""
    require_kcat
    pid="$(running_pid)" || pid=""
    if answering; then
        if [[ -n $pid ]]; then
            log "kafka up at $RS_KAFKA_BROKERS (pid $pid)"
        else
            log "kafka up at $RS_KAFKA_BROKERS (not started from $KAFKA_DIR)"
        fi
        return 0
    fi
    if [[ -n $pid ]]; then
        log "kafka not answering at $RS_KAFKA_BROKERS (pid $pid is running)"
    else
        log "kafka not running (no Kafka broker answers at $RS_KAFKA_BROKERS)"
    fi
    return 1
}

logs() {
    [[ -f $BROKER_LOG ]] || die "no broker log yet at $BROKER_LOG (start the broker first)"
    if [[ ${1:-} == -f ]]; then
        exec tail -n 100 -F "$BROKER_LOG"
    fi
    tail -n 100 "$BROKER_LOG"
}

main() {
    check_settings
    case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart)
        stop
        start
        ;;
    fresh) fresh ;;
    status) status ;;
    logs) logs "${2:-}" ;;
    fetch)
        require_java
        fetch
        log "kafka $RS_KAFKA_VERSION jars ready in $JAR_DIR"
        ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"

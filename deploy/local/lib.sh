# shellcheck shell=bash
# Helpers shared by kafka.sh and redis.sh. Sourced after the caller has
# set PROG (its name, for messages) and PID_FILE, and it defines is_ours
# (whether a pid is the caller's service); the functions look those up
# when called.

log() { printf '%s\n' "$*"; }

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

now_ms() {
    local t="${EPOCHREALTIME//[!0-9]/}"
    printf '%s' "$((10#$t / 1000))"
}

since() { # T0_MS -> "12.34s"
    local ms=$(($(now_ms) - $1))
    printf '%d.%02ds' "$((ms / 1000))" "$((ms % 1000 / 10))"
}

# Print the pid of our running service; remove a stale pid file.
running_pid() {
    local pid
    [[ -f $PID_FILE ]] || return 1
    pid="$(<"$PID_FILE")"
    if [[ $pid =~ ^[0-9]+$ ]] && is_ours "$pid"; then
        printf '%s' "$pid"
        return 0
    fi
    rm -f "$PID_FILE"
    return 1
}

port_in_use() { # PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_exit() { # PID SECONDS
    local deadline=$((SECONDS + $2))
    while is_ours "$1"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

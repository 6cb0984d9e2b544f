#!/usr/bin/env bash
# Install everything riskstream needs to build, test and run its local
# Kafka + Redis stack on Debian (bookworm), then pre-fetch the Kafka broker
# jars. Idempotent: packages already installed are not touched, and the jar
# fetch is skipped when the cache is complete.
#
# Usage: tools/install-deps.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/.." && pwd)"
PROG="install-deps.sh"

PACKAGES=(
    build-essential cmake pkg-config         # C toolchain
    librdkafka-dev libavro-dev libhiredis-dev # riskstream's libraries
    liblz4-dev                                # the stored outbox's packing
    libcmocka-dev                             # unit tests
    redis-server redis-tools                  # local Redis (deploy/local/redis.sh)
    kcat                                      # Kafka readiness checks, debugging
    openjdk-17-jre-headless maven             # local Kafka broker (deploy/local/kafka.sh)
    jq
)

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

is_installed() { # PACKAGE
    local status
    status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" || return 1
    [[ $status == "install ok installed" ]]
}

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this script installs Debian packages and needs a Debian-based system"

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! is_installed "$pkg"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "all ${#PACKAGES[@]} Debian packages already installed"
else
    if ((EUID == 0)); then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        die "missing packages (${missing[*]}) need root to install, but this is not root and sudo is not available; install them as root or run this script as root"
    fi
    echo "installing ${#missing[@]} missing Debian package(s): ${missing[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update ||
        die "apt-get update failed (are the package sources reachable?)"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || die "package $pkg is still not installed after apt-get install"
    done
fi

"$REPO_ROOT/deploy/local/kafka.sh" fetch ||
    die "could not fetch the Kafka broker jars (deploy/local/kafka.sh fetch failed; see above)"

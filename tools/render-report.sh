#!/usr/bin/env bash
# Renders a backtest report's index.html to a PNG with headless Chromium,
# to check that the page and its plots show (CI, or a look without a
# browser at hand). The page is self-contained, so no network is needed.
#
# Usage: tools/render-report.sh REPORT_DIR OUT.png [WIDTHxHEIGHT]
#   default size 1400x3000; Chromium from $CHROMIUM or /usr/bin/chromium
#   (Debian: apt-get install chromium).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 REPORT_DIR OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
dir="$1"
out="$2"
size="${3:-1400x3000}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -f "$dir/index.html" ]; then
    echo "$0: no index.html in '$dir'" >&2
    exit 1
fi
if [ ! -x "$chromium" ]; then
    echo "$0: chromium not found at '$chromium' (apt-get install chromium, or set CHROMIUM)" >&2
    exit 1
fi
case "$out" in
/*) ;;
*) out="$PWD/$out" ;;
esac
page="$(cd "$dir" && pwd)/index.html"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

# A fresh profile, no background traffic; chromium's chatter goes to a log.
"$chromium" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update \
    --no-first-run --hide-scrollbars --user-data-dir="$profile" \
    --window-size="${size/x/,}" --screenshot="$out" "file://$page" \
    >"$profile/chromium.log" 2>&1 || {
    echo "$0: chromium failed:" >&2
    cat "$profile/chromium.log" >&2
    exit 1
}
if [ ! -s "$out" ]; then
    echo "$0: chromium wrote no image to '$out'" >&2
    cat "$profile/chromium.log" >&2
    exit 1
fi
echo "$out"

#!/usr/bin/env bash
# Where the time goes: callgrind on `wsmon tail` and on the dashboard
# (examples/dash_flood.rs) taking in a loopback flood.
#
#   benches/profile.sh [messages]      (default 200000)
#
# Writes callgrind.out files under $CARGO_TARGET_DIR/profile/ and prints the
# top functions (inclusive and self) of each with callgrind_annotate.
# Instruction counts are deterministic enough to compare before/after
# without caring about the machine's load.
set -euo pipefail

MESSAGES=${1:-200000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
REL=$TARGET/release
OUT=$TARGET/profile
mkdir -p "$OUT"

cargo build --release --bin wsmon --example flood_server --example dash_flood >&2

TMP=$(mktemp -d)
FLOOD_PID=
cleanup() {
    [[ -n $FLOOD_PID ]] && kill "$FLOOD_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
"$REL/examples/flood_server" --port 0 --messages "$MESSAGES" --size 100 >"$TMP/url" 2>/dev/null &
FLOOD_PID=$!
for _ in $(seq 100); do [[ -s $TMP/url ]] && break; sleep 0.05; done
URL=$(head -n 1 "$TMP/url")
PORT=$(sed -E 's#.*:([0-9]+)/$#\1#' <<<"$URL")
cat >"$TMP/p.toml" <<EOF
default_profile = "flood"
[profiles.flood]
server = "http://127.0.0.1:$PORT"
[[profiles.flood.endpoints]]
name = "flood"
url = "{ws}/"
EOF

show() {
    local file=$1
    echo "--- $2: total instructions $(grep -m1 '^summary:' "$file" | cut -d' ' -f2)"
    echo "    self (top 25):"
    callgrind_annotate --threshold=95 "$file" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '3,27p'
    echo "    inclusive (top 30):"
    callgrind_annotate --inclusive=yes --threshold=99 "$file" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '3,32p'
}

echo "== callgrind: wsmon tail, $MESSAGES messages" >&2
valgrind --tool=callgrind --callgrind-out-file="$OUT/tail.callgrind" \
    "$REL/wsmon" tail --config "$TMP/p.toml" --count "$MESSAGES" --log-file "$TMP/log" >/dev/null 2>"$TMP/vg1"
show "$OUT/tail.callgrind" "wsmon tail"

echo "== callgrind: dashboard (dash_flood), $MESSAGES messages" >&2
valgrind --tool=callgrind --callgrind-out-file="$OUT/dash.callgrind" \
    "$REL/examples/dash_flood" "$URL" "$MESSAGES" 2>"$TMP/vg2"
show "$OUT/dash.callgrind" "dashboard"

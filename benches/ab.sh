#!/usr/bin/env bash
# Before/after: two wsmon binaries taking in the same flood, interleaved.
#
#   benches/ab.sh BIN_A BIN_B [messages] [runs]     (defaults 1000000 7)
#
# Prints each binary's median wall time and the ratio B/A (below 1: B is
# faster). Same flood server (examples/flood_server.rs), output to /dev/null.
set -euo pipefail
A=$1 B=$2 MESSAGES=${3:-1000000} RUNS=${4:-7}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TMP=$(mktemp -d)
"$TARGET/release/examples/flood_server" --port 0 --messages "$MESSAGES" --size 100 >"$TMP/url" 2>/dev/null &
FLOOD=$!
trap 'kill $FLOOD 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [[ -s $TMP/url ]] && break; sleep 0.05; done
PORT=$(sed -E 's#.*:([0-9]+)/$#\1#' "$TMP/url")
printf 'default_profile = "flood"\n[profiles.flood]\nserver = "http://127.0.0.1:%s"\n[[profiles.flood.endpoints]]\nname = "flood"\nurl = "{ws}/"\n' "$PORT" >"$TMP/p.toml"
run() {
    local s e
    s=$(date +%s.%N)
    "$1" tail --config "$TMP/p.toml" --count "$MESSAGES" --log-file "$TMP/log" >/dev/null
    e=$(date +%s.%N)
    awk -v a="$s" -v b="$e" 'BEGIN { printf "%.4f", b - a }'
}
TA=() TB=()
for i in $(seq "$RUNS"); do
    TA+=("$(run "$A")")
    TB+=("$(run "$B")")
    echo "run $i: A ${TA[-1]}s B ${TB[-1]}s" >&2
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ma=$(med "${TA[@]}") mb=$(med "${TB[@]}")
echo "A $A: median ${ma}s"
echo "B $B: median ${mb}s"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "B/A time ratio: %.2fx\n", b / a }'

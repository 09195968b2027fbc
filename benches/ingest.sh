#!/usr/bin/env bash
# Ingest benchmark: how fast does `wsmon tail` take in a WebSocket flood,
# compared with websocat and with a bare tokio-tungstenite read loop?
#
#   benches/ingest.sh [messages] [runs]      (defaults: 1000000 5)
#
# Environment: SIZE (bytes per message, default 100), PEER_TIMEOUT (seconds
# one peer may take for one run, default 120), CARGO_TARGET_DIR (default
# ./target), WSMON_BIN (another wsmon binary to measure instead of the
# release build). websocat is taken from $TARGET/bench-tools/bin, else PATH, else
# installed there with `cargo install websocat --locked` (a few minutes, once).
#
# One flood server (examples/flood_server.rs, one thread) serves every
# connection a full flood of `messages` text messages, then closes with 1000.
# Each run times every peer receiving one flood, wall clock, output to
# /dev/null. A peer that fails its warm-up run is skipped, with the reason.
# Everything stays on 127.0.0.1.
set -euo pipefail

MESSAGES=${1:-1000000}
RUNS=${2:-5}
SIZE=${SIZE:-100}
PEER_TIMEOUT=${PEER_TIMEOUT:-120}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=$TARGET/bench-tools

say() { printf '%s\n' "$*" >&2; }

say "== building release: wsmon, flood_server, bare_client"
cargo build --release --bin wsmon --example flood_server --example bare_client
WSMON=${WSMON_BIN:-$TARGET/release/wsmon}
FLOOD=$TARGET/release/examples/flood_server
BARE=$TARGET/release/examples/bare_client

WEBSOCAT=
if [[ -x $TOOLS/bin/websocat ]]; then
    WEBSOCAT=$TOOLS/bin/websocat
elif command -v websocat >/dev/null 2>&1; then
    WEBSOCAT=$(command -v websocat)
else
    say "== installing websocat into $TOOLS (compiles for a few minutes, once)"
    if CARGO_TARGET_DIR=$TOOLS/build cargo install websocat --locked --root "$TOOLS"; then
        WEBSOCAT=$TOOLS/bin/websocat
    else
        say "cargo install websocat failed: websocat will be skipped"
    fi
fi

TMP=$(mktemp -d)
FLOOD_PID=
cleanup() {
    if [[ -n $FLOOD_PID ]]; then
        kill "$FLOOD_PID" 2>/dev/null || true
        wait "$FLOOD_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

"$FLOOD" --port 0 --messages "$MESSAGES" --size "$SIZE" >"$TMP/url" 2>"$TMP/flood.log" &
FLOOD_PID=$!
for _ in $(seq 100); do
    [[ -s $TMP/url ]] && break
    sleep 0.1
done
URL=$(head -n 1 "$TMP/url")
if [[ ! $URL =~ ^ws://127\.0\.0\.1:([0-9]+)/$ ]]; then
    say "flood server did not start (stdout: '$URL')"
    cat "$TMP/flood.log" >&2
    exit 1
fi
PORT=${BASH_REMATCH[1]}
say "== flood server at $URL: $MESSAGES messages of $SIZE bytes per connection"

cat >"$TMP/profiles.toml" <<EOF
default_profile = "flood"
[profiles.flood]
server = "http://127.0.0.1:$PORT"
[[profiles.flood.endpoints]]
name = "flood"
url = "{ws}/"
EOF

# One run of a peer, its stdout to $2 (default /dev/null), its stderr to
# $TMP/<peer>.err.
run_peer() {
    local peer=$1 out=${2:-/dev/null}
    case $peer in
    wsmon)
        timeout "$PEER_TIMEOUT" "$WSMON" tail --config "$TMP/profiles.toml" --profile flood \
            --count "$MESSAGES" >"$out" 2>"$TMP/$peer.err"
        ;;
    websocat)
        timeout "$PEER_TIMEOUT" "$WEBSOCAT" -t --no-close -U "$URL" >"$out" 2>"$TMP/$peer.err"
        ;;
    bare)
        local count
        count=$(timeout "$PEER_TIMEOUT" "$BARE" "$URL" 2>"$TMP/$peer.err") || return 1
        echo "$count" >"$out"
        [[ $count == "$MESSAGES" ]] || { echo "received $count of $MESSAGES" >>"$TMP/$peer.err"; return 1; }
        ;;
    esac
}

# The warm-up run, with a look at what the peer printed: an exit code of 0
# is not enough (a stub binary exits 0 at once and would look very fast).
warm_up() {
    local peer=$1 lines before after
    before=$(wc -l <"$TMP/flood.log")
    run_peer "$peer" "$TMP/$peer.out" || { echo "exit $?" >>"$TMP/$peer.err"; return 1; }
    lines=$(wc -l <"$TMP/$peer.out")
    case $peer in
    # one JSON line per event: exactly one message line per message, and
    # none lost (tail slows the socket down rather than drop)
    wsmon)
        lines=$(grep -c '"type":"message"' "$TMP/$peer.out" || true)
        ((lines == MESSAGES)) || { echo "printed $lines message lines for $MESSAGES messages" >>"$TMP/$peer.err"; return 1; }
        ! grep -q '"type":"dropped"' "$TMP/$peer.out" || { echo "dropped messages" >>"$TMP/$peer.err"; return 1; }
        ;;
    # one line per message
    websocat) ((lines == MESSAGES)) || { echo "printed $lines lines for $MESSAGES messages" >>"$TMP/$peer.err"; return 1; } ;;
    esac
    sleep 0.2
    after=$(wc -l <"$TMP/flood.log")
    ((after > before)) || { echo "never connected to the flood server" >>"$TMP/$peer.err"; return 1; }
}

# Server-side lines added since the last check that are not a full flood: a
# peer that quit early would otherwise just look fast.
LOG_SEEN=0
check_flood_log() {
    local peer=$1 lines
    sleep 0.2 # the server logs once the close handshake is over
    lines=$(wc -l <"$TMP/flood.log")
    tail -n +"$((LOG_SEEN + 1))" "$TMP/flood.log" | head -n "$((lines - LOG_SEEN))" |
        grep -v "sent $MESSAGES/$MESSAGES " | sed "s/^/   warning ($peer): /" >&2 || true
    LOG_SEEN=$lines
}

PEERS=()
say "== warm-up run per peer"
for peer in wsmon websocat bare; do
    if [[ $peer == websocat && -z $WEBSOCAT ]]; then
        say "skipping websocat: not installed"
        continue
    fi
    if warm_up "$peer"; then
        PEERS+=("$peer")
        say "   $peer ok"
    else
        say "skipping $peer: its warm-up run failed; last lines of its stderr:"
        tail -n 5 "$TMP/$peer.err" | sed 's/^/     /' >&2
    fi
    check_flood_log "$peer"
done
if [[ ${#PEERS[@]} -eq 0 ]]; then
    say "no peer could run"
    exit 1
fi

declare -A TIMES
for run in $(seq "$RUNS"); do
    for peer in "${PEERS[@]}"; do
        start=$(date +%s.%N)
        if ! run_peer "$peer"; then
            say "   run $run: $peer failed; see below"
            tail -n 5 "$TMP/$peer.err" | sed 's/^/     /' >&2
        fi
        end=$(date +%s.%N)
        check_flood_log "$peer"
        secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')
        TIMES[$peer]="${TIMES[$peer]:-} $secs"
        say "   run $run/$RUNS: $peer ${secs}s"
    done
done

median() {
    tr ' ' '\n' <<<"$1" | grep . | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A MEDIAN
echo
echo "ingest: $MESSAGES messages x $SIZE bytes, median of $RUNS runs, $(nproc) cores"
printf '%-10s %12s %14s   %s\n' peer "median (s)" "messages/s" "all runs (s)"
for peer in "${PEERS[@]}"; do
    m=$(median "${TIMES[$peer]}")
    MEDIAN[$peer]=$m
    rate=$(awk -v n="$MESSAGES" -v t="$m" 'BEGIN { printf "%.0f", (t > 0) ? n / t : 0 }')
    printf '%-10s %12s %14s  %s\n' "$peer" "$m" "$rate" "${TIMES[$peer]}"
done

ratio() {
    local a=$1 b=$2
    if [[ -n ${MEDIAN[$a]:-} && -n ${MEDIAN[$b]:-} ]]; then
        awk -v x="${MEDIAN[$a]}" -v y="${MEDIAN[$b]}" -v a="$a" -v b="$b" \
            'BEGIN { printf "%s/%s time ratio: %.2fx\n", a, b, (y > 0) ? x / y : 0 }'
    else
        echo "$a/$b time ratio: n/a (a peer was skipped)"
    fi
}
echo
ratio wsmon websocat
ratio wsmon bare
echo "(a ratio above 1 means wsmon took longer)"

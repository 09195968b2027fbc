#!/usr/bin/env bash
# Before/after at scale, paired: two wsmon binaries run `tail` side by side
# on the same scale server (examples/scale_server.rs, one message a second
# on each socket), N endpoints each, and their CPU over the same window is
# compared. Both see the same machine at the same moment, so the noise of
# a few-percent load mostly cancels in the ratio.
#
#   benches/scale_ab.sh BIN_A BIN_B [endpoints] [runs] [window_s] [null|pipe]
#                                    (defaults 1000 9 30 null)
#
# Prints each run's CPU % and ratio B/A, then the median ratio (below 1:
# B is cheaper). The start order alternates between runs.
set -euo pipefail
A=$1 B=$2 N=${3:-1000} RUNS=${4:-9} WINDOW=${5:-30} SINK=${6:-null}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TMP=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
start_tail() {
    if [[ $SINK == pipe ]]; then
        "$1" tail --config "$TMP/p.toml" --log-file /dev/null > >(cat >/dev/null) 2>/dev/null &
    else
        "$1" tail --config "$TMP/p.toml" --log-file /dev/null >/dev/null 2>/dev/null &
    fi
    echo $!
}
RATIOS=()
for run in $(seq "$RUNS"); do
    "$TARGET/release/examples/scale_server" --port 0 --expect $((2 * N)) --every 1s >"$TMP/srv.out" 2>/dev/null &
    SRV=$!
    PIDS=($SRV)
    for _ in $(seq 100); do [[ -s $TMP/srv.out ]] && break; sleep 0.05; done
    PORT=$(head -n 1 "$TMP/srv.out" | sed -E 's#.*:([0-9]+)/$#\1#')
    {
        echo 'default_profile = "bench"'
        echo '[profiles.bench]'
        echo "server = \"http://127.0.0.1:$PORT\""
        echo '[profiles.bench.settings]'
        echo 'connect_timeout = "60s"'
        for ((i = 0; i < N; i++)); do
            echo '[[profiles.bench.endpoints]]'
            printf 'name = "e%05d"\nurl = "{ws}/e%05d"\n' "$i" "$i"
        done
    } >"$TMP/p.toml"
    if ((run % 2)); then
        PA=$(start_tail "$A") PB=$(start_tail "$B")
    else
        PB=$(start_tail "$B") PA=$(start_tail "$A")
    fi
    PIDS+=("$PA" "$PB")
    # Every socket open, then a few seconds for the open lines to settle.
    for _ in $(seq 600); do grep -q '^all ' "$TMP/srv.out" && break; sleep 0.1; done
    sleep 3
    a0=$(ticks "$PA") b0=$(ticks "$PB") s0=$(date +%s.%N)
    sleep "$WINDOW"
    a1=$(ticks "$PA") b1=$(ticks "$PB") s1=$(date +%s.%N)
    kill -INT "$PA" "$PB" 2>/dev/null
    wait "$PA" "$PB" 2>/dev/null || true
    kill "$SRV" 2>/dev/null
    wait "$SRV" 2>/dev/null || true
    line=$(awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v s0="$s0" -v s1="$s1" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { d = s1 - s0; printf "%.2f %.2f %.3f", a / hz / d * 100, b / hz / d * 100, (b + 0.5) / (a + 0.5) }')
    read -r ca cb ratio <<<"$line"
    echo "run $run: A ${ca}% B ${cb}% B/A ${ratio}" >&2
    RATIOS+=("$ratio")
done
med=$(printf '%s\n' "${RATIOS[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "A $A, B $B: $N endpoints each, ${WINDOW}s windows, $SINK sink"
echo "B/A CPU ratio, median of $RUNS: ${med}x"

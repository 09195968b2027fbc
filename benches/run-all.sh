#!/usr/bin/env bash
# Every performance measurement of wsmon, one table at the end.
#
#   benches/run-all.sh [section...]
#
# Sections (all by default, in this order): ingest dash scale idle latency
# startup. The whole run takes about 10 minutes on a 2-core machine.
# Environment: CARGO_TARGET_DIR (default ./target), INGEST_MESSAGES
# (1000000), INGEST_RUNS (5), DASH_MESSAGES (3000000), DASH_RUNS (5), SCALE (1000), SCALE_BIG
# (10000), WSMON_BIN (another wsmon binary to measure), WINDOW (steady-state window in seconds, 10), STARTUP_RUNS (15).
# Each section is bounded by timeouts; a failed one leaves "n/a" in the
# table. Machines are noisy: read the ratios and medians.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
REL=$TARGET/release
WSMON=${WSMON_BIN:-$REL/wsmon}
INGEST_MESSAGES=${INGEST_MESSAGES:-1000000}
INGEST_RUNS=${INGEST_RUNS:-5}
DASH_MESSAGES=${DASH_MESSAGES:-3000000}
DASH_RUNS=${DASH_RUNS:-5}
SCALE=${SCALE:-1000}
SCALE_BIG=${SCALE_BIG:-10000}
WINDOW=${WINDOW:-10}
STARTUP_RUNS=${STARTUP_RUNS:-15}
SECTIONS=("$@")
[[ ${#SECTIONS[@]} -gt 0 ]] || SECTIONS=(ingest dash scale idle latency startup)

say() { printf '%s\n' "$*" >&2; }
want() { [[ " ${SECTIONS[*]} " == *" $1 "* ]]; }

say "== building release: wsmon and the bench examples"
cargo build --release --bin wsmon --example flood_server --example bare_client \
    --example dash_flood --example scale_server --example latency >&2 || exit 1

# fds for 10,000 sockets (the scale server runs in its own process).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# The table: rows of "measure|value|target|verdict".
ROWS=()
row() { ROWS+=("$1|$2|$3|$4"); }
median() {
    tr ' ' '\n' <<<"$*" | grep -E '^[0-9.]+$' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# `kv KEY LINE`: the value of KEY=VALUE in LINE.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }" 2>/dev/null || echo n/a; }
verdict() { awk "BEGIN { exit !($1) }" 2>/dev/null && echo met || echo "NOT met"; }

# Starts a server example; sets SERVER_URL and SERVER_OUT (its stdout file).
start_server() {
    local name=$1
    shift
    SERVER_OUT=$TMP/$name.$RANDOM.out
    "$REL/examples/$name" "$@" >"$SERVER_OUT" 2>>"$TMP/$name.err" &
    PIDS+=($!)
    SERVER_PID=$!
    for _ in $(seq 100); do
        [[ -s $SERVER_OUT ]] && break
        sleep 0.05
    done
    SERVER_URL=$(head -n 1 "$SERVER_OUT")
    SERVER_PORT=$(sed -E 's#.*:([0-9]+)/$#\1#' <<<"$SERVER_URL")
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
# profiles file with N endpoints on PORT: `profile_file FILE PORT N`
profile_file() {
    local file=$1 port=$2 n=$3 i
    {
        echo 'default_profile = "bench"'
        echo '[profiles.bench]'
        echo "server = \"http://127.0.0.1:$port\""
        echo '[profiles.bench.settings]'
        echo 'connect_timeout = "60s"'
        for ((i = 0; i < n; i++)); do
            echo '[[profiles.bench.endpoints]]'
            printf 'name = "e%05d"\nurl = "{ws}/e%05d"\n' "$i" "$i"
        done
    } >"$file"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- ingest
INGEST_RATE=
if want ingest; then
    say "== 1. ingest, headless (benches/ingest.sh $INGEST_MESSAGES $INGEST_RUNS)"
    if nice benches/ingest.sh "$INGEST_MESSAGES" "$INGEST_RUNS" >"$TMP/ingest.out"; then
        cat "$TMP/ingest.out" >&2
        w=$(awk '$1 == "wsmon" { print $2 }' "$TMP/ingest.out")
        INGEST_RATE=$(awk '$1 == "wsmon" { print $3 }' "$TMP/ingest.out")
        ws=$(awk '$1 == "websocat" { print $2 }' "$TMP/ingest.out")
        b=$(awk '$1 == "bare" { print $2 }' "$TMP/ingest.out")
        r1=$(calc "$w / $ws")
        r2=$(calc "$w / $b")
        row "ingest: wsmon tail / websocat (time, median of $INGEST_RUNS)" "${r1}x (${w}s vs ${ws}s)" "<= 0.7x" "$(verdict "$r1 <= 0.7")"
        row "ingest: wsmon tail / bare tungstenite loop (time)" "${r2}x (${b}s bare)" "<= 2.5x" "$(verdict "$r2 <= 2.5")"
        row "ingest: wsmon tail messages/s" "$INGEST_RATE" "-" "-"
    else
        row "ingest" "n/a (ingest.sh failed)" "" ""
    fi
fi

# ---------------------------------------------------------------- dash
if want dash; then
    say "== 2. ingest under the dashboard (TestBackend 120x40), $DASH_RUNS runs"
    start_server flood_server --port 0 --messages "$DASH_MESSAGES" --size 100
    rates=() fps=() keyms=() keymax=() tails=() kept=() keys=0 next=0
    for run in $(seq "$DASH_RUNS"); do
        line=$(nice timeout 150 "$REL/examples/dash_flood" "$SERVER_URL" "$DASH_MESSAGES" 2>>"$TMP/dash.err")
        say "   run $run: $line"
        rates+=("$(kv msgs_per_s "$line")") fps+=("$(kv fps "$line")")
        keyms+=("$(kv key_ms_median "$line")") keymax+=("$(kv key_ms_max "$line")")
        kept+=("$(calc "$(kv msgs "$line") / $DASH_MESSAGES * 100" 1)")
        keys=$((keys + $(kv keys "$line"))) next=$((next + $(kv next_frame "$line")))
        # the headless peer in the same run, against the same server
        cat >"$TMP/flood.toml" <<EOF
default_profile = "flood"
[profiles.flood]
server = "http://127.0.0.1:$SERVER_PORT"
[[profiles.flood.endpoints]]
name = "flood"
url = "{ws}/"
EOF
        s=$(date +%s.%N)
        nice timeout 120 "$WSMON" tail --config "$TMP/flood.toml" --count "$DASH_MESSAGES" --log-file "$TMP/dash.log" >/dev/null 2>>"$TMP/dash.err"
        e=$(date +%s.%N)
        tails+=("$(calc "$DASH_MESSAGES / ($e - $s)" 0)")
        say "   run $run: wsmon tail ${tails[-1]} msg/s"
    done
    stop_server
    dr=$(median "${rates[@]}")
    tr_=$(median "${tails[@]}")
    ratio=$(calc "$dr / $tr_")
    row "dashboard: messages/s reaching the model / headless tail (same run, median of $DASH_RUNS)" "${ratio}x ($dr vs $tr_; $(median "${kept[@]}")% of the flood kept)" ">= 0.5x" "$(verdict "$ratio >= 0.5")"
    f=$(median "${fps[@]}")
    row "dashboard: frames drawn per second under the flood" "$f" "<= 30" "$(verdict "$f <= 30")"
    k=$(median "${keyms[@]}")
    km=$(median "${keymax[@]}")
    row "dashboard: key -> frame showing it (median; median of per-run max)" "${k} ms; ${km} ms; next frame for $next/$keys keys" "within 1 frame" "$(verdict "$next == $keys")"
fi

# ---------------------------------------------------------------- scale
# `scale_run N LABEL [pipe]`: wsmon tail with N endpoints, output to
# /dev/null (written inline), or with `pipe` into `cat` (a pipe: written by
# wsmon's output thread).
scale_run() {
    local n=$1 label=$2 sink=${3:-null} pid launched all open_ms cpu0 cpu1 t0 t1 cpu rss hwm
    start_server scale_server --port 0 --expect "$n" --every 1s
    profile_file "$TMP/scale.toml" "$SERVER_PORT" "$n"
    launched=$(now_ms)
    if [[ $sink == pipe ]]; then
        "$WSMON" tail --config "$TMP/scale.toml" --log-file "$TMP/scale.log" > >(cat >/dev/null) 2>>"$TMP/scale.err" &
    else
        "$WSMON" tail --config "$TMP/scale.toml" --log-file "$TMP/scale.log" >/dev/null 2>>"$TMP/scale.err" &
    fi
    pid=$!
    PIDS+=($pid)
    for _ in $(seq 600); do
        grep -q '^all ' "$SERVER_OUT" && break
        sleep 0.1
    done
    all=$(awk '/^all / { print $5 }' "$SERVER_OUT")
    if [[ -n $all ]]; then open_ms=$((all - launched)); else open_ms=n/a; fi
    sleep 3 # steady state: the open lines written, one message per second per session
    t0=$(date +%s.%N) cpu0=$(cpu_ticks $pid)
    sleep "$WINDOW"
    t1=$(date +%s.%N) cpu1=$(cpu_ticks $pid)
    cpu=$(calc "($cpu1 - $cpu0) / $(getconf CLK_TCK) / ($t1 - $t0) * 100" 1)
    rss=$(rss_kib $pid) hwm=$(hwm_kib $pid)
    kill -INT $pid 2>/dev/null
    wait $pid 2>/dev/null
    stop_server
    say "   $label: all open after ${open_ms} ms, CPU ${cpu}%, RSS ${rss} KiB (peak ${hwm} KiB)"
    SCALE_OPEN=$open_ms SCALE_CPU=$cpu SCALE_RSS=$rss SCALE_HWM=$hwm
}
if want scale; then
    say "== 3. scale: $SCALE endpoints (tail to /dev/null and into a pipe, then the dashboard), $SCALE_BIG (tail)"
    scale_run "$SCALE" "$SCALE endpoints"
    row "scale $SCALE, tail: launch -> all OPEN" "$SCALE_OPEN ms" "<= 5000 ms" "$(verdict "$SCALE_OPEN <= 5000")"
    row "scale $SCALE, tail: RSS (peak)" "$(calc "$SCALE_RSS / 1024" 1) MiB ($(calc "$SCALE_HWM / 1024" 1))" "<= 64 MiB" "$(verdict "$SCALE_HWM <= 65536")"
    row "scale $SCALE, tail: CPU, ${WINDOW}s steady state" "$SCALE_CPU %" "<= 5 %" "$(verdict "$SCALE_CPU <= 5")"
    scale_run "$SCALE" "$SCALE endpoints, into a pipe" pipe
    row "scale $SCALE, tail into a pipe (to cat): CPU, ${WINDOW}s" "$SCALE_CPU %" "<= 5 %" "$(verdict "$SCALE_CPU <= 5")"
    # the same profile in the dashboard (the real binary in a pty, 120x40)
    start_server scale_server --port 0 --expect "$SCALE" --every 1s
    profile_file "$TMP/scale.toml" "$SERVER_PORT" "$SCALE"
    launched=$(now_ms)
    out=$(python3 benches/ptyrun.py --marker "Sessions" --settle 4 --window "$WINDOW" --timeout 10 -- \
        "$WSMON" --config "$TMP/scale.toml" --log-file "$TMP/scale-dash.log")
    all=$(awk '/^all / { print $5 }' "$SERVER_OUT")
    stop_server
    say "   dashboard, $SCALE endpoints: $out; all open at +$((${all:-0} - launched)) ms"
    j() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$out" "$1" 2>/dev/null; }
    if [[ -n $all ]]; then open_ms=$((all - launched)); else open_ms=n/a; fi
    row "scale $SCALE, dashboard in a pty: launch -> all OPEN" "$open_ms ms" "<= 5000 ms" "$(verdict "$open_ms <= 5000")"
    row "scale $SCALE, dashboard: RSS (peak)" "$(calc "$(j rss_kib) / 1024" 1) MiB ($(calc "$(j hwm_kib) / 1024" 1))" "<= 64 MiB" "$(verdict "$(j hwm_kib) <= 65536")"
    row "scale $SCALE, dashboard: CPU, ${WINDOW}s steady state" "$(j cpu_pct) %" "<= 5 %" "$(verdict "$(j cpu_pct) <= 5")"
    scale_run "$SCALE_BIG" "$SCALE_BIG endpoints"
    row "scale $SCALE_BIG, tail: launch -> all OPEN" "$SCALE_OPEN ms" "reported" "-"
    row "scale $SCALE_BIG, tail: RSS (peak)" "$(calc "$SCALE_RSS / 1024" 1) MiB ($(calc "$SCALE_HWM / 1024" 1))" "reported" "-"
    row "scale $SCALE_BIG, tail: CPU, ${WINDOW}s steady state" "$SCALE_CPU %" "reported" "-"
fi

# ---------------------------------------------------------------- idle
if want idle; then
    say "== 4. idle: the dashboard binary in a pty (120x40), 10 quiet sessions, ${WINDOW}s"
    start_server scale_server --port 0 --every 0s
    profile_file "$TMP/idle.toml" "$SERVER_PORT" 10
    out=$(python3 benches/ptyrun.py --marker "Sessions" --settle 3 --window "$WINDOW" --timeout 10 -- \
        "$WSMON" --config "$TMP/idle.toml" --log-file "$TMP/idle.log")
    stop_server
    say "   $out"
    cpu=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("cpu_pct"))' "$out" 2>/dev/null)
    rss=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("rss_kib"))' "$out" 2>/dev/null)
    hwm=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("hwm_kib"))' "$out" 2>/dev/null)
    row "idle dashboard, 10 quiet sessions: CPU" "$cpu %" "<= 1 %" "$(verdict "$cpu <= 1")"
    row "idle dashboard: RSS (peak)" "$(calc "$rss / 1024" 1) MiB ($(calc "$hwm / 1024" 1))" "<= 20 MiB" "$(verdict "$hwm <= 20480")"
fi

# ---------------------------------------------------------------- latency
if want latency; then
    say "== 5. latency"
    reset=$(nice timeout 120 "$REL/examples/latency" reset 200 2>>"$TMP/latency.err")
    say "   $reset"
    m=$(kv median_ms "$reset")
    row "TCP reset -> model (median of $(kv rounds "$reset"); p90)" "$m ms; $(kv p90_ms "$reset") ms" "<= 5 ms" "$(verdict "$m <= 5")"
    tl=$(timeout 120 "$REL/examples/latency" line wsmon 300 -- "$WSMON" tail --config '{config}' --log-file "$TMP/lat.log" 2>>"$TMP/latency.err")
    say "   $tl"
    peer=
    WEBSOCAT=$TARGET/bench-tools/bin/websocat
    [[ -x $WEBSOCAT ]] || WEBSOCAT=$(command -v websocat || true)
    if [[ -n $WEBSOCAT ]]; then
        peer=$(timeout 120 "$REL/examples/latency" line websocat 300 -- "$WEBSOCAT" -t -U '{url}' 2>>"$TMP/latency.err")
        say "   $peer"
    fi
    m=$(kv median_ms "$tl")
    pm=$(kv median_ms "$peer")
    row "message sent -> tail line read (median, 1 msg/10 ms; p90)" "$m ms; $(kv p90_ms "$tl") ms" "<= 1 ms" "$(verdict "$m <= 1")"
    [[ -n $peer ]] && row "  same for websocat -t -U (peer); wsmon/websocat" "$pm ms; $(calc "$m / $pm")x" "-" "-"
fi

# ---------------------------------------------------------------- startup
if want startup; then
    say "== 6. startup: launch -> first frame in a pty, $STARTUP_RUNS runs"
    start_server scale_server --port 0 --every 0s
    profile_file "$TMP/start.toml" "$SERVER_PORT" 10
    firsts=() peers=()
    for run in $(seq "$STARTUP_RUNS"); do
        o=$(python3 benches/ptyrun.py --marker "Sessions" --timeout 10 -- \
            "$WSMON" --config "$TMP/start.toml" --log-file "$TMP/start.log")
        firsts+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["first_ms"])' "$o" 2>/dev/null)")
        [[ ${firsts[-1]} == None ]] && say "   run $run: no first frame seen: $o"
        # peer: the same binary printing a short text and exiting
        o=$(python3 benches/ptyrun.py --marker "1006" --timeout 10 -- "$WSMON" explain 1006 --log-file "$TMP/start.log")
        peers+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["first_ms"])' "$o" 2>/dev/null)")
    done
    stop_server
    say "   first frame (ms): ${firsts[*]}"
    say "   wsmon explain 1006 first output (ms): ${peers[*]}"
    f=$(median "${firsts[@]}")
    p=$(median "${peers[@]}")
    missed=$(grep -o None <<<"${firsts[*]}" | wc -l)
    row "startup: launch -> first frame (median of $STARTUP_RUNS, $missed without a frame in 10 s)" "$f ms ($(calc "$f / $p")x \`wsmon explain\`'s $p ms)" "<= 100 ms" "$(verdict "$f <= 100")"
fi

# ---------------------------------------------------------------- table
echo
echo "wsmon performance, $(date -u +%Y-%m-%d), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | result | target | |"
echo "|---|---|---|---|"
for r in "${ROWS[@]}"; do
    IFS='|' read -r a b c d <<<"$r"
    echo "| $a | $b | $c | $d |"
done

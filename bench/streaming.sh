#!/usr/bin/env bash
# bench/streaming.sh — how many concurrent token streams one perfgate
# process holds, what that does to the TTFT it measures, and its CPU cost
# per streamed token.
#
# How: `perfgate mock` (slots=100000, decode_ms=50, output_tokens=40,
# ttft_ms=20, prefill_us=0, jitter 0) on CPU 0; `perfgate run` of a
# generated suite on CPU 1 with concurrency BENCH_STREAMS (default 10000),
# streamed, for BENCH_WARMUP_SECONDS (default 5) of warmup then
# BENCH_STREAM_SECONDS (default 10) measured. The open-files limit is
# raised to fit (both processes hold one socket per stream).
#   - streams held: established client connections to the mock, sampled
#     with `ss` every second of the measured window (peak and median).
#   - TTFT p50/p99 from results.json against the mock's configured TTFT
#     (ttft_ms); the excess is queueing in the mock, the kernel or perfgate.
#   - tokens/s sustained, N x tokens per request / mean e2e (Little's law,
#     exact for a closed loop), against the ideal N x 40 / (ttft + 39 x
#     decode): below 100% means the mock or perfgate could not keep up.
#   - client CPU per token: perfgate's user + sys ticks (/proc/PID/stat)
#     over the steady middle of the measured window (1 s trimmed at each
#     end) divided by the tokens sustained over that time. The mock's CPU
#     share over the same time is shown: near 100% means the mock, not
#     perfgate, was the ceiling.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STREAMS=${BENCH_STREAMS:-10000}
SECS=${BENCH_STREAM_SECONDS:-10}
WARM=${BENCH_WARMUP_SECONDS:-5}
DECODE_MS=${BENCH_DECODE_MS:-50}
TTFT_MS=20
TOKENS=40

find_perfgate
have_ss=1
command -v ss >/dev/null 2>&1 || {
	have_ss=0
	log "warning: no ss (iproute2); streams held will not be sampled"
}

limit=$(raise_nofile $((STREAMS + 1024)))
if [ "$limit" != unlimited ] && [ "$limit" -lt $((STREAMS + 256)) ]; then
	log "warning: open-files limit is $limit; running $((limit - 256)) streams instead of $STREAMS"
	STREAMS=$((limit - 256))
fi

start_mock streams slots=100000 decode_ms="$DECODE_MS" output_tokens="$TOKENS" \
	ttft_ms="$TTFT_MS" prefill_us=0 jitter=0
SUITE=$BENCH_TMP/streaming.yaml
write_suite "$SUITE" streaming "$MOCK_URL" "$TOKENS" "      concurrency: $STREAMS
      duration: ${SECS}s
      warmup: ${WARM}s
      timeout: 120s"

OUT=$BENCH_TMP/run
"${PIN_CLIENT[@]}" "$PERFGATE" run "$SUITE" --out "$OUT" --workers "$BENCH_WORKERS" --no-color \
	>"$BENCH_TMP/run.out" 2>"$BENCH_TMP/run.err" &
PG_PID=$!
log "perfgate run, $STREAMS streams, ${WARM}s warmup + ${SECS}s (pid $PG_PID)"

# Sample once a second until perfgate exits; stop it past a deadline.
start=$(now_us)
deadline=$(((WARM + SECS + 120) * 1000000))
win0=$(((WARM + 1) * 1000000))   # steady part of the window for CPU
win1=$(((WARM + SECS - 1) * 1000000))
cpu0="" cpu1="" t0="" t1="" mcpu0="" mcpu1=""
: >"$BENCH_TMP/held"
while kill -0 "$PG_PID" 2>/dev/null; do
	el=$(($(now_us) - start))
	if [ -z "$cpu0" ] && [ "$el" -ge "$win0" ]; then
		cpu0=$(proc_cpu_ticks "$PG_PID") t0=$(now_us) mcpu0=$(proc_cpu_ticks "$MOCK_PID")
	fi
	if [ -z "$cpu1" ] && [ "$el" -ge "$win1" ]; then
		cpu1=$(proc_cpu_ticks "$PG_PID") t1=$(now_us) mcpu1=$(proc_cpu_ticks "$MOCK_PID")
	fi
	if [ "$have_ss" = 1 ] && [ "$el" -ge $((WARM * 1000000)) ] &&
		[ "$el" -le $(((WARM + SECS) * 1000000)) ]; then
		ss -Htn state established "( dport = :$MOCK_PORT )" 2>/dev/null | wc -l \
			>>"$BENCH_TMP/held"
	fi
	if [ "$el" -ge "$deadline" ]; then
		log "perfgate run outlived its deadline; interrupting it"
		kill -INT "$PG_PID" 2>/dev/null || true
		break
	fi
	sleep 1
done
rc=0
wait "$PG_PID" || rc=$?
# exit 1 only means a requirement failed; this suite has none
[ "$rc" -eq 0 ] || die "perfgate run exited $rc: $(tail -5 "$BENCH_TMP/run.err")"
R=$OUT/results.json
[ -f "$R" ] || die "no results.json"

# streams held
if [ -s "$BENCH_TMP/held" ]; then
	read -r peak median n <<<"$(sort -n "$BENCH_TMP/held" |
		awk '{ v[NR] = $1 } END { print v[NR], v[int((NR + 1) / 2)], NR }')"
	echo "streams held: peak $peak, median $median of $STREAMS requested ($n samples)"
else
	echo "streams held: not sampled (no ss) of $STREAMS requested"
fi

ok=$(jget "$R" 'm["requests"]["succeeded"]')
if [ "$ok" = 0 ]; then
	echo "stream ttft: n/a, no measured stream completed (the streams outlasted the run:" \
		"raise BENCH_STREAM_SECONDS, or lower BENCH_STREAMS)"
	exit 1
fi

# TTFT against configuration
p50=$(jget "$R" 'm["ttft"]["p50"]')
p99=$(jget "$R" 'm["ttft"]["p99"]')
echo "stream ttft p50 $(calc %.2f "$p50") ms, p99 $(calc %.2f "$p99") ms (mock configured $TTFT_MS ms:" \
	"$(calc '%+.2f' "$p50 - $TTFT_MS") / $(calc '%+.2f' "$p99 - $TTFT_MS") ms)"

# Throughput: in closed loop every virtual user is always in a request, so
# the sustained rate is N x tokens per request / mean e2e (Little's law).
# (output_tokens_per_s counts whole requests completed in the window, which
# is coarse when requests last seconds and start in waves.)
e2e_mean=$(jget "$R" 'm["e2e"]["mean"]')
per_req=$(jget "$R" 'm["tokens"]["output_total"] / max(1, m["requests"]["succeeded"])')
tps=$(calc '%.1f' "$STREAMS * $per_req * 1000 / $e2e_mean")
ideal=$(calc '%.0f' "$STREAMS * $TOKENS * 1000 / ($TTFT_MS + ($TOKENS - 1) * $DECODE_MS)")
echo "stream tokens/s: $(calc '%.0f' "$tps") sustained of ideal $ideal ($(calc '%.1f' "100 * $tps / $ideal")%)"

# client CPU per streamed token
if [ -n "$cpu0" ] && [ -n "$cpu1" ] && [ "$t1" -gt "$t0" ]; then
	cpu_s=$(calc '%.4f' "($cpu1 - $cpu0) / $CLK_TCK")
	wall_s=$(calc '%.4f' "($t1 - $t0) / 1e6")
	echo "stream client CPU: $(calc '%.2f' "$cpu_s * 1e6 / ($tps * $wall_s)") us/token" \
		"($(calc '%.0f' "100 * $cpu_s / $wall_s")% of one core at $(calc '%.0f' "$tps") tokens/s;" \
		"mock $(calc '%.0f' "100 * (${mcpu1:-0} - ${mcpu0:-0}) / $CLK_TCK / $wall_s")%)"
else
	echo "stream client CPU: not measured (run ended before the steady window)"
fi

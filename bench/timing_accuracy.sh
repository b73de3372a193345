#!/usr/bin/env bash
# bench/timing_accuracy.sh — how close perfgate's TTFT and e2e are to what
# a server actually did, at moderate load.
#
# How: `perfgate mock` on CPU 0 is told exactly what to produce: TTFT 30 ms
# (ttft_ms=30, prefill_us=0, jitter=0), then 11 more tokens 10 ms apart
# (output_tokens=12, decode_ms=10), so e2e = 30 + 11 x 10 = 140 ms. perfgate
# runs on CPU 1 at concurrency 20 for BENCH_SECONDS (default 10) after 1 s
# of warmup. results.json has distributions, not per-request times, so:
#   - error = measured - configured, for p50 and p99 of ttft and e2e (a
#     client can never see a token before it is sent, so errors are >= 0
#     up to histogram resolution, ~0.05% of the value, i.e. ~15 us at
#     30 ms; what remains is connection, kernel and client overhead).
#   - the mock's truth_log (one line per answer: seq, CLOCK_MONOTONIC times
#     right after it wrote the first token and the last byte, tokens; read
#     after the mock stops, as it buffers) gives the server-side spread
#     (last - first byte) is compared with perfgate's (e2e - ttft), which
#     is tpot x (tokens - 1) per request since every answer has 12 tokens.
# Prints:
#   ttft error p50 X us, p99 Y us (targets < 50 us, < 500 us)
#   e2e error p50 X us, p99 Y us (configured 140 ms)
#   stream spread ...: server p50/p99 vs perfgate p50/p99, and the error
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECS=${BENCH_SECONDS:-10}
CONC=${BENCH_CONCURRENCY:-20}
TTFT_MS=30
DECODE_MS=10
TOKENS=12
E2E_MS=$((TTFT_MS + (TOKENS - 1) * DECODE_MS))

find_perfgate
TRUTH=$BENCH_TMP/truth.log
mock_args=(slots=1000 "decode_ms=$DECODE_MS" "output_tokens=$TOKENS" "ttft_ms=$TTFT_MS" prefill_us=0
	jitter=0 batch_slowdown=0 "truth_log=$TRUTH")
start_mock timing "${mock_args[@]}"

SUITE=$BENCH_TMP/timing.yaml
write_suite "$SUITE" timing "$MOCK_URL" "$TOKENS" "      concurrency: $CONC
      duration: ${SECS}s
      warmup: 1s
      timeout: 30s"
rc=0
REQLOG=$BENCH_TMP/requests.log
run_perfgate_bounded $((SECS + 120)) "$BENCH_TMP/run.out" "$BENCH_TMP/run.err" \
	run "$SUITE" --out "$BENCH_TMP/run" --workers "$BENCH_WORKERS" --no-color \
	--request-log "$REQLOG" || rc=$?
[ "$rc" -eq 0 ] || die "perfgate run exited $rc: $(tail -5 "$BENCH_TMP/run.err")"
R=$BENCH_TMP/run/results.json

err_us() { calc '%+.0f' "($1 - $2) * 1000"; }

t50=$(jget "$R" 'm["ttft"]["p50"]')
t99=$(jget "$R" 'm["ttft"]["p99"]')
e50=$(jget "$R" 'm["e2e"]["p50"]')
e99=$(jget "$R" 'm["e2e"]["p99"]')
need_value "$t50" ttft
need_value "$e50" e2e
echo "ttft error p50 $(err_us "$t50" "$TTFT_MS") us, p99 $(err_us "$t99" "$TTFT_MS") us" \
	"(targets < 50 us, < 500 us)"
echo "e2e error p50 $(err_us "$e50" "$E2E_MS") us, p99 $(err_us "$e99" "$E2E_MS") us" \
	"(configured $E2E_MS ms)"

# the mock buffers its truth log and writes the rest when it stops
stop_server
[ -s "$TRUTH" ] || die "the mock wrote no truth log"
# server spread p50 and p99 (ms) over complete answers, nearest rank
read -r s50 s99 n <<<"$(python3 - "$TRUTH" "$TOKENS" <<'EOF'
import math, sys
want = int(sys.argv[2])
v = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 4 and int(f[3]) == want:
        v.append((int(f[2]) - int(f[1])) / 1e6)
v.sort()
rank = lambda p: v[max(0, math.ceil(p / 100 * len(v)) - 1)]
print(rank(50), rank(99), len(v)) if v else print("nan nan 0")
EOF
)"
[ "$n" -gt 0 ] || die "no complete answers in the truth log"
g50=$(jget "$R" "(lambda v: v and v * ($TOKENS - 1))(m[\"tpot\"][\"p50\"])")
g99=$(jget "$R" "(lambda v: v and v * ($TOKENS - 1))(m[\"tpot\"][\"p99\"])")
need_value "$g99" tpot
echo "stream spread (last - first byte): server p50 $(calc %.3f "$s50") ms," \
	"p99 $(calc %.3f "$s99") ms ($n answers); perfgate (e2e - ttft) p50" \
	"$(calc %.3f "$g50") ms, p99 $(calc %.3f "$g99") ms; error p50 $(err_us "$g50" "$s50")" \
	"us, p99 $(err_us "$g99" "$s99") us"

# Per request: perfgate's --request-log and the mock's truth log share
# CLOCK_MONOTONIC. Answers are paired in order of first byte (at this load
# first bytes are milliseconds apart while the error is microseconds, so the
# orders agree); the error is when perfgate saw a byte minus when the mock
# wrote it: the client-side measurement error, network path included.
python3 - "$TRUTH" "$REQLOG" "$TOKENS" <<'EOF'
import math, sys
want = int(sys.argv[3])
truth = sorted((int(f[1]), int(f[2])) for f in (l.split() for l in open(sys.argv[1]))
               if len(f) >= 4 and int(f[3]) == want)
seen = sorted((int(f[2]), int(f[3])) for f in (l.split() for l in open(sys.argv[2])
                                               if not l.startswith("#"))
              if len(f) >= 6 and f[5] == "ok")
if not truth or not seen:
    sys.exit("no answers to pair")
# the mock also logged warmup answers: pair each perfgate answer with the
# latest truth entry at or before it, walking both lists in order
pairs, j = [], 0
for s_first, s_last in seen:
    while j + 1 < len(truth) and truth[j + 1][0] <= s_first:
        j += 1
    if truth[j][0] <= s_first:
        pairs.append((s_first - truth[j][0], s_last - truth[j][1]))
first = sorted(p[0] / 1e3 for p in pairs)
last = sorted(p[1] / 1e3 for p in pairs)
rank = lambda v, p: v[max(0, math.ceil(p / 100 * len(v)) - 1)]
print("per-request ttft error vs the mock's send time: p50 %+.0f us, p99 %+.0f us over %d answers "
      "(targets < 50 us, < 500 us)" % (rank(first, 50), rank(first, 99), len(first)))
print("per-request last-byte error: p50 %+.0f us, p99 %+.0f us" % (rank(last, 50), rank(last, 99)))
EOF

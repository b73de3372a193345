#!/usr/bin/env bash
# bench/pacing.sh — whether perfgate's open-loop generator sends on
# schedule at a high constant rate.
#
# How: an open-loop run at BENCH_RATE (default 5000) requests/s with
# constant arrivals for BENCH_SECONDS (default 10) after 1 s of warmup,
# perfgate on CPU 1, the server on CPU 0. The server is `perfgate mock`
# (decode_ms=1, output_tokens=4, ttft_ms=1, prefill_us=0, slots=100000:
# short streamed answers), or nginx with BENCH_PACING_TARGET=nginx (then
# `perfgate load URL --rate R --arrival constant` with the http adapter).
# Schedule lag is t(request handed to the transport) - t(scheduled start);
# a send is late when its lag exceeds 1 ms (requests.late).
# Prints:
#   pacing: schedule lag p99 X ms, late sends Y% (N of M) at R/s (targets < 1 ms, < 1 %)
#   pacing: achieved A req/s of R/s, errors E%
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECS=${BENCH_SECONDS:-10}
RATE=${BENCH_RATE:-5000}
TARGET=${BENCH_PACING_TARGET:-mock}

find_perfgate
limit=$(raise_nofile 65536)
log "open-files limit $limit"
OUT=$BENCH_TMP/run
rc=0
case "$TARGET" in
mock)
	start_mock pacing slots=100000 decode_ms=1 output_tokens=4 ttft_ms=1 prefill_us=0 jitter=0
	SUITE=$BENCH_TMP/pacing.yaml
	write_suite "$SUITE" pacing "$MOCK_URL" 4 "      rate: $RATE/s
      arrival: constant
      duration: ${SECS}s
      warmup: 1s
      timeout: 10s"
	run_perfgate_bounded $((SECS + 120)) "$BENCH_TMP/run.out" "$BENCH_TMP/run.err" \
		run "$SUITE" --out "$OUT" --workers "$BENCH_WORKERS" --no-color || rc=$?
	;;
nginx)
	ensure_packages nginx
	start_nginx
	mkdir -p "$OUT"
	run_perfgate_bounded $((SECS + 120)) "$BENCH_TMP/run.out" "$BENCH_TMP/run.err" \
		load "http://127.0.0.1:$NGINX_PORT/" --rate "$RATE" --arrival constant \
		--workers "$BENCH_WORKERS" \
		-d "${SECS}s" --timeout 10s --json "$OUT/results.json" --no-color || rc=$?
	;;
*) die "BENCH_PACING_TARGET must be mock or nginx, not '$TARGET'" ;;
esac
[ "$rc" -eq 0 ] || die "perfgate exited $rc: $(tail -5 "$BENCH_TMP/run.err")"
R=$OUT/results.json

lag99=$(jget "$R" 'm["schedule_lag"]["p99"]')
late=$(jget "$R" 'm["requests"].get("late")')
total=$(jget "$R" 'm["requests"]["total"]')
need_value "$lag99" schedule_lag
if [ "$late" = null ] || [ "$late" = None ]; then
	late_txt="late sends n/a (this perfgate reports no requests.late)"
else
	late_txt="late sends $(calc '%.3f' "$total > 0 ? 100 * $late / $total : 0")% ($late of $total)"
fi
echo "pacing: schedule lag p99 $(calc '%.3f' "$lag99") ms, $late_txt at $RATE/s" \
	"(targets < 1 ms, < 1 %)"
rps=$(jget "$R" 'm["throughput"]["rps"]')
erate=$(jget "$R" 'm["errors"]["count"] * 100.0 / max(1, m["requests"]["total"])')
echo "pacing: achieved $(calc '%.0f' "$rps") req/s of $RATE/s, errors $(calc '%.3f' "$erate")%"

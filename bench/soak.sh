#!/usr/bin/env bash
# bench/soak.sh — whether perfgate's memory stays flat over a long run.
#
# How: an open-loop run at BENCH_SOAK_RATE (default 1000) requests/s with
# Poisson arrivals against `perfgate mock` (decode_ms=2, output_tokens=16,
# ttft_ms=5, prefill_us=0, slots=100000) for BENCH_SOAK_SECONDS (default
# 1800; `--short` makes it 60). perfgate runs on CPU 1, the mock on CPU 0.
# Every 5 s the script reads perfgate's VmRSS (/proc/PID/status) into a CSV
# (elapsed_s,rss_kb), kept in BENCH_OUT (default /tmp/perfgate-bench-out).
# The slope is a least-squares fit of RSS over time, leaving out the first
# 10% of the run (and at least 10 s) where buffers and histograms grow to
# their working size; it is shown in MB per 10 minutes.
# Prints:
#   soak: RSS first X MB, max Y MB, last Z MB, slope S MB/10min over T s at R/s (targets: flat, < 100 MB)
#   soak: N requests, errors E%, samples in FILE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECS=${BENCH_SOAK_SECONDS:-1800}
[ "${1:-}" = --short ] && SECS=60
RATE=${BENCH_SOAK_RATE:-1000}
OUTDIR=${BENCH_OUT:-${TMPDIR:-/tmp}/perfgate-bench-out}
CSV=$OUTDIR/soak-rss.csv
INTERVAL=5

find_perfgate
mkdir -p "$OUTDIR"
limit=$(raise_nofile 65536)
log "open-files limit $limit"
start_mock soak slots=100000 decode_ms=2 output_tokens=16 ttft_ms=5 prefill_us=0
SUITE=$BENCH_TMP/soak.yaml
write_suite "$SUITE" soak "$MOCK_URL" 16 "      rate: $RATE/s
      arrival: poisson
      duration: ${SECS}s
      timeout: 30s"

OUT=$BENCH_TMP/run
"${PIN_CLIENT[@]}" "$PERFGATE" run "$SUITE" --out "$OUT" --workers "$BENCH_WORKERS" --no-color \
	>"$BENCH_TMP/run.out" 2>"$BENCH_TMP/run.err" &
PG_PID=$!
log "perfgate run at $RATE/s for ${SECS}s (pid $PG_PID); RSS every ${INTERVAL}s into $CSV"

echo "elapsed_s,rss_kb" >"$CSV"
start=$(now_us)
deadline=$(((SECS + 120) * 1000000))
next=$((INTERVAL * 1000000))
while kill -0 "$PG_PID" 2>/dev/null; do
	el=$(($(now_us) - start))
	if [ "$el" -ge "$next" ]; then
		rss=$(proc_rss_kb "$PG_PID")
		[ -n "$rss" ] && echo "$(calc '%.1f' "$el / 1e6"),$rss" >>"$CSV"
		next=$((next + INTERVAL * 1000000))
	fi
	if [ "$el" -ge "$deadline" ]; then
		log "perfgate run outlived its deadline; interrupting it"
		kill -INT "$PG_PID" 2>/dev/null || true
		break
	fi
	sleep 0.5
done
rc=0
wait "$PG_PID" || rc=$?
[ "$rc" -eq 0 ] || die "perfgate run exited $rc: $(tail -5 "$BENCH_TMP/run.err")"

read -r first max last slope n <<<"$(python3 - "$CSV" "$SECS" <<'EOF'
import csv, sys
rows = [(float(r["elapsed_s"]), int(r["rss_kb"]) / 1024.0) for r in csv.DictReader(open(sys.argv[1]))]
if not rows:
    print("nan nan nan nan 0")
    sys.exit()
skip = max(10.0, 0.1 * float(sys.argv[2]))
fit = [r for r in rows if r[0] >= skip] or rows
slope = 0.0
if len(fit) >= 2:
    mt = sum(t for t, _ in fit) / len(fit)
    mr = sum(m for _, m in fit) / len(fit)
    den = sum((t - mt) ** 2 for t, _ in fit)
    slope = sum((t - mt) * (m - mr) for t, m in fit) / den * 600 if den > 0 else 0.0
print("%.1f %.1f %.1f %+.2f %d" % (rows[0][1], max(m for _, m in rows), rows[-1][1], slope, len(rows)))
EOF
)"
[ "$n" -gt 0 ] || die "no RSS samples (run shorter than ${INTERVAL}s?)"
echo "soak: RSS first $first MB, max $max MB, last $last MB, slope $slope MB/10min" \
	"over ${SECS}s at $RATE/s (targets: flat, < 100 MB)"
R=$OUT/results.json
total=$(jget "$R" 'm["requests"]["total"]')
erate=$(jget "$R" 'm["errors"]["count"] * 100.0 / max(1, m["requests"]["total"])')
echo "soak: $total requests, errors $(calc '%.3f' "$erate")%, $n samples in $CSV"

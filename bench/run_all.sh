#!/usr/bin/env bash
# bench/run_all.sh — runs every bench script with short settings and prints
# their figure lines together at the end (about three minutes).
#
# Short settings (each can be overridden from the environment):
#   BENCH_SECONDS=5 (http_throughput, timing_accuracy, pacing),
#   BENCH_STREAM_SECONDS=8 and BENCH_WARMUP_SECONDS=5 (streaming, still
#   with BENCH_STREAMS=10000 streams), soak.sh --short (60 s),
#   stats_validation.sh --quick (a smoke run that judges no targets).
# A script that fails is reported and the others still run; the exit status
# is the number of scripts that failed. Progress goes to stderr, figures to
# stdout. See bench/README.md for how to read each figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

export BENCH_SECONDS=${BENCH_SECONDS:-5}
export BENCH_STREAM_SECONDS=${BENCH_STREAM_SECONDS:-8}
export BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-5}

summary=$(mktemp "${TMPDIR:-/tmp}/perfgate-bench-summary.XXXXXX")
trap 'rm -f "$summary"' EXIT
failed=0

for script in http_throughput streaming timing_accuracy pacing soak stats_validation; do
	args=()
	[ "$script" = soak ] && args=(--short)
	[ "$script" = stats_validation ] && args=(--quick)
	echo "== $script" >&2
	out=$(mktemp "${TMPDIR:-/tmp}/perfgate-bench-$script.XXXXXX")
	rc=0
	"$here/$script.sh" "${args[@]}" >"$out" || rc=$?
	cat "$out"
	{
		echo "[$script]"
		cat "$out"
		[ "$rc" -eq 0 ] || echo "FAILED (exit $rc)"
	} >>"$summary"
	rm -f "$out"
	[ "$rc" -eq 0 ] || failed=$((failed + 1))
done

echo
echo "== summary"
cat "$summary"
exit "$failed"

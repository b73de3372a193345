#!/usr/bin/env bash
# bench/stats_validation.sh — whether perfgate's baseline comparison keeps
# its promises on real runs: few false regressions when nothing changed,
# and the power to find a real slowdown.
#
# How (bench/stats_validation.py does the work; see bench/README.md):
# pools of `perfgate run --no-baseline` runs of bench/suites/
# stats_validation.yaml (closed loop, 8 concurrent, 3 s, against the
# in-process mock://) with run-to-run noise 5% and 10% (the mock's
# run_noise): pool A at speed 1, pools B at speed 1.05, 1.10 and 1.20, each
# run with its own seed, all made in one shuffled order. Then, per noise
# level and repeat count R in 1, 3, 5, 10: comparisons of a history of 20
# runs from A with R current runs from the rest of A (A/A) or from a B pool
# (A/B), by `perfgate compare --suite`, 2 at a time. A comparison with a
# regression is confirmed as `perfgate run` does: max(2R, 5) - R more
# current runs from the same pool (none in the history or already drawn)
# and a second `perfgate compare` on all max(2R, 5), whose verdicts count.
# The naive rule "regression when the first current run is more than 10%
# worse than the last history run" judges the same samples.
#
# Options:
#   --quick          smoke run (~1 min): 5% noise only, 1 s runs, pools of
#                    12 and 6, history 5, R in 1 and 3, 20% slowdown only,
#                    20 comparisons per setting; targets are not judged
#   --pool-a N       runs in each pool A (default 60; at least the history
#                    plus max(2R, 5) for the largest R)
#   --pool-b N       runs in each pool B (default 30; at least max(2R, 5))
#   --comparisons N  comparisons per setting and kind (default 200)
#   --seed N         seed of the sampling (default 1)
#   --work DIR       keep the runs in DIR and reuse those already there
#                    (default: a temporary directory, removed at the end)
# Prints the pools' spread, an A/A table, an A/B table (each with the
# figures after the confirmation and without it), the recommended repeat
# counts and one PASS/MISS line per target, judged after the confirmation;
# exits 1 when a target is missed. Every comparison's record goes to
# $BENCH_OUT/stats-validation.jsonl (BENCH_OUT defaults to
# /tmp/perfgate-bench-out). The full run makes 300 runs of ~4 s and 6400
# comparisons (plus a second one for each regression): about 25 minutes
# on 2 cores; with --work DIR holding the runs, only the comparisons are
# redone (a few minutes).
set -euo pipefail
# lib.sh pins this script to the server CPU; the comparisons should have
# every CPU this script was allowed, so remember them first
ALL_CPUS=$(taskset -cp $$ 2>/dev/null | sed 's/.*: *//' || true)
source "$(dirname "$0")/lib.sh"

QUICK=0
ARGS=()
WORK=$BENCH_TMP/work
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--pool-a | --pool-b | --comparisons | --seed)
		[ $# -ge 2 ] || die "$1 needs a value"
		case "$2" in '' | *[!0-9]*) die "$1 expects a whole number, not '$2'" ;; esac
		ARGS+=("$1" "$2")
		shift
		;;
	--work)
		[ $# -ge 2 ] || die "--work needs a directory"
		WORK=$2
		shift
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done

find_perfgate
command -v python3 >/dev/null 2>&1 || die "python3 is needed"
SUITE=$BENCH_DIR/suites/stats_validation.yaml
OUT_DIR=${BENCH_OUT:-/tmp/perfgate-bench-out}
mkdir -p "$OUT_DIR"

if [ "$QUICK" = 1 ]; then
	# first the quick settings, so that explicit options still win
	ARGS=(--noises 0.05 --slowdowns 1.20 --repeats "1,3" --history 5 --pool-a 12 --pool-b 6
		--comparisons 20 --set scenarios.0.load.duration=1s "${ARGS[@]}")
fi

UNPIN=()
if [ -n "$ALL_CPUS" ] && [ ${#PIN_CLIENT[@]} -gt 0 ]; then
	UNPIN=(taskset -c "$ALL_CPUS")
fi
rc=0
"${UNPIN[@]}" python3 "$BENCH_DIR/stats_validation.py" --perfgate "$PERFGATE" --suite "$SUITE" \
	--work "$WORK" --workers "$BENCH_WORKERS" --run-prefix "${PIN_CLIENT[*]}" \
	--records "$OUT_DIR/stats-validation.jsonl" "${ARGS[@]}" || rc=$?
if [ "$QUICK" = 1 ] && [ "$rc" -eq 1 ]; then
	log "quick run: the targets need the full pools; not judged"
	rc=0
fi
exit "$rc"

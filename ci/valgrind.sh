#!/usr/bin/env bash
# Builds perfgate without sanitizers into build-valgrind/ (Debug) and runs a
# subset of the end-to-end tests with every perfgate process under valgrind's
# memcheck, then scans the valgrind logs.
#   ci/valgrind.sh [TEST...]
# TEST is an e2e script name (test_cost) or a data case (case_validate_ok,
# or case_* for all of them); default: the list below. The valgrind logs are
# the verdict: an invalid read or write, a use of uninitialised memory, a
# bad free, a crash or a definite leak in any perfgate process is printed
# and the script exits 1. A test script that merely fails (valgrind makes
# perfgate 20-50x slower, so timing checks and short request timeouts can
# miss) is reported as "timing under valgrind" and does not change the exit
# status unless PG_VG_STRICT=1. Exit 2: usage or build problem.
# Environment: PG_VG_JOBS tests at once (default: number of CPUs, at most 2),
# PG_VG_TIMEOUT seconds per test (default 900), PG_VG_NO_BUILD=1 uses
# build-valgrind/ as it is, PG_VG_BUILD_DIR overrides the build directory,
# PG_VG_LOGS the log directory (default build-valgrind/vg-logs; one per run
# when several run at once, with PG_VG_NO_BUILD=1).
# Logs: <logs>/<test>/ (vg.<pid>.log per perfgate process, test.out for the
# script's own output), cleared at each run.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PG_VG_BUILD_DIR:-$here/build-valgrind}
e2e=$here/tests/e2e
logs=${PG_VG_LOGS:-$build/vg-logs}
supp=$here/ci/valgrind.supp
jobs=${PG_VG_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -gt 2 ] 2>/dev/null && jobs=2
per_test=${PG_VG_TIMEOUT:-900}
case "$jobs$per_test" in
'' | *[!0-9]*) echo "ci/valgrind.sh: PG_VG_JOBS and PG_VG_TIMEOUT must be numbers" >&2; exit 2 ;;
esac

# Timing-sensitive tests are in the list although valgrind makes them slow:
# the logs are the verdict, and their script failures only count with
# PG_VG_STRICT=1. On the 2-core development machine (2026-11-23) these
# passed under valgrind anyway: test_timing_matches_mock, test_load_models,
# test_interrupt, test_progress, test_capacity; test_baseline_git failed
# only because valgrind's run-to-run noise hides the slowed-down mock it
# must flag as a regression.
# Excluded:
#   test_fault_matrix         its first check compares peak RSS with a 28 MiB
#                             margin, which valgrind's own memory breaks, and
#                             it stops there (13 clean processes when tried);
#                             its 300 ms-2 s timeouts also race valgrind;
#   test_http2, test_html_report  need nginx / chromium (the browser half is
#                             not perfgate's memory);
#   test_real_servers         needs real inference servers;
#   test_plugin_sdk           builds and runs plugins against the installed
#                             SDK; it starts no perfgate through PERFGATE.
# Any of them can still be named on the command line.
default_tests="case_* test_examples_validate test_bad_suites test_bad_baselines test_ci_reports
test_results_document test_cost test_scorers test_quality test_workloads test_json_adapters
test_model_adapters test_judge test_shard test_html_escaping test_secrets_canary test_faults
test_tls test_adhoc_load test_plugin_from_shared_object test_plugin_permissions test_baseline_git
test_timing_matches_mock test_load_models test_interrupt test_progress test_capacity
test_init_schema test_ci_files"

command -v valgrind >/dev/null 2>&1 || {
	echo "ci/valgrind.sh: valgrind is not installed (apt-get install -y valgrind)" >&2
	exit 2
}

if [ "${PG_VG_NO_BUILD:-0}" != 1 ]; then
	blog=$(mktemp)
	if ! { cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DPG_SANITIZE=OFF &&
		cmake --build "$build" -j2; } >"$blog" 2>&1; then
		cat "$blog" >&2
		rm -f "$blog"
		echo "ci/valgrind.sh: the build failed" >&2
		exit 2
	fi
	rm -f "$blog"
fi
[ -x "$build/perfgate" ] || { echo "ci/valgrind.sh: no $build/perfgate" >&2; exit 2; }

# The wrapper keeps the perfgate process id (exec), so tests that signal a
# mock server still reach it; PG_VG_LOG_DIR, set per test, sorts the logs.
wrapper=$build/perfgate-vg
cat >"$wrapper.tmp.$$" <<EOF
#!/bin/sh
# perfgate under valgrind memcheck (written by ci/valgrind.sh)
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --track-fds=no --num-callers=30 --quiet \\
	--suppressions="$supp" --log-file="\${PG_VG_LOG_DIR:-$logs}/vg.%p.log" \\
	"$build/perfgate" "\$@"
EOF
chmod +x "$wrapper.tmp.$$"
mv -f "$wrapper.tmp.$$" "$wrapper" # atomic: another run may be using it

# expand the test list
tests=()
for t in ${*:-$default_tests}; do
	case "$t" in
	case_\*)
		for d in "$e2e"/cases/*/; do tests+=("case_$(basename "$d")"); done ;;
	case_*)
		[ -d "$e2e/cases/${t#case_}" ] || { echo "ci/valgrind.sh: no case ${t#case_}" >&2; exit 2; }
		tests+=("$t") ;;
	*)
		t=${t%.sh}
		[ -f "$e2e/$t.sh" ] || { echo "ci/valgrind.sh: no $e2e/$t.sh" >&2; exit 2; }
		tests+=("$t") ;;
	esac
done

rm -rf "$logs"
mkdir -p "$logs"

# run_one TEST: runs it with PERFGATE at the wrapper; writes status and
# seconds to $logs/TEST/status.
run_one() {
	local t=$1 dir=$logs/$1 start rc cmd
	mkdir -p "$dir"
	case "$t" in
	case_*) cmd=(bash "$e2e/run_case.sh" "$e2e/cases/${t#case_}") ;;
	*) cmd=(bash "$e2e/$t.sh") ;;
	esac
	start=$(date +%s)
	PERFGATE=$wrapper PG_SRC=$here PG_BUILD=$build PG_E2E=$e2e PG_VG_LOG_DIR=$dir \
		timeout -k 10 "$per_test" "${cmd[@]}" >"$dir/test.out" 2>&1 </dev/null
	rc=$?
	echo "$rc $(($(date +%s) - start))" >"$dir/status"
}

echo "ci/valgrind.sh: ${#tests[@]} tests, $jobs at a time, logs in $logs"
t0=$(date +%s)
running=0
for t in "${tests[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait

# Valgrind's own top-level lines that are not errors: warnings, and the note
# that a process ended on the signal a test sent it (a mock being stopped).
benign='^==[0-9]+== (Warning: |Process terminating with default action of signal (2|15) |   (at|by) |$)'
vg_errors=0
timing_failures=0
skipped=0
report=()
for t in "${tests[@]}"; do
	dir=$logs/$t
	read -r rc secs <"$dir/status" 2>/dev/null || { rc=255; secs=0; }
	errs=0
	for f in "$dir"/vg.*.log; do
		[ -s "$f" ] || continue
		# first line of each block, other than the benign ones
		if grep -Ev "$benign" "$f" | grep -Eq '^==[0-9]+== [^ ]'; then
			errs=$((errs + 1))
			echo "=== valgrind: $t: $f"
			cat "$f"
		fi
	done
	if [ "$errs" -gt 0 ]; then
		vg_errors=$((vg_errors + 1))
		verdict="VALGRIND ERRORS in $errs process(es)"
	else
		verdict="valgrind clean"
	fi
	case "$rc" in
	0) status="passed" ;;
	77) status="skipped (tool missing)"; skipped=$((skipped + 1)) ;;
	124 | 137) status="timed out after ${per_test}s (timing under valgrind)"; timing_failures=$((timing_failures + 1)) ;;
	*) status="failed, exit $rc (timing under valgrind unless valgrind errors)"; timing_failures=$((timing_failures + 1)) ;;
	esac
	n=$(find "$dir" -name 'vg.*.log' | wc -l)
	report+=("$(printf '%-44s %5ss %3s procs  %-16s %s' "$t" "$secs" "$n" "$verdict" "$status")")
done

echo
echo "ci/valgrind.sh summary ($(($(date +%s) - t0)) s):"
printf '%s\n' "${report[@]}"
for t in "${tests[@]}"; do
	read -r rc _ <"$logs/$t/status" 2>/dev/null || rc=255
	case "$rc" in 0 | 77) ;; *) echo "--- output of $t (last 15 lines)"; tail -n 15 "$logs/$t/test.out" ;; esac
done
echo
echo "valgrind: $vg_errors test(s) with errors; scripts: $timing_failures failed (timing under valgrind), $skipped skipped"
[ "$vg_errors" -gt 0 ] && exit 1
[ "${PG_VG_STRICT:-0}" = 1 ] && [ "$timing_failures" -gt 0 ] && exit 1
exit 0

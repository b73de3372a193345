#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build-fuzz/ and
# runs each one over its seed corpus and then for SECONDS more (default 60;
# 0 runs the seeds only).
#   ci/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Targets: suite sse adapters results hist h1 (default: all). New corpus
# entries go to build-fuzz/fuzz-work/<target>/corpus (cleared first unless
# PG_FUZZ_KEEP=1), never into the tree; a crash, leak, timeout or
# out-of-memory input is saved under build-fuzz/crashes/. Prints one line
# per target and exits 1 if any target failed (2 for a usage or build
# problem). PG_FUZZ_BUILD_DIR overrides the build directory; PG_FUZZ_NO_BUILD=1
# runs what is already built (for several runs of this script at once).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-suite sse adapters results hist h1}
build=${PG_FUZZ_BUILD_DIR:-$here/build-fuzz}
src=$here/tests/fuzz

case "$seconds" in
'' | *[!0-9]*) echo "ci/fuzz.sh: SECONDS_PER_TARGET must be a number, not '$seconds'" >&2; exit 2 ;;
esac
if ! command -v clang >/dev/null 2>&1; then
	echo "ci/fuzz.sh: clang is not installed (ci/setup.sh --test-deps installs it)" >&2
	exit 2
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" >"$probe/log" 2>&1; then
	cat "$probe/log" >&2
	echo "ci/fuzz.sh: clang cannot build a libFuzzer target (is its compiler-rt installed?)" >&2
	exit 2
fi

# inputs longer than this are not tried (the seeds are well under)
max_len_of() {
	case "$1" in
	results) echo 65536 ;;
	suite | sse | adapters) echo 16384 ;;
	*) echo 8192 ;;
	esac
}
# dictionaries, concatenated per target
dicts_of() {
	case "$1" in
	suite) echo "yaml.dict" ;;
	sse) echo "sse.dict json.dict" ;;
	adapters) echo "json.dict sse.dict" ;;
	results) echo "json.dict" ;;
	hist) echo "hist.dict" ;;
	h1) echo "http.dict" ;;
	esac
}

if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER_ID:.*Clang\|^CMAKE_C_COMPILER:.*clang' \
	"$build/CMakeCache.txt"; then
	echo "ci/fuzz.sh: $build was configured without clang; remove it first" >&2
	exit 2
fi
build_targets() {
	echo "ci/fuzz.sh: building the fuzz targets in $build"
	mkdir -p "$build"
	# warnings are not errors here: the fuzz build is clang's, the lint gate is gcc's
	if ! CC=clang cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPG_FUZZ=ON \
		-DPG_BUILD_TESTS=OFF -DPG_WERROR=OFF >"$build/fuzz-configure.log" 2>&1; then
		cat "$build/fuzz-configure.log" >&2
		exit 2
	fi
	# shellcheck disable=SC2046,SC2086
	if ! cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets) \
		>"$build/fuzz-build.log" 2>&1; then
		tail -n 40 "$build/fuzz-build.log" >&2
		echo "ci/fuzz.sh: build failed (log: $build/fuzz-build.log)" >&2
		exit 2
	fi
}
[ "${PG_FUZZ_NO_BUILD:-0}" = 1 ] || build_targets

mkdir -p "$build/crashes"
status=0
for t in $targets; do
	bin=$build/fuzz/fuzz_$t
	work=$build/fuzz-work/$t
	seeds=$src/corpus/$t
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "ci/fuzz.sh: unknown target '$t'" >&2
		exit 2
	fi
	[ "${PG_FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	dict=$work/$t.dict
	: >"$dict"
	for d in $(dicts_of "$t"); do cat "$src/$d" >>"$dict"; done
	log=$work/fuzz.log
	limit=-max_total_time=$seconds
	[ "$seconds" = 0 ] && limit=-runs=0
	rc=0
	# stdin is /dev/null so no input can make a target wait on the terminal
	(cd "$work" && ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" "$limit" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len_of "$t")" -dict="$dict" -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" -error_exitcode=77 -timeout_exitcode=78 \
		"$work/corpus" "$seeds" </dev/null >"$log" 2>&1) || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
	nseeds=$(find "$seeds" -type f | wc -l)
	result=ok
	if [ "$rc" != 0 ]; then
		status=1
		result="FAILED (exit $rc)"
		for a in "$work"/artifacts/*; do
			[ -f "$a" ] || continue
			cp "$a" "$build/crashes/$t-$(basename "$a")"
			result="$result: $build/crashes/$t-$(basename "$a")"
		done
		grep -m1 -E 'ERROR: |invariant failed|runtime error|differ' "$log" >&2 || true
		echo "  log: $log" >&2
	fi
	printf 'fuzz_%-9s %5ss %10s execs  cov %-5s ft %-6s corpus %-12s (%s seeds)  %s\n' \
		"$t" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$nseeds" "$result"
done
exit "$status"

#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: a normal build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build (skip the latter with
# PG_SKIP_SANITIZE=1), then, when clang is installed, every libFuzzer target
# over its seeds and PG_FUZZ_SECONDS (default 15) of fuzzing each
# (ci/fuzz.sh; skip with PG_SKIP_FUZZ=1).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$here/ci/setup.sh" --test-deps --build-dir "$here/build"
ctest --test-dir "$here/build" --output-on-failure -j"$jobs"

if [ "${PG_SKIP_SANITIZE:-0}" != 1 ]; then
	"$here/ci/setup.sh" --build-dir "$here/build-asan" --sanitize
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --test-dir "$here/build-asan" --output-on-failure -j"$jobs"
fi

if [ "${PG_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null 2>&1; then
	"$here/ci/fuzz.sh" "${PG_FUZZ_SECONDS:-15}"
fi

#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: a normal build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build (skip the latter with
# PG_SKIP_SANITIZE=1).
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

#!/usr/bin/env bash
# Every example suite in suites/examples/ stays a valid suite.
source "$PG_E2E/lib.sh"
n=0
for f in "$PG_SRC"/suites/examples/*.yaml; do
	"$PERFGATE" validate "$f" >"$T/v.out" 2>"$T/v.err" || fail "$(basename "$f"): $(cat "$T/v.err")"
	n=$((n + 1))
done
[ "$n" -ge 11 ] || fail "expected at least 11 example suites, found $n"
echo "ok: $n example suites validate"

#!/usr/bin/env bash
# Measured TTFT, TPOT, ITL and e2e on the mock agree with what it was told
# to produce: ttft = 40 ms, one token every 10 ms, 12 tokens, so
# e2e = 40 + 11 x 10 = 150 ms. Stated tolerance: p50 may not be below the
# configured value (the client cannot see a token before it is sent) by more
# than 0.5 ms, and not above it by more than 15 ms for ttft/e2e (connection
# and scheduling on a loaded 2-core machine) or 2.5 ms for per-token gaps.
source "$PG_E2E/lib.sh"

"$PERFGATE" run "$PG_E2E/suites/timing.yaml" --out "$T/r" >"$T/run.out" 2>"$T/run.err" ||
	fail "run exited $?"
R="$T/r/results.json"
s='d["scenarios"][0]["metrics"]'
check "$s[\"requests\"][\"succeeded\"] == 30" "$R" "all 30 requests succeed"
check "$s[\"tokens\"][\"source\"] == \"usage\"" "$R" "tokens come from server usage"
check "$s[\"tokens\"][\"output_total\"] == 30 * 12" "$R" "12 output tokens per request"
check "39.5 <= $s[\"ttft\"][\"p50\"] <= 55" "$R" "ttft p50 within [39.5, 55] ms"
check "149.5 <= $s[\"e2e\"][\"p50\"] <= 165" "$R" "e2e p50 within [149.5, 165] ms"
check "9.5 <= $s[\"tpot\"][\"p50\"] <= 12.5" "$R" "tpot p50 within [9.5, 12.5] ms"
check "9.5 <= $s[\"itl\"][\"p50\"] <= 12.5" "$R" "itl p50 within [9.5, 12.5] ms"
check "$s[\"itl\"][\"count\"] == 30 * 11" "$R" "11 gaps per request"
echo "ok: ttft p50 $(json "$R" "$s['ttft']['p50']") ms, tpot p50 $(json "$R" "$s['tpot']['p50']") ms"

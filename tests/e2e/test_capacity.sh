#!/usr/bin/env bash
# A concurrency sweep finds the knee where the mock's 4 slots saturate, and
# a spike's recovery time is measured from the per-second series.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/capacity.yaml"

"$PERFGATE" run "$S" --scenario sweep --no-color --out "$T/sweep" >"$T/sweep.out" 2>"$T/sweep.err" ||
	fail "sweep: exit $?"
R="$T/sweep/results.json"
sw='d["scenarios"][0]["sweep"]'
check "len($sw[\"levels\"]) == 3 and $sw[\"by\"] == \"concurrency\"" "$R" "three levels"
check "$sw[\"knee_index\"] == 1" "$R" "knee at concurrency 4"
check "d[\"scenarios\"][0][\"metrics\"][\"capacity\"][\"concurrency\"] == 4" "$R" "capacity.concurrency"
check "$sw[\"levels\"][2][\"e2e_p95\"] > 2 * $sw[\"levels\"][0][\"e2e_p95\"]" "$R" "queueing at 16"
grep -q "<- knee" "$T/sweep.out" || fail "sweep table marks the knee"

"$PERFGATE" run "$S" --scenario spike --set "target.url=mock://?decode_ms=20&ttft_ms=10&output_tokens=8&slots=4" --no-color --out "$T/spike" >"$T/spike.out" 2>"$T/spike.err" ||
	fail "spike: exit $?"
R="$T/spike/results.json"
check "d[\"scenarios\"][0][\"metrics\"][\"recovery\"][\"time_s\"] is not None" "$R" "recovered"
check "0 <= d[\"scenarios\"][0][\"metrics\"][\"recovery\"][\"time_s\"] < 8" "$R" "recovered before the window ended"
check "max(r[\"in_flight\"] for r in d[\"scenarios\"][0][\"series\"]) > 4" "$R" "the spike queued requests"
check "d[\"scenarios\"][0][\"requirements\"][0][\"verdict\"] == \"met\"" "$R" "recovery requirement"
echo "ok: capacity and recovery"

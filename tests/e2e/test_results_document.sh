#!/usr/bin/env bash
# results.json has the documented perfgate-results/1 shape and a failing
# run records which requirement failed, where it is written and by how much.
source "$PG_E2E/lib.sh"

"$PERFGATE" run "$PG_E2E/cases/impossible_requirement_fails/suite.yaml" --out "$T/r" \
	>"$T/run.out" 2>"$T/run.err"
[ $? = 1 ] || fail "expected exit 1"
R="$T/r/results.json"
check 'd["schema"] == "perfgate-results/1"' "$R" "schema"
check 'd["verdict"] == "fail" and d["suite"] == "impossible"' "$R" "verdict and suite"
check 'd["scenarios"][0]["name"] == "tight" and d["scenarios"][0]["verdict"] == "fail"' "$R" "scenario"
check 'set(["unit","count","min","mean","p50","p90","p95","p99","p99.9","max","histogram"]) <= set(d["scenarios"][0]["metrics"]["ttft"])' "$R" "ttft stats"
check 'd["scenarios"][0]["metrics"]["ttft"]["unit"] == "ms"' "$R" "ttft unit"
check 'd["scenarios"][0]["metrics"]["throughput"]["rps"] > 0' "$R" "throughput"
check 'd["scenarios"][0]["metrics"]["errors"]["rate"] == 0' "$R" "errors"
q='d["scenarios"][0]["requirements"]'
check "len($q) == 2" "$R" "two requirements"
check "$q[1][\"expr\"] == \"ttft.p95 < 1us\" and $q[1][\"verdict\"] == \"failed\"" "$R" "failed requirement"
check "$q[1][\"unit\"] == \"ms\" and $q[1][\"limit\"] == 0.001 and $q[1][\"measured\"] > 0.001" "$R" "measured vs limit"
check "$q[1][\"line\"] == 14 and $q[1][\"file\"].endswith(\"suite.yaml\")" "$R" "requirement location"
check "$q[0][\"verdict\"] == \"met\" and $q[0][\"unit\"] == \"%\"" "$R" "met requirement"
# no temp files left behind by the atomic write
[ "$(ls "$T/r")" = "results.json" ] || fail "unexpected files in --out: $(ls "$T/r")"
echo "ok: results document"

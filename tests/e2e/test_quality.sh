#!/usr/bin/env bash
# Answers are graded by the suite's scorer beside their timing: quality.*
# metrics gate, a quality/latency trade-off table marks Pareto-optimal
# scenarios, and a failing grade fails the build.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/quality.yaml"
start_test_server q --mode vllm --delay-ms 2

"$PERFGATE" run "$S" --target "http://127.0.0.1:$PORT/v1" --no-color --out "$T/ok" \
	--set scenarios.1.load.requests=10 >"$T/ok.out" 2>"$T/ok.err" || fail "quality run: exit $?"
R="$T/ok/results.json"
check 'd["scenarios"][0]["metrics"]["quality"]["score"] == 1 and d["scenarios"][0]["metrics"]["quality"]["graded"] == 10' "$R" "long answers contain w5"
check 'd["scenarios"][0]["metrics"]["quality"]["p10"] == 1' "$R" "p10"
grep -q "quality: score 1.000, 100.0% passed" "$T/ok.out" || fail "table shows quality"

# the quality/latency table: two scenarios, and a point is Pareto-optimal
# exactly when no other point is at least as fast and as good, and better in one
t='d["quality_tradeoff"]'
check "len($t) == 2 and all(p[\"pareto\"] == (not any(o[\"e2e_p95\"] <= p[\"e2e_p95\"] and o[\"quality\"] >= p[\"quality\"] and (o[\"e2e_p95\"] < p[\"e2e_p95\"] or o[\"quality\"] > p[\"quality\"]) for o in $t if o is not p)) for p in $t)" "$R" "trade-off points"
grep -q "^quality vs latency" "$T/ok.out" || fail "trade-off table printed"

# capped at 3 tokens, no answer contains w5
"$PERFGATE" run "$S" --target "http://127.0.0.1:$PORT/v1" --no-color --out "$T/short" \
	--scenario short --set workload.max_tokens=3 \
	>"$T/short.out" 2>"$T/short.err"
check 'd["scenarios"][0]["metrics"]["quality"]["score"] == 0' "$T/short/results.json" "short answers miss w5"

# a failing quality requirement fails the build (exit 1)
"$PERFGATE" run "$S" --target "http://127.0.0.1:$PORT/v1" --no-color --scenario long \
	--set workload.max_tokens=3 >"$T/fail.out" 2>"$T/fail.err"
[ $? = 1 ] || fail "a failed quality requirement must exit 1"
grep -q "quality.score >= 0.99 .* FAILED" "$T/fail.out" || fail "the failed requirement is named"

# an unknown scorer is a bad suite with a suggestion
sed 's/scorer: contains/scorer: contain/' "$S" >"$T/bad.yaml"
"$PERFGATE" validate "$T/bad.yaml" >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "unknown scorer must exit 2"
grep -q "bad.yaml:12:11: .*scorer.*'contain'.*did you mean 'contains'" "$T/bad.err" || fail "unknown scorer message: $(cat "$T/bad.err")"
echo "ok: quality"

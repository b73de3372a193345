#!/usr/bin/env bash
# Every load model sends exactly the arrivals its schedule defines (the
# schedule is fixed in advance, never moved by responses), over both
# transports and with several workers.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/open_loop.yaml"

run() { # NAME SCENARIO EXTRA...
	local name=$1 sc=$2 rc
	shift 2
	"$PERFGATE" run "$S" --scenario "$sc" --no-color --out "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" = 0 ] || fail "$name: exit $rc"
}
m='d["scenarios"][0]["metrics"]'

# constant arrivals at 200/s for 2 s: exactly 400, over each transport and 1 or 2 workers
for tr in h1 curl; do
	for wk in 1 2; do
		run "const-$tr-$wk" constant --transport "$tr" --workers "$wk"
		R="$T/const-$tr-$wk/results.json"
		check "$m[\"requests\"][\"started\"] == 400" "$R" "const $tr/$wk: 400 sent"
		check "$m[\"requests\"][\"total\"] == 400 and $m[\"requests\"][\"succeeded\"] == 400" "$R" "const $tr/$wk: 400 answered"
		check "$m[\"requests\"][\"dropped\"] == 0" "$R" "const $tr/$wk: none dropped"
		check "d[\"scenarios\"][0][\"load\"][\"model\"] == \"open\"" "$R" "const $tr/$wk: open model recorded"
		check "sum(r[\"sent\"] for r in d[\"scenarios\"][0][\"series\"]) == 400" "$R" "const $tr/$wk: series adds up"
		check "$m[\"schedule_lag\"][\"count\"] == 400" "$R" "const $tr/$wk: lag recorded per send"
	done
done

# the transport is chosen per URL, and a libcurl-only option picks curl
run auto-h1 constant --set scenarios.0.load.duration=200ms
check "d[\"target\"][\"transport\"] == \"h1\"" "$T/auto-h1/results.json" "auto: h1 for mock://"
run auto-curl constant --set scenarios.0.load.duration=200ms --set target.transport_options.http2=false
check "d[\"target\"][\"transport\"] == \"curl\"" "$T/auto-curl/results.json" "auto: curl for an http2 option"

# poisson: the count depends only on the seed
run pois1 poisson
run pois2 poisson --workers 2 --transport curl
run pois3 poisson --set scenarios.1.load.seed=12
n1=$(json "$T/pois1/results.json" "$m['requests']['started']")
n2=$(json "$T/pois2/results.json" "$m['requests']['started']")
n3=$(json "$T/pois3/results.json" "$m['requests']['started']")
[ "$n1" -gt 240 ] && [ "$n1" -lt 360 ] || fail "poisson: $n1 arrivals for a mean of 300"
run pois1b poisson
n1b=$(json "$T/pois1b/results.json" "$m['requests']['started']")
[ "$n1" = "$n1b" ] || fail "poisson: same seed gave $n1 then $n1b arrivals"
[ "$n1" != "$n3" ] || fail "poisson: another seed gave the same $n1 arrivals"
echo "poisson arrivals: seed 11 -> $n1 (1 worker) / $n2 (2 workers), seed 12 -> $n3"

# linear ramp 0 -> 200/s over 2 s: the integral, 200 arrivals
run ramp ramp
check "199 <= $m[\"requests\"][\"started\"] <= 200" "$T/ramp/results.json" "ramp: 200 arrivals"
check "d[\"scenarios\"][0][\"load\"][\"stages\"][0][\"kind\"] == \"ramp\"" "$T/ramp/results.json" "ramp: stage recorded"

# the in-flight cap drops arrivals instead of delaying them
run capped capped --set 'target.url=mock://?decode_ms=100&output_tokens=5&slots=1000'
check "$m[\"requests\"][\"started\"] + $m[\"requests\"][\"dropped\"] == 200" "$T/capped/results.json" "capped: sent + dropped = arrivals"
check "$m[\"requests\"][\"dropped\"] > 100" "$T/capped/results.json" "capped: most arrivals dropped"
grep -q "arrivals dropped at the in-flight cap" "$T/capped.out" || fail "capped: table reports drops"

# trace replay: every arrival of the file
run trace trace --workers 2
check "$m[\"requests\"][\"started\"] == 50" "$T/trace/results.json" "trace: 50 arrivals"

# goodput
run goodput goodput
check "$m[\"goodput\"][\"rate\"] == 1 and $m[\"goodput\"][\"count\"] == 20" "$T/goodput/results.json" "goodput met"
run nogoodput nogoodput
check "$m[\"goodput\"][\"rate\"] == 0" "$T/nogoodput/results.json" "goodput missed"
# steps then soak with bursty gamma arrivals: the stages are recorded and
# the expected number of arrivals (20 + 40 + 60 + 100 = 220) arrives
# within the spread a gamma process with CV 2 allows
run shapes shapes
check "[s[\"kind\"] for s in d[\"scenarios\"][0][\"load\"][\"stages\"]] == [\"step\", \"step\", \"step\", \"soak\"]" "$T/shapes/results.json" "shapes: stages"
check "d[\"scenarios\"][0][\"load\"][\"arrival\"] == \"gamma\"" "$T/shapes/results.json" "shapes: gamma"
check "100 <= $m[\"requests\"][\"started\"] <= 340" "$T/shapes/results.json" "shapes: arrivals near 220"
echo "ok: load models"

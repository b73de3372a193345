#!/usr/bin/env bash
# Measured TTFT, TPOT, ITL and e2e on the mock agree with what it was told
# to produce: ttft = 40 ms, one token every 10 ms, 12 tokens, so
# e2e = 40 + 11 x 10 = 150 ms. Stated tolerance: p50 may not be below the
# configured value (the client cannot see a token before it is sent) by more
# than 0.5 ms, and not above it by more than 15 ms for ttft/e2e (connection
# and scheduling on a loaded 2-core machine) or 2.5 ms for per-token gaps;
# both transports, which must agree with each other within 10 ms.
source "$PG_E2E/lib.sh"

for tr in h1 curl; do
	"$PERFGATE" run "$PG_E2E/suites/timing.yaml" --transport "$tr" --out "$T/$tr" >"$T/$tr.out" 2>"$T/$tr.err" ||
		fail "$tr: run exited $?"
	R="$T/$tr/results.json"
	s='d["scenarios"][0]["metrics"]'
	check "$s[\"requests\"][\"succeeded\"] == 30" "$R" "$tr: all 30 requests succeed"
	check "$s[\"tokens\"][\"source\"] == \"usage\"" "$R" "$tr: tokens come from server usage"
	check "$s[\"tokens\"][\"output_total\"] == 30 * 12" "$R" "$tr: 12 output tokens per request"
	check "39.5 <= $s[\"ttft\"][\"p50\"] <= 55" "$R" "$tr: ttft p50 within [39.5, 55] ms"
	check "149.5 <= $s[\"e2e\"][\"p50\"] <= 165" "$R" "$tr: e2e p50 within [149.5, 165] ms"
	check "9.5 <= $s[\"tpot\"][\"p50\"] <= 12.5" "$R" "$tr: tpot p50 within [9.5, 12.5] ms"
	check "9.5 <= $s[\"itl\"][\"p50\"] <= 12.5" "$R" "$tr: itl p50 within [9.5, 12.5] ms"
	check "$s[\"itl\"][\"count\"] == 30 * 11" "$R" "$tr: 11 gaps per request"
	check "$s[\"ttft_from_send\"][\"p50\"] <= $s[\"ttft\"][\"p50\"]" "$R" "$tr: from-send <= from-schedule"
	echo "ok $tr: ttft p50 $(json "$R" "$s['ttft']['p50']") ms, tpot p50 $(json "$R" "$s['tpot']['p50']") ms"
done
# the two transports agree within the stated tolerance of each other
h=$(json "$T/h1/results.json" 'd["scenarios"][0]["metrics"]["ttft"]["p50"]')
c=$(json "$T/curl/results.json" 'd["scenarios"][0]["metrics"]["ttft"]["p50"]')
python3 -c "import sys; sys.exit(0 if abs($h - $c) <= 10 else 1)" || fail "ttft p50 h1 $h ms vs curl $c ms differ by more than 10 ms"

#!/usr/bin/env bash
# cost.* follow their documented formulas from the measured throughput and
# token counts, gate like any metric, and a server that ignores max_tokens
# is reported.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/cost.yaml"
m='d["scenarios"][0]["metrics"]'

"$PERFGATE" run "$S" --no-color --out "$T/ok" >"$T/ok.out" 2>"$T/ok.err" || fail "cost run: exit $?"
R="$T/ok/results.json"
# instance: 4 $/h x 2 / (rps x 3600); tokens: (5 in x 0.5 + 10 out x 1.5) / 1e6 per request
check "abs($m[\"cost\"][\"per_request\"] - (8 / ($m[\"throughput\"][\"rps\"] * 3600) + (5 * 0.5 + 10 * 1.5) / 1e6)) < 1e-9" "$R" "per_request formula"
check "abs($m[\"cost\"][\"per_hour_at_load\"] - (8 + (5 * 0.5 + 10 * 1.5) / 1e6 * $m[\"throughput\"][\"rps\"] * 3600)) < 1e-6" "$R" "per_hour formula"
check "abs($m[\"cost\"][\"per_1m_tokens\"] - (8 / ($m[\"output_tokens_per_s\"] * 3600) * 1e6 + (5 * 0.5 + 10 * 1.5) / 10)) < 1e-6" "$R" "per_1m_tokens formula"
check "$m[\"cost\"][\"per_request_at_capacity\"] is None" "$R" "no capacity without a sweep"
check "$m[\"tokens\"][\"max_tokens_exceeded\"] == 0" "$R" "mock honours max_tokens"
check "d[\"scenarios\"][0][\"requirements\"][0][\"unit\"] == \"\$\"" "$R" "dollar unit"
grep -q "cost: \\\$0.0000[0-9]* per request" "$T/ok.out" || fail "table shows the cost"

"$PERFGATE" run "$S" --no-color --out "$T/ign" \
	--set 'target.url=mock://?decode_ms=2&output_tokens=20&ignore_max_tokens=1' >"$T/ign.out" 2>"$T/ign.err"
[ $? = 1 ] || fail "a server ignoring max_tokens must fail the gate"
check "$m[\"tokens\"][\"max_tokens_ignored_rate\"] == 1" "$T/ign/results.json" "ignored max_tokens reported"
grep -q "answers were longer than the limit sent" "$T/ign.out" || fail "table reports ignored max_tokens"

# bad pricing is a bad suite
sed 's/usd_per_hour: \$4.00/usd_per_hour: 4 EUR/' "$S" >"$T/bad.yaml"
"$PERFGATE" validate "$T/bad.yaml" >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "bad price must exit 2"
grep -q "bad.yaml:9:28: usd_per_hour: unknown unit .EUR. in .4 EUR." "$T/bad.err" || fail "bad price names file:line:col: $(cat "$T/bad.err")"
echo "ok: cost"
